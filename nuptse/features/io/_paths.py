"""Local-or-fsspec file access shared by the file-based backends.

Local paths use plain ``os`` calls (fast, no extra dependency); anything that
looks like ``scheme://...`` goes through fsspec. Local files are written to a
temporary name in the target folder and renamed into place, so an
interrupted write never leaves a partial file under a key's name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from .errors import CorruptedFeaturesError, missing_file

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def is_url(path: Any) -> bool:
    """True for ``s3://bucket/x``, ``memory://x`` and the like."""
    return isinstance(path, str) and _URL.match(path) is not None


def path_str(path: Any) -> str:
    return path if isinstance(path, str) else os.fspath(path)


def with_suffix_added(path: Any, suffix: str) -> str:
    """Append ``suffix`` unless the name already ends with it (``feats`` -> ``feats.lca``)."""
    p = path_str(path)
    return p if p.endswith(suffix) else p + suffix


def join(storage_path: str, key: str) -> str:
    """``storage_path/key``; a leading ``/`` on the key is dropped as in lhotse."""
    if key.startswith("/") and storage_path:
        key = key[1:]
    if not storage_path:
        return key
    return f"{storage_path.rstrip('/')}/{key}"


def _fs(url: str):
    import fsspec

    return fsspec.core.url_to_fs(url)


def read_bytes(path: str, key: Any, start: int = 0, end: int | None = None) -> bytes:
    """Bytes ``[start, end)`` of a file; a short file raises ``CorruptedFeaturesError``."""
    if is_url(path):
        fs, p = _fs(path)
        try:
            data = fs.cat_file(p, start=start, end=end)
        except FileNotFoundError:
            raise missing_file(path, key) from None
    else:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise missing_file(path, key) from None
        try:
            if end is None:
                end = os.fstat(fd).st_size
                if start > end:
                    end = start + 1  # force the short-read error below
            data = _pread_all(fd, end - start, start)
        finally:
            os.close(fd)
    if end is not None and len(data) != end - start:
        raise CorruptedFeaturesError(
            f"file is truncated: wanted bytes [{start}, {end}) but got {len(data)} bytes",
            path,
            key,
        )
    return data


def _pread_all(fd: int, size: int, offset: int) -> bytes:
    data = os.pread(fd, size, offset)
    if len(data) == size or not data:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = os.pread(fd, size - got, offset + got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def open_read(path: str, key: Any):
    """A binary file object for reading (local or fsspec)."""
    try:
        if is_url(path):
            import fsspec

            return fsspec.open(path, "rb").open()
        return open(path, "rb")
    except FileNotFoundError:
        raise missing_file(path, key) from None


_made_dirs: set[str] = set()


def makedirs(path: str) -> None:
    """``os.makedirs(exist_ok=True)``, remembering folders already made."""
    if path in _made_dirs:
        return
    os.makedirs(path, exist_ok=True)
    _made_dirs.add(path)


def write_file_atomic(path: str, fill: Callable[[Any], None]) -> None:
    """Create ``path`` with ``fill(fileobj)``; the file appears under its name only when complete.

    Local files go to a hidden temporary name in the same folder and are
    renamed over ``path``; fsspec targets are written directly (object stores
    publish an object only once it is complete).
    """
    if is_url(path):
        import fsspec

        with fsspec.open(path, "wb") as f:
            fill(f)
        return
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            fill(f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
