"""HDF5 backends: ``numpy_hdf5``, ``lilcom_hdf5`` and ``chunked_lilcom_hdf5``.

Layouts (lhotse's): one dataset per key, named by the key. ``numpy_hdf5``
stores the array itself; ``lilcom_hdf5`` stores the lilcom bytes as an opaque
scalar (``np.void``); ``chunked_lilcom_hdf5`` stores a variable-length
``uint8`` vector per chunk, with the chunk size in a scalar dataset named
``__LHOTSE_INTERNAL_CHUNK_SIZE__``.

Writers flush the HDF5 metadata at least once a second (``FLUSH_INTERVAL``)
and on close. HDF5 writes an array's data before the metadata that links it
under its key, so after a crash a key either reads back right or is missing
(or the file cannot be opened): never wrong data. Arrays written in the last
second before a crash may be lost. Readers share one open handle per file and process,
and reopen it when the file on disk changes.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ._lilcom import DEFAULT_TICK_POWER, compress_checked, decompress_checked
from ._paths import is_url, path_str, with_suffix_added
from .base import FeaturesReader, FeaturesWriter, register_reader, register_writer, warn_unused
from .errors import (
    CorruptedFeaturesError,
    FeaturesKeyError,
    FeaturesStorageError,
    check_offsets,
    missing_file,
)

CHUNK_SIZE_KEY = "__LHOTSE_INTERNAL_CHUNK_SIZE__"

_handles: dict[str, tuple[int, tuple, Any]] = {}
_handles_lock = threading.Lock()


def _h5py():
    try:
        import h5py
    except ImportError as e:  # pragma: no cover - h5py is a hard dependency
        raise ImportError("HDF5 feature storage needs 'pip install h5py'") from e
    return h5py


def open_cached(path: str, key: Any = None):
    """A read-only ``h5py.File`` for ``path``, reused while the file is unchanged."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise missing_file(path, key) from None
    sig = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    pid = os.getpid()
    with _handles_lock:
        cached = _handles.get(path)
        if cached is not None and cached[0] == pid and cached[1] == sig and cached[2].id.valid:
            return cached[2]
        if cached is not None and cached[0] == pid:
            try:
                cached[2].close()
            except Exception:
                pass
        try:
            handle = _h5py().File(path, "r")
        except OSError as e:
            raise CorruptedFeaturesError(f"cannot open HDF5 file: {e}", path, key) from e
        _handles[path] = (pid, sig, handle)
        return handle


def _forget(path: str) -> None:
    """Close this process's cached read handle of ``path`` (a writer is about to open it)."""
    with _handles_lock:
        cached = _handles.pop(path, None)
        if cached is not None and cached[0] == os.getpid():
            try:
                cached[2].close()
            except Exception:
                pass


def close_cached_file_handles() -> None:
    """Close the HDF5 files kept open by the readers of this process."""
    pid = os.getpid()
    with _handles_lock:
        for owner, _, handle in _handles.values():
            if owner == pid:
                try:
                    handle.close()
                except Exception:
                    pass
        _handles.clear()


def _dataset(hdf, path: str, key: Any):
    try:
        return hdf[key]
    except KeyError:
        raise FeaturesKeyError("no such dataset in the HDF5 file", path, key) from None
    except Exception as e:
        raise CorruptedFeaturesError(f"cannot read dataset: {e}", path, key) from e


def _open_dataset_id(hdf, path: str, key: Any):
    """The low-level ``DatasetID`` of ``key``: skips h5py's costly ``Dataset`` wrapper."""
    from h5py import h5d

    if not isinstance(key, str) or not key:
        raise FeaturesKeyError("storage key must be a non-empty string", path, key)
    try:
        return h5d.open(hdf.id, key.encode())
    except KeyError:
        raise FeaturesKeyError("no such dataset in the HDF5 file", path, key) from None
    except Exception as e:
        raise CorruptedFeaturesError(f"cannot open dataset: {e}", path, key) from e


