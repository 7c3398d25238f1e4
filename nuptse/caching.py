"""The caching switch at lhotse's ``lhotse.caching`` path (defined in :mod:`nuptse.audio.caching`).

>>> from nuptse.caching import is_caching_enabled
>>> is_caching_enabled()
False
"""

from nuptse.audio.caching import (
    AudioCache,
    dynamic_lru_cache,
    is_caching_enabled,
    set_caching_enabled,
)

__all__ = ["AudioCache", "dynamic_lru_cache", "is_caching_enabled", "set_caching_enabled"]
