"""One file per array: ``lilcom_files`` (``.llc``), ``numpy_files`` (``.npy``), ``lilcom_url``.

Local layout (lhotse's): ``<storage_path>/<first 3 chars of key>/<key><ext>``,
and the ``storage_key`` is the path below ``storage_path``
(``"f2a/f2a20d12-....llc"``). For an fsspec URL ``storage_path`` the file is
``<storage_path>/<key><ext>`` with no subfolder and the key is ``<key><ext>``.
Local files are written under a temporary name and renamed into place.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Optional

import numpy as np

from ._lilcom import DEFAULT_TICK_POWER, compress_checked, decompress_checked
from ._paths import (
    is_url,
    join,
    makedirs,
    open_read,
    path_str,
    read_bytes,
    write_file_atomic,
)
from .base import FeaturesReader, FeaturesWriter, register_reader, register_writer, warn_unused
from .errors import CorruptedFeaturesError, FeaturesStorageError, check_offsets


class _FileLayout:
    """Where a key's file goes, and the key that finds it again."""

    def __init__(self, storage_path: Any) -> None:
        self.root = path_str(storage_path)
        self.url = is_url(self.root)
        if self.url:
            self.root = self.root.rstrip("/")

    def target(self, key: str, ext: str) -> tuple[str, str]:
        if not isinstance(key, str) or not key:
            raise FeaturesStorageError("storage key must be a non-empty string", self.root, key)
        if not key.endswith(ext):
            key = key + ext
        if self.url:
            key = key.lstrip("/")
            return join(self.root, key), key
        parts = key.replace(os.sep, "/").split("/")
        if key.startswith("/") or ".." in parts:
            raise FeaturesStorageError(
                "storage key must be a relative name without '..'", self.root, key
            )
        sub = key[:3]
        out = os.path.join(self.root, sub, key)
        makedirs(os.path.dirname(out))
        return out, f"{sub}/{key}"


@register_writer
class LilcomFilesWriter(FeaturesWriter):
    """Writes each array as its own lilcom-compressed ``.llc`` file."""

    name = "lilcom_files"

    def __init__(
        self, storage_path: Any, tick_power: int = DEFAULT_TICK_POWER, *args, **kwargs
    ) -> None:
        warn_unused(type(self).__name__, args, kwargs)
        self.layout = _FileLayout(storage_path)
        self.tick_power = tick_power

    @property
    def storage_path(self) -> str:
        return self.layout.root

    def write(self, key: str, value: np.ndarray) -> str:
        data = compress_checked(value, self.tick_power, self.layout.root, key)
        out, storage_key = self.layout.target(key, ".llc")
        write_file_atomic(out, lambda f: f.write(data))
        return storage_key


@register_reader
class LilcomFilesReader(FeaturesReader):
    """Reads ``.llc`` files written by :class:`LilcomFilesWriter` (local or fsspec)."""

    name = "lilcom_files"

    def __init__(self, storage_path: Any, *args, **kwargs) -> None:
        self.storage_path = path_str(storage_path)

    def read(
        self, key: str, left_offset_frames: int = 0, right_offset_frames: Optional[int] = None
    ) -> np.ndarray:
        path = join(self.storage_path, key)
        check_offsets(left_offset_frames, right_offset_frames, path, key)
        arr = decompress_checked(read_bytes(path, key), path, key)
        return arr[left_offset_frames:right_offset_frames]


@register_writer
class LilcomURLWriter(LilcomFilesWriter):
    """``lilcom_url``: :class:`LilcomFilesWriter` under another name, for URL roots."""

    name = "lilcom_url"


@register_reader
class LilcomURLReader(LilcomFilesReader):
    """``lilcom_url``: reads ``<storage_path>/<storage_key>`` through fsspec."""

    name = "lilcom_url"


@register_writer
class NumpyFilesWriter(FeaturesWriter):
    """Writes each array uncompressed as its own ``.npy`` file (dtype kept)."""

    name = "numpy_files"

    def __init__(self, storage_path: Any, *args, **kwargs) -> None:
        warn_unused(type(self).__name__, args, kwargs)
        self.layout = _FileLayout(storage_path)

    @property
    def storage_path(self) -> str:
        return self.layout.root

    def write(self, key: str, value: np.ndarray) -> str:
        arr = np.asarray(value)
        if arr.dtype.hasobject:
            raise FeaturesStorageError(
                f"numpy_files cannot store object arrays (dtype {arr.dtype})", self.layout.root, key
            )
        out, storage_key = self.layout.target(key, ".npy")
        write_file_atomic(out, lambda f: np.save(f, arr, allow_pickle=False))
        return storage_key


