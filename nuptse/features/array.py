"""Array manifests: arrays of any shape kept in a feature storage backend.

lhotse stores extra per-cut data (alignment posteriors, embeddings, ...) as
manifests that name a storage backend, path and key, so they serialize to JSON
and are read only on demand.  :class:`Array` is such an array;
:class:`TemporalArray` adds a time axis with a frame shift, so a cut can load
just its span.  Writers create them with ``FeaturesWriter.store_array``.

>>> a = Array(storage_type="numpy_files", storage_path="d", storage_key="k.npy", shape=[50, 4])
>>> t = TemporalArray(array=a, temporal_dim=0, frame_shift=0.01, start=1.0)
>>> t.ndim, t.num_frames, t.duration, t.end
(2, 50, 0.5, 1.5)
"""

from __future__ import annotations

import importlib
import math
import warnings
from dataclasses import dataclass
from typing import Any, Optional

from nuptse.timing import frames_to_seconds, round_time, seconds_to_frames


def _io():
    # nuptse.features.io creates these manifests (store_array), so it is
    # looked up at call time rather than imported by this module.
    return importlib.import_module("nuptse.features.io")


def _reader(storage_type: str, storage_path: str):
    return _io().get_reader(storage_type)(storage_path)


def _half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


def frame_index(
    duration: float, frame_shift: float, max_index: Optional[int] = None
) -> int:
    """The frame ``duration`` seconds into an array (halves up), at most ``max_index``.

    >>> frame_index(0.125, 0.01), frame_index(3.0, 0.01, max_index=50)
    (13, 50)
    """
    if duration < 0:
        raise ValueError(f"a time offset into an array cannot be negative, got {duration}")
    index = seconds_to_frames(duration, frame_shift, round_fn=_half_up)
    return index if max_index is None else min(index, max_index)


def _memory_copy(arr: Any, lilcom: bool) -> Array:
    import numpy as np

    name = "memory_lilcom" if lilcom and np.issubdtype(arr.dtype, np.floating) else "memory_raw"
    writer = _io().get_memory_writer(name)()
    key = writer.write("", arr)  # in-memory writers ignore the key
    return Array(storage_type=writer.name, storage_path="", storage_key=key, shape=list(arr.shape))


@dataclass
class Array:
    """An array of any shape stored in a feature storage backend."""

    storage_type: str
    storage_path: str
    storage_key: Any
    shape: list

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def is_in_memory(self) -> bool:
        return self.storage_type.startswith("memory")

    @property
    def is_placeholder(self) -> bool:
        """Stored inside Shar tar files (filled in by the Shar reader)."""
        return self.storage_type == "shar"

    def load(self):
        return _reader(self.storage_type, self.storage_path).read(self.storage_key)

    def with_path_prefix(self, path) -> Array:
        from pathlib import Path

        return Array(
            self.storage_type, str(Path(path) / self.storage_path), self.storage_key, self.shape
        )

    def move_to_memory(self, lilcom: bool = False) -> Array:
        """A copy whose data lives in the manifest itself (``memory_raw``, or
        ``memory_lilcom`` for floats with ``lilcom=True``)."""
        if self.is_in_memory:
            return self
        return _memory_copy(self.load(), lilcom)

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

    def __repr__(self) -> str:
        key = self.storage_key if isinstance(self.storage_key, str) else "<binary-data>"
        return (
            f"Array(storage_type={self.storage_type!r}, storage_path={self.storage_path!r}, "
            f"storage_key={key!r}, shape={self.shape})"
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
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def is_in_memory(self) -> bool:
        return self.array.is_in_memory

    @property
    def is_placeholder(self) -> bool:
        return self.array.is_placeholder

    @property
    def num_frames(self) -> int:
        return self.array.shape[self.temporal_dim]

    @property
    def duration(self) -> float:
        return frames_to_seconds(self.num_frames, self.frame_shift)

    @property
    def end(self) -> float:
        return round_time(self.start + self.duration)

    def _frame_range(
        self, start: Optional[float], duration: Optional[float]
    ) -> tuple[int, Optional[int]]:
        """Frames ``[left, right)`` of ``[start, start + duration)`` (``start`` in the array's time)."""
        if start is None:
            start = self.start
        if start < self.start - 1e-5:
            raise ValueError(
                f"cannot load this array from {start} s: it covers [{self.start}, {self.end}] s"
            )
        if duration is not None and duration <= 0:
            raise ValueError(f"duration must be positive, got {duration}")
        limit = self.num_frames
        left = 0
        if not math.isclose(start, self.start):
            left = frame_index(start - self.start, self.frame_shift, limit)
        right = None
        if duration is not None:
            right = left + frame_index(duration, self.frame_shift, limit)
        return left, right

    def load(self, start: Optional[float] = None, duration: Optional[float] = None):
        """The data, or the frames of ``[start, start + duration)`` along ``temporal_dim``.

        Along the first axis the storage backend reads only those frames.
        """
        left, right = self._frame_range(start, duration)
        reader = _reader(self.array.storage_type, self.array.storage_path)
        if self.temporal_dim == 0:
            return reader.read(
                self.array.storage_key, left_offset_frames=left, right_offset_frames=right
            )
        data = reader.read(self.array.storage_key)
        if left == 0 and right is None:
            return data
        index = [slice(None)] * data.ndim
        index[self.temporal_dim] = slice(left, right)
        return data[tuple(index)]

    def with_path_prefix(self, path) -> TemporalArray:
        return TemporalArray(
            self.array.with_path_prefix(path), self.temporal_dim, self.frame_shift, self.start
        )

    def move_to_memory(
        self, start: float = 0, duration: Optional[float] = None, lilcom: bool = False
    ) -> TemporalArray:
        """The frames of ``[start, start + duration)`` as an in-memory array starting at 0 s.

        ``start`` is in the array's time, like :attr:`start` (a cut passes its
        own start); the default 0 means the array's beginning.
        """
        if self.is_in_memory:
            return self
        data = self.load(start=start if start else None, duration=duration)
        out = TemporalArray(
            array=_memory_copy(data, lilcom),
            temporal_dim=self.temporal_dim,
            frame_shift=self.frame_shift,
            start=0.0,
        )
        if out.shape == [0]:
            warnings.warn(
                "moved an empty TemporalArray to memory (shape [0]); with long recordings, "
                "check that the array's start is set",
                stacklevel=2,
            )
        return out

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
