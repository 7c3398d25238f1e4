"""``lilcom_chunky``: many arrays in one append-only archive (``.lca``).

Layout (lhotse's, byte for byte): each array is split along its first axis
into chunks of 500 frames, each chunk is compressed with lilcom on its own,
and the chunks are appended to the file back to back. The ``storage_key``
is ``"<offset>,<size 1>,<size 2>,..."``: the byte offset of the first chunk
followed by the byte size of every chunk. An array with no frames has no
chunks and its key is just ``"<offset>"``.

Reading a frame range decompresses only the chunks that overlap it, with a
single read of the bytes they span.
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ._lilcom import (
    DEFAULT_TICK_POWER,
    as_float32_copy,
    check_storable,
    compress_checked,
    decompress_checked,
)
from ._paths import is_url, path_str, read_bytes, with_suffix_added
from .base import FeaturesReader, FeaturesWriter, register_reader, register_writer, warn_unused
from .errors import CorruptedFeaturesError, FeaturesStorageError, check_offsets

CHUNKY_FORMAT_CHUNK_SIZE = 500


def parse_chunky_key(key: Any, path: Any = None) -> tuple[int, list[int]]:
    """Split a chunky ``storage_key`` into (start offset, chunk sizes).

    >>> parse_chunky_key("14601,31,23,42")
    (14601, [31, 23, 42])
    """
    try:
        fields = [int(f) for f in str(key).split(",")]
    except ValueError:
        fields = []
    if not fields or any(f < 0 for f in fields):
        raise FeaturesStorageError(
            'malformed lilcom_chunky key: expected "<offset>,<chunk size>,..." with '
            "non-negative integers",
            path,
            key,
        )
    return fields[0], fields[1:]


def compress_chunks(
    key: str,
    value: Any,
    tick_power: int,
    path: Any,
    chunk_size: int = CHUNKY_FORMAT_CHUNK_SIZE,
) -> list[bytes]:
    """``value`` as the compressed chunks of a ``lilcom_chunky`` entry (``path``
    and ``key`` only name the entry in errors); nothing is written."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        raise FeaturesStorageError("cannot store a 0-d array", path, key)
    n = arr.shape[0]
    if n == 0:
        return []
    buf = as_float32_copy(arr, path, key)
    check_storable(buf, tick_power, path, key)
    return [
        compress_checked(
            arr[i : i + chunk_size], tick_power, path, key, buf=buf[i : i + chunk_size]
        )
        for i in range(0, n, chunk_size)
    ]


@register_writer
class LilcomChunkyWriter(FeaturesWriter):
    """Appends lilcom-compressed arrays, in 500-frame chunks, to one ``.lca`` file.

    ``storage_path`` gets an ``.lca`` suffix if it lacks one. ``mode`` is
    ``"w"``/``"wb"`` (truncate) or ``"a"``/``"ab"`` (append to an existing
    archive). Each ``write`` hands its bytes to the operating system before
    returning the key; a failed write is cut back off the file. The input
    array is never modified.

    >>> import numpy as np, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> with LilcomChunkyWriter(os.path.join(d, "feats")) as w:
    ...     key = w.write("utt1", np.zeros((1200, 4), dtype=np.float32))
    >>> key.count(",")  # three chunks: 500 + 500 + 200 frames
    3
    >>> LilcomChunkyReader(w.storage_path).read(key, 450, 520).shape
    (70, 4)
    """

    name = "lilcom_chunky"
    CHUNK_SIZE = CHUNKY_FORMAT_CHUNK_SIZE

    def __init__(
        self,
        storage_path: Any,
        tick_power: int = DEFAULT_TICK_POWER,
        mode: str = "wb",
        *args,
        **kwargs,
    ) -> None:
        warn_unused(type(self).__name__, args, kwargs)
        if "b" not in mode:
            mode += "b"
        if mode not in ("wb", "ab"):
            raise ValueError(f"mode must be 'w' or 'a' (binary implied), got {mode!r}")
        self._path = with_suffix_added(storage_path, ".lca")
        self.tick_power = tick_power
        self._lock = threading.Lock()
        self._url = is_url(self._path)
        if self._url:
            import fsspec

            self.file = fsspec.open(self._path, mode).open()
            self.curr_offset = self.file.tell()
        else:
            self.file = open(self._path, mode, buffering=0)
            self.curr_offset = self.file.seek(0, os.SEEK_END)

    @property
    def storage_path(self) -> str:
        return self._path

    @property
    def storage_path_(self):
        """The archive's path: a ``Path`` for local files (as lhotse's attribute), the URL string otherwise."""
        return self._path if is_url(self._path) else Path(self._path)

    def encoder(self):
        return functools.partial(
            compress_chunks, tick_power=self.tick_power, path=self._path, chunk_size=self.CHUNK_SIZE
        )

    def write(self, key: str, value: np.ndarray) -> str:
        return self.write_encoded(key, self.encoder()(key, value))

    def write_encoded(self, key: str, encoded: list[bytes]) -> str:
        """Append chunks made by :func:`compress_chunks`; return their key."""
        chunks = list(encoded)
        blob = b"".join(chunks)
        with self._lock:
            if self.file.closed:
                raise FeaturesStorageError("writer is closed", self._path, key)
            start = self.curr_offset
            try:
                view = memoryview(blob)
                written = 0
                while written < len(blob):
                    n = self.file.write(view[written:])
                    if not n:
                        raise OSError("the file accepted no more bytes")
                    written += n
                if self._url:
                    self.file.flush()
            except Exception as e:
                self._cut_back(start)
                raise FeaturesStorageError(
                    f"failed to append {len(blob)} bytes at offset {start}: {e}",
                    self._path,
                    key,
                ) from e
            self.curr_offset = start + len(blob)
        return ",".join(map(str, [start, *map(len, chunks)]))

    def _cut_back(self, offset: int) -> None:
        """Drop a partial write so the next array starts where its key will say."""
        if self._url:
            return
        try:
            os.ftruncate(self.file.fileno(), offset)
            self.file.seek(offset)
        except OSError:
            pass

    def close(self) -> None:
        with self._lock:
            if not self.file.closed:
                self.file.close()