@register_reader
class NumpyFilesReader(FeaturesReader):
    """Reads ``.npy`` files; a frame range reads only those rows from disk."""

    name = "numpy_files"

    def __init__(self, storage_path: Any, *args, **kwargs) -> None:
        self.storage_path = path_str(storage_path)

    def read(
        self, key: str, left_offset_frames: int = 0, right_offset_frames: Optional[int] = None
    ) -> np.ndarray:
        path = join(self.storage_path, key)
        check_offsets(left_offset_frames, right_offset_frames, path, key)
        with open_read(path, key) as f:
            try:
                return read_npy_rows(f, left_offset_frames, right_offset_frames, path, key)
            except FeaturesStorageError:
                raise
            except Exception as e:
                raise CorruptedFeaturesError(f"not a readable .npy file: {e}", path, key) from e


def read_npy_rows(
    f, left: int, right: Optional[int], path: Any = None, key: Any = None
) -> np.ndarray:
    """Rows ``[left, right)`` of the ``.npy`` array in the open file ``f``."""
    fmt = np.lib.format
    version = fmt.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = fmt.read_array_header_2_0(f)
    else:
        f.seek(0)
        return np.load(f, allow_pickle=False)[left:right]
    if dtype.hasobject:
        raise ValueError("object arrays are not supported")
    if fortran or len(shape) == 0:
        return fmt.read_array(f, allow_pickle=False)[left:right]
    n = shape[0]
    lo = min(left, n)
    hi = n if right is None else min(max(right, lo), n)
    row = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize
    out = np.empty((hi - lo, *shape[1:]), dtype=dtype)
    if out.nbytes:
        if lo:
            f.seek(lo * row, os.SEEK_CUR)
        got = f.readinto(memoryview(out).cast("B"))
        if got != out.nbytes:
            raise CorruptedFeaturesError(
                f"file is truncated: array of shape {shape} needs {out.nbytes} bytes "
                f"from row {lo}, got {got}",
                path,
                key,
            )
    return out


class FileIO:
    """Opens the files of a directory or URL prefix by key, for writers/readers of one file per key.

    ``open_fileobj(key, "r" | "w", add_subdir=False)`` is a context manager
    giving ``(file object, path)``; with ``add_subdir`` a local file goes into
    the subfolder named by the key's first three characters (as the file
    backends lay them out).  Keys with ``..`` are refused.

    >>> import tempfile
    >>> io = FileIO(tempfile.mkdtemp())
    >>> with io.open_fileobj("abcdef.bin", "w", add_subdir=True) as (f, path):
    ...     _ = f.write(b"x")
    >>> with io.open_fileobj("abc/abcdef.bin", "r") as (f, _):
    ...     f.read()
    b'x'
    """

    def __init__(self, storage_path: Any) -> None:
        self.storage_path = path_str(storage_path)
        self.is_url = is_url(self.storage_path)
        if self.is_url:
            self.storage_path = self.storage_path.rstrip("/")

    def _path(self, key: str, add_subdir: bool) -> str:
        key = str(key).lstrip("/") if self.storage_path else str(key)
        if ".." in key.replace(os.sep, "/").split("/"):
            raise FeaturesStorageError("key must not contain '..'", self.storage_path, key)
        if self.is_url:
            return join(self.storage_path, key)
        if add_subdir:
            return os.path.join(self.storage_path, key[:3], key)
        return os.path.join(self.storage_path, key)

    @contextmanager
    def open_fileobj(self, key: str, mode: str, add_subdir: bool = False):
        from nuptse.serialization import open_best

        if ("r" in mode) == ("w" in mode):
            raise ValueError(f"mode must contain exactly one of 'r' and 'w', got {mode!r}")
        path = self._path(key, add_subdir and "w" in mode)
        if "w" in mode and not self.is_url:
            makedirs(os.path.dirname(path))
        with open_best(path, "wb" if "w" in mode else "rb", gz=False) as f:
            yield f, path
