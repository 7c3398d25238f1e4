"""Bindings to external audio tools (lhotse's ``lhotse.tools`` path).

Nothing here is loaded at import: :mod:`nuptse.tools.libsox` opens libsox on
first use.
"""

from nuptse.tools.libsox import libsox_available

__all__ = ["libsox_available"]