@register_reader
class LilcomChunkyReader(FeaturesReader):
    """Reads arrays (or frame ranges of them) from a ``.lca`` archive.

    ``storage_path`` is a local path or an fsspec URL. Only the chunks
    overlapping ``[left_offset_frames, right_offset_frames)`` are read and
    decoded. A truncated archive or damaged chunk raises
    :class:`CorruptedFeaturesError` naming the path and key.
    """

    name = "lilcom_chunky"
    CHUNK_SIZE = CHUNKY_FORMAT_CHUNK_SIZE

    def __init__(self, storage_path: Any, *args, **kwargs) -> None:
        self.storage_path = path_str(storage_path)

    def read(
        self,
        key: str,
        left_offset_frames: int = 0,
        right_offset_frames: Optional[int] = None,
    ) -> np.ndarray:
        path = self.storage_path
        check_offsets(left_offset_frames, right_offset_frames, path, key)
        offset, sizes = parse_chunky_key(key, path)
        step = self.CHUNK_SIZE
        first = left_offset_frames // step
        last = len(sizes) if right_offset_frames is None else -(-right_offset_frames // step)
        last = min(last, len(sizes))
        if first >= last:
            if not sizes:
                return np.empty((0,), dtype=np.float32)
            # An empty range: decode nothing, but keep the trailing shape.
            return self._read_chunks(key, offset, sizes, len(sizes) - 1, len(sizes))[:0]
        arr = self._read_chunks(key, offset, sizes, first, last)
        lo = left_offset_frames - first * step
        hi = None if right_offset_frames is None else right_offset_frames - first * step
        return arr[lo:hi]

    def _read_chunks(
        self, key: str, offset: int, sizes: list[int], first: int, last: int
    ) -> np.ndarray:
        path = self.storage_path
        start = offset + sum(sizes[:first])
        end = start + sum(sizes[first:last])
        data = read_bytes(path, key, start, end)
        step = self.CHUNK_SIZE
        parts = []
        pos = 0
        for idx in range(first, last):
            size = sizes[idx]
            part = decompress_checked(data[pos : pos + size], path, key)
            pos += size
            frames = part.shape[0]
            is_last = idx == len(sizes) - 1
            if (frames != step and not is_last) or frames > step or frames == 0:
                raise CorruptedFeaturesError(
                    f"chunk {idx} decodes to {frames} frames; expected "
                    f"{'1 to ' if is_last else ''}{step}",
                    path,
                    key,
                )
            if parts and part.shape[1:] != parts[0].shape[1:]:
                raise CorruptedFeaturesError(
                    f"chunk {idx} has shape {part.shape}, unlike chunk {first} {parts[0].shape}",
                    path,
                    key,
                )
            parts.append(part)
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
