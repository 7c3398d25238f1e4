"""Open libsndfile files, and the per-thread cache that keeps them open between reads.

Reading many short spans of one long file (the cuts of a long recording)
would re-open it and re-parse its header for every read; :class:`_HandleCache`
keeps the last few files open per thread instead.  :class:`_OpenFile` wraps
one open ``soundfile.SoundFile`` with our own read position.
:mod:`nuptse.audio.backend` reads through them.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import OrderedDict
from typing import Optional

import numpy as np

from nuptse.audio.utils import pcm16_to_float32

logger = logging.getLogger(__name__)

__all__ = ["clear_audio_handle_cache", "set_audio_handle_cache_size"]


#: libsndfile subtypes whose samples are 16-bit integers: read as int16 and
#: scaled by 2**-15 in numpy, which gives libsndfile's float values exactly
#: (a power-of-two scale is exact) several times faster than its own
#: conversion.
_INT16_SUBTYPES = frozenset({"PCM_16"})


class _OpenFile:
    """An open ``soundfile.SoundFile`` plus what we learned about it.

    Keeps our own read position (soundfile's ``read`` seeks after every read
    to re-sync its position, and ``tell`` is a libsndfile call as well).
    """

    __slots__ = ("sf", "path", "stream", "pos", "_raw")

    def __init__(self, f, path: Optional[str], stream=None):
        self.sf = f
        self.path = path
        self.stream = stream  # the in-memory source, if any
        self.pos = 0
        self._raw: Optional[bool] = None

    @property
    def closed(self) -> bool:
        return self.sf.closed

    def close(self) -> None:
        self.sf.close()

    def read(self, start: int, num: Optional[int]) -> np.ndarray:
        """float32 ``(channels, n)`` from frame ``start``; ``n <= num``."""
        f = self.sf
        if self.pos != start:
            f.seek(start)
            self.pos = start
        remaining = max(0, f.frames - start)
        n = remaining if num is None else min(num, remaining)
        if self._raw is None:
            self._raw = _raw_io_available(f)
        if not self._raw:
            data = f.read(frames=n, dtype="float32", always_2d=True)
            self.pos = start + len(data)
            return np.ascontiguousarray(data.T)
        from soundfile import _ffi, _snd

        ch = f.channels
        if f.subtype in _INT16_SUBTYPES:
            buf = np.empty((n, ch), dtype=np.int16)
            got = _snd.sf_readf_short(f._file, _ffi.cast("short*", buf.ctypes.data), n)
            _check_sf_error(f)
            out = np.empty((ch, got), dtype=np.float32)
            pcm16_to_float32(buf[:got].T, out=out)
        else:
            buf = np.empty((n, ch), dtype=np.float32)
            got = _snd.sf_readf_float(f._file, _ffi.cast("float*", buf.ctypes.data), n)
            _check_sf_error(f)
            out = np.ascontiguousarray(buf[:got].T)
        self.pos = start + got
        return out


def _raw_io_available(f) -> bool:
    """Whether soundfile exposes the cffi handles we call directly."""
    try:
        from soundfile import _ffi, _snd  # noqa: F401

        return hasattr(f, "_file") and hasattr(_snd, "sf_readf_short") and f.seekable()
    except ImportError:
        return False


def _check_sf_error(f) -> None:
    from soundfile import _snd

    code = _snd.sf_error(f._file)
    if code:
        from soundfile import _ffi

        msg = _ffi.string(_snd.sf_error_number(code)).decode("utf-8", "replace")
        raise RuntimeError(f"libsndfile error {code} reading {f.name}: {msg}")


class _HandleCache(threading.local):
    """Per-thread LRU of open files (:class:`_OpenFile`) for local paths.

    Reading many short spans of one long file (cuts of a long recording) then
    skips re-opening and re-parsing the header for every read.  A handle is
    keyed by path, inode, size and mtime, so a replaced file is re-opened; a
    forked child (DataLoader worker) starts with an empty cache instead of
    sharing its parent's file offsets.  A handle in use is out of the cache,
    so nested reads of the same file get their own.
    """

    max_size = 16

    def __init__(self):
        self.pid = os.getpid()
        self.items: OrderedDict = OrderedDict()

    def acquire(self, path: str, key) -> _OpenFile:
        import soundfile as sf

        if self.pid != os.getpid():
            self.items = OrderedDict()
            self.pid = os.getpid()
        h = self.items.pop(key, None)
        if h is None or h.closed:
            h = _OpenFile(sf.SoundFile(path), path)
        return h

    def release(self, key, f) -> None:
        if self.max_size <= 0:
            f.close()
            return
        self.items[key] = f
        while len(self.items) > self.max_size:
            self.items.popitem(last=False)[1].close()

    def clear(self) -> None:
        for f in self.items.values():
            f.close()
        self.items.clear()


_handles = _HandleCache()


def set_audio_handle_cache_size(size: int) -> None:
    """How many decoded files each thread keeps open (0 disables the cache)."""
    if size < 0:
        raise ValueError(f"The handle cache size must be >= 0, got {size}")
    _HandleCache.max_size = int(size)
    _handles.clear()


def clear_audio_handle_cache() -> None:
    """Close this thread's cached file handles."""
    _handles.clear()


# Close the main thread's cached files while soundfile is still whole: left
# to garbage collection at shutdown, their close runs after soundfile's
# globals are gone and prints "Exception ignored" tracebacks.
atexit.register(clear_audio_handle_cache)