def _read_rows(dsid, lo: int, hi: Optional[int]) -> np.ndarray:
    """Rows ``[lo, hi)`` of a dataset through one hyperslab read."""
    from h5py import h5s

    shape = dsid.shape
    out_dtype = dsid.dtype
    if len(shape) == 0:
        out = np.empty((), dtype=out_dtype)
        dsid.read(h5s.ALL, h5s.ALL, out)
        return out
    n = shape[0]
    lo = min(lo, n)
    hi = n if hi is None else min(max(hi, lo), n)
    out = np.empty((hi - lo, *shape[1:]), dtype=out_dtype)
    if out.size == 0:
        return out
    if lo == 0 and hi == n:
        dsid.read(h5s.ALL, h5s.ALL, out)
        return out
    fspace = dsid.get_space()
    fspace.select_hyperslab((lo,) + (0,) * (len(shape) - 1), out.shape)
    dsid.read(h5s.create_simple(out.shape), fspace, out)
    return out


class _Hdf5Writer(FeaturesWriter):
    #: Seconds between flushes of the HDF5 metadata; ``0`` flushes after every array.
    FLUSH_INTERVAL = 1.0

    def __init__(self, storage_path: Any, mode: str = "w") -> None:
        self._path = with_suffix_added(storage_path, ".h5")
        _forget(self._path)
        self.hdf = _h5py().File(self._path, mode=mode)
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    @property
    def storage_path(self) -> str:
        return self._path

    @property
    def storage_path_(self):
        """The archive's path: a ``Path`` for local files (as lhotse's attribute), the URL string otherwise."""
        return self._path if is_url(self._path) else Path(self._path)

    def _store(self, key: str, create) -> str:
        if not isinstance(key, str) or not key:
            raise FeaturesStorageError("storage key must be a non-empty string", self._path, key)
        with self._lock:
            # h5py refuses an existing name itself; no separate (slow) lookup first.
            try:
                create()
                now = time.monotonic()
                if now - self._last_flush >= self.FLUSH_INTERVAL:
                    self.hdf.flush()
                    self._last_flush = now
            except Exception as e:
                raise FeaturesStorageError(f"HDF5 write failed: {e}", self._path, key) from e
        return key

    def close(self) -> None:
        with self._lock:
            if self.hdf.id.valid:
                self.hdf.close()


@register_writer
class NumpyHdf5Writer(_Hdf5Writer):
    """Stores uncompressed arrays as datasets of one HDF5 file (``.h5`` appended).

    ``mode``: ``"w"`` truncate, ``"w-"``/``"x"`` fail if it exists, ``"a"`` append.
    """

    name = "numpy_hdf5"

    def __init__(self, storage_path: Any, mode: str = "w", *args, **kwargs) -> None:
        warn_unused(type(self).__name__, args, kwargs)
        super().__init__(storage_path, mode)

    def write(self, key: str, value: np.ndarray) -> str:
        return self._store(key, lambda: self.hdf.create_dataset(key, data=value))


@register_reader
class NumpyHdf5Reader(FeaturesReader):
    """Reads datasets of a ``numpy_hdf5`` file; a frame range reads only those rows."""

    name = "numpy_hdf5"

    def __init__(self, storage_path: Any, *args, **kwargs) -> None:
        self.storage_path = path_str(storage_path)

    def read(
        self, key: str, left_offset_frames: int = 0, right_offset_frames: Optional[int] = None
    ) -> np.ndarray:
        path = self.storage_path
        check_offsets(left_offset_frames, right_offset_frames, path, key)
        dsid = _open_dataset_id(open_cached(path, key), path, key)
        try:
            return _read_rows(dsid, left_offset_frames, right_offset_frames)
        except Exception as e:
            raise CorruptedFeaturesError(f"cannot read dataset: {e}", path, key) from e


@register_writer
class LilcomHdf5Writer(_Hdf5Writer):
    """Stores lilcom-compressed arrays as opaque datasets of one HDF5 file."""

    name = "lilcom_hdf5"

    def __init__(
        self,
        storage_path: Any,
        tick_power: int = DEFAULT_TICK_POWER,
        mode: str = "w",
        *args,
        **kwargs,
    ) -> None:
        warn_unused(type(self).__name__, args, kwargs)
        super().__init__(storage_path, mode)
        self.tick_power = tick_power

    def write(self, key: str, value: np.ndarray) -> str:
        data = compress_checked(value, self.tick_power, self._path, key)
        return self._store(key, lambda: self.hdf.create_dataset(key, data=np.void(data)))


