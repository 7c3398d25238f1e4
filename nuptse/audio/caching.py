"""Opt-in caches: the bytes of command/URL audio, and memoised methods.

Both are off by default; :func:`set_caching_enabled` switches them together
(and turning them off empties them).

* :class:`AudioCache` keeps the encoded bytes that ``command`` and ``url``
  audio sources produced, so reading several cuts of one such recording runs
  the command or downloads the file once.  At most 100 entries and 500 MB;
  the oldest go first.
* :func:`dynamic_lru_cache` wraps a function with an LRU cache (512 entries)
  that is consulted only while caching is enabled.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Optional

_enabled = False
_cached_functions: list = []


def set_caching_enabled(enabled: bool) -> None:
    """Switch the caches on or off; switching off clears them.

    >>> set_caching_enabled(False); is_caching_enabled()
    False
    """
    global _enabled
    if not isinstance(enabled, bool):
        raise TypeError(f"set_caching_enabled expects a bool, got {enabled!r}")
    _enabled = enabled
    AudioCache.enable(enabled)
    if not enabled:
        for fn in _cached_functions:
            fn.cache_clear()


def is_caching_enabled() -> bool:
    return _enabled


def dynamic_lru_cache(method: Callable) -> Callable:
    """Memoise ``method`` (512 entries) while caching is enabled; call it directly otherwise."""
    cached = functools.lru_cache(maxsize=512)(method)
    _cached_functions.append(cached)

    @functools.wraps(method)
    def wrapper(*args, **kwargs) -> Any:
        return (cached if _enabled else method)(*args, **kwargs)

    wrapper.cache_clear = cached.cache_clear
    return wrapper


class AudioCache:
    """Process-wide store of encoded audio bytes keyed by their source (command or URL)."""

    max_cache_memory: int = 500 * 10**6
    max_cache_elements: int = 100
    _enabled: bool = False
    _items: OrderedDict = OrderedDict()
    _size: int = 0
    _lock = threading.Lock()

    @classmethod
    def enable(cls, enabled: bool = True) -> None:
        cls._enabled = bool(enabled)
        if not enabled:
            with cls._lock:
                cls._items.clear()
                cls._size = 0

    @classmethod
    def enabled(cls) -> bool:
        return cls._enabled

    @classmethod
    def try_cache(cls, key: str) -> Optional[bytes]:
        """The bytes stored under ``key``, or None (always None while disabled)."""
        if not cls._enabled:
            return None
        with cls._lock:
            return cls._items.get(key)

    @classmethod
    def add_to_cache(cls, key: str, value: bytes) -> None:
        """Store ``value`` under ``key``, evicting the oldest entries to stay within limits."""
        if not cls._enabled or len(value) > cls.max_cache_memory:
            return
        with cls._lock:
            old = cls._items.pop(key, None)
            if old is not None:
                cls._size -= len(old)
            while cls._items and (
                len(cls._items) >= cls.max_cache_elements
                or cls._size + len(value) > cls.max_cache_memory
            ):
                _, dropped = cls._items.popitem(last=False)
                cls._size -= len(dropped)
            cls._items[key] = value
            cls._size += len(value)


__all__ = ["AudioCache", "dynamic_lru_cache", "is_caching_enabled", "set_caching_enabled"]
