"""Exceptions raised by feature storage backends.

Every error carries the storage path and the key it was about, so a failure in
a pipeline over millions of arrays points at the one that is broken.
"""

from __future__ import annotations

from typing import Any, Optional


def _where(path: Any, key: Any) -> str:
    parts = []
    if path is not None:
        parts.append(f"path={str(path)!r}")
    if key is not None:
        if isinstance(key, (bytes, bytearray, memoryview)):
            parts.append(f"key=<{len(key)} bytes>")
        else:
            parts.append(f"key={key!r}")
    return f" ({', '.join(parts)})" if parts else ""


class FeaturesStorageError(ValueError):
    """A feature array could not be written or read back correctly."""

    def __init__(self, message: str, path: Any = None, key: Any = None) -> None:
        self.path = None if path is None else str(path)
        self.key = key
        self.reason = message
        super().__init__(f"{message}{_where(path, key)}")


class CorruptedFeaturesError(FeaturesStorageError):
    """The stored bytes are truncated or damaged, or do not match the key."""


class FeaturesKeyError(FeaturesStorageError, KeyError):
    """The key does not exist in the storage (an HDF5 dataset, an scp entry)."""

    __str__ = ValueError.__str__


def missing_file(path: Any, key: Any = None) -> FileNotFoundError:
    """A ``FileNotFoundError`` whose message also names the storage key."""
    import errno

    msg = "No such feature file" + (f" for key {key!r}" if key is not None else "")
    return FileNotFoundError(errno.ENOENT, msg, str(path))


def check_offsets(
    left_offset_frames: int, right_offset_frames: Optional[int], path: Any, key: Any
) -> None:
    """Reject negative frame offsets, which would silently index from the end."""
    if left_offset_frames < 0 or (right_offset_frames is not None and right_offset_frames < 0):
        raise FeaturesStorageError(
            f"frame offsets must be non-negative, got left={left_offset_frames}, "
            f"right={right_offset_frames}",
            path,
            key,
        )


class SharPlaceholderFeaturesError(FeaturesStorageError, RuntimeError):
    """Features or arrays with the Shar placeholder storage (``storage_type "shar"``) were
    read outside the Shar reader that fills them in (a ``RuntimeError`` too, as in lhotse)."""