@register_reader
class LilcomHdf5Reader(FeaturesReader):
    """Reads ``lilcom_hdf5`` files (the whole array is decoded, then sliced)."""

    name = "lilcom_hdf5"

    def __init__(self, storage_path: Any, *args, **kwargs) -> None:
        self.storage_path = path_str(storage_path)

    def read(
        self, key: str, left_offset_frames: int = 0, right_offset_frames: Optional[int] = None
    ) -> np.ndarray:
        path = self.storage_path
        check_offsets(left_offset_frames, right_offset_frames, path, key)
        dsid = _open_dataset_id(open_cached(path, key), path, key)
        try:
            data = _read_rows(dsid, 0, None).tobytes()
        except Exception as e:
            raise CorruptedFeaturesError(f"cannot read dataset: {e}", path, key) from e
        return decompress_checked(data, path, key)[left_offset_frames:right_offset_frames]


@register_writer
class ChunkedLilcomHdf5Writer(_Hdf5Writer):
    """Stores each array as lilcom-compressed chunks of ``chunk_size`` frames."""

    name = "chunked_lilcom_hdf5"

    def __init__(
        self,
        storage_path: Any,
        tick_power: int = DEFAULT_TICK_POWER,
        chunk_size: int = 100,
        mode: str = "w",
        *args,
        **kwargs,
    ) -> None:
        warn_unused(type(self).__name__, args, kwargs)
        super().__init__(storage_path, mode)
        self.tick_power = tick_power
        if CHUNK_SIZE_KEY in self.hdf:
            stored = int(self.hdf[CHUNK_SIZE_KEY][()])
            if stored != chunk_size:
                self.hdf.close()
                raise ValueError(
                    f"{self._path!r} was written with chunk_size={stored}, "
                    f"cannot append with chunk_size={chunk_size}"
                )
        else:
            self.hdf.create_dataset(CHUNK_SIZE_KEY, data=chunk_size)
        self.chunk_size = chunk_size

    def write(self, key: str, value: np.ndarray) -> str:
        arr = np.asarray(value)
        step = self.chunk_size
        chunks = [
            compress_checked(arr[i : i + step], self.tick_power, self._path, key)
            for i in range(0, arr.shape[0], step)
        ]

        def create():
            dset = self.hdf.create_dataset(
                key, dtype=_h5py().vlen_dtype(np.dtype("uint8")), shape=(len(chunks),)
            )
            for i, c in enumerate(chunks):
                dset[i] = np.frombuffer(c, dtype=np.uint8)

        return self._store(key, create)


@register_reader
class ChunkedLilcomHdf5Reader(FeaturesReader):
    """Reads ``chunked_lilcom_hdf5`` files, decoding only the chunks a range needs."""

    name = "chunked_lilcom_hdf5"

    def __init__(self, storage_path: Any, *args, **kwargs) -> None:
        self.storage_path = path_str(storage_path)

    def read(
        self, key: str, left_offset_frames: int = 0, right_offset_frames: Optional[int] = None
    ) -> np.ndarray:
        path = self.storage_path
        check_offsets(left_offset_frames, right_offset_frames, path, key)
        hdf = open_cached(path, key)
        step = int(_dataset(hdf, path, CHUNK_SIZE_KEY)[()])
        dset = _dataset(hdf, path, key)
        first = left_offset_frames // step
        last = None if right_offset_frames is None else -(-right_offset_frames // step)
        try:
            raw = dset[first:last]
        except Exception as e:
            raise CorruptedFeaturesError(f"cannot read dataset: {e}", path, key) from e
        parts = [decompress_checked(c.tobytes(), path, key) for c in raw]
        if not parts:
            if len(dset) == 0:
                return np.empty((0,), dtype=np.float32)
            # An empty range: keep the trailing shape of the stored array.
            return decompress_checked(dset[len(dset) - 1].tobytes(), path, key)[:0]
        arr = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
        lo = left_offset_frames - first * step
        hi = None if right_offset_frames is None else right_offset_frames - first * step
        return arr[lo:hi]
