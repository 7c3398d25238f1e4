"""Array manifests: arrays of any shape kept in a feature storage backend.

lhotse stores extra per-cut data (alignment posteriors, embeddings, ...) as
manifests that name a storage backend, path and key, so they serialize to JSON
and are read only on demand.  :class:`Array` is such an array;
:class:`TemporalArray` adds a time axis with a frame shift, so a cut can load
just its span.  Writers create them with ``FeaturesWriter.store_array``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from nuptse.timing import frames_to_seconds, seconds_to_frames


def _reader(storage_type: str, storage_path: str):
    # nuptse.features.io creates these manifests (store_array), so it is
    # looked up at call time rather than imported by this module.
    get_reader = importlib.import_module("nuptse.features.io").get_reader
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
