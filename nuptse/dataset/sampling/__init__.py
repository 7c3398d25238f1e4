"""Samplers that group cuts into batches by duration, across ranks and workers."""

from __future__ import annotations

from nuptse.exports import lazy_exports

_EXPORTS: dict[str, str] = {}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports("nuptse.dataset.sampling", _EXPORTS, globals())
