"""Custom cut fields: plain values and array manifests (:mod:`nuptse.features.array`).

lhotse stores extra per-cut data in ``cut.custom``; arrays are kept as
manifests (:class:`Array`, :class:`TemporalArray`) that name a storage backend,
path and key, so they serialize to JSON and are read only on demand.
"""

from __future__ import annotations

from typing import Any

from nuptse.features.array import Array, TemporalArray


def _value_from_dict(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "array" in value and "temporal_dim" in value:
        return TemporalArray.from_dict(value)
    if {"storage_type", "storage_path", "storage_key", "shape"} <= value.keys():
        return Array.from_dict(value)
    if "sources" in value and "sampling_rate" in value:
        from nuptse.audio import Recording

        return Recording.from_dict(value)
    return value


def custom_from_dict(custom: dict) -> dict:
    """Deserialize the manifests held in a ``custom`` dict (other values stay as they are)."""
    return {k: _value_from_dict(v) for k, v in custom.items()}


def custom_to_dict(custom: dict) -> dict:
    """Serialize a ``custom`` dict, turning manifests into dicts."""
    return {k: (v.to_dict() if hasattr(v, "to_dict") else v) for k, v in custom.items()}
