"""Custom cut fields: plain values and array manifests that point into feature storage.

lhotse stores extra per-cut data in ``cut.custom``; arrays are kept as
manifests (:class:`Array`, :class:`TemporalArray`) that name a storage backend,
path and key, so they serialize to JSON and are read only on demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nuptse.timing import frames_to_seconds, seconds_to_frames


def _reader(storage_type: str, storage_path: str):
    from nuptse.features.io import get_reader

    return get_reader(storage_type)(storage_path)


@dataclass
class Array:
    """An array of any shape stored in a feature storage backend."""

    storage_type: str
    storage_path: str
    storage_key: str
    shape: list

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def load(self):
        return _reader(self.storage_type, self.storage_path).read(self.storage_key)

    def with_path_prefix(self, path) -> Array:
        from pathlib import Path

        return Array(
            self.storage_type, str(Path(path) / self.storage_path), self.storage_key, self.shape
        )

    def to_dict(self) -> dict:
        return {
            "storage_type": self.storage_type,
            "storage_path": self.storage_path,
            "storage_key": self.storage_key,
            "shape": list(self.shape),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Array:
        return cls(
            data["storage_type"], data["storage_path"], data["storage_key"], list(data["shape"])
        )


@dataclass
class TemporalArray:
    """An :class:`Array` with a time axis (``temporal_dim``) sampled every ``frame_shift`` s."""

    array: Array
    temporal_dim: int
    frame_shift: float
    start: float

    @property
    def shape(self) -> list:
        return self.array.shape

    @property
    def num_frames(self) -> int:
        return self.array.shape[self.temporal_dim]

    @property
    def duration(self) -> float:
        return frames_to_seconds(self.num_frames, self.frame_shift)

    def load(self, start: float | None = None, duration: float | None = None):
        data = self.array.load()
        if start is None and duration is None:
            return data
        begin = seconds_to_frames(max((start or self.start) - self.start, 0.0), self.frame_shift)
        end = None
        if duration is not None:
            end = begin + seconds_to_frames(duration, self.frame_shift)
        index = [slice(None)] * data.ndim
        index[self.temporal_dim] = slice(begin, end)
        return data[tuple(index)]

    def with_path_prefix(self, path) -> TemporalArray:
        return TemporalArray(
            self.array.with_path_prefix(path), self.temporal_dim, self.frame_shift, self.start
        )

    def to_dict(self) -> dict:
        return {
            "array": self.array.to_dict(),
            "temporal_dim": self.temporal_dim,
            "frame_shift": self.frame_shift,
            "start": self.start,
        }

    @classmethod
    def from_dict(cls, data: dict) -> TemporalArray:
        return cls(
            Array.from_dict(data["array"]), data["temporal_dim"], data["frame_shift"], data["start"]
        )


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
