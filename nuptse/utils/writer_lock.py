"""One writer per output file: a second process or writer on the same path is refused.

Two writers appending to one ``<manifest>.partial`` interleave and truncate
each other's data (in one run a quarter of the ids were lost and the other
writer died with a bare ``FileNotFoundError`` at its rename). A writer takes
an exclusive, non-blocking ``flock`` on ``<path>.lock`` for as long as it is
open; a second writer gets :class:`ConcurrentWriterError` naming the path and
the process holding it. The operating system drops the lock when its holder
exits, so a crashed run never blocks the next one. Where ``fcntl`` is not
available (Windows) no lock is taken.
"""

from __future__ import annotations

import os
from typing import Optional

__all__ = ["ConcurrentWriterError", "WriterLock"]


class ConcurrentWriterError(RuntimeError):
    """Another writer holds the output path."""


class WriterLock:
    """An exclusive lock on ``<path>.lock`` held from :meth:`acquire` to :meth:`release`."""

    def __init__(self, path: str, name: Optional[str] = None) -> None:
        self.path = f"{path}.lock"
        self.target = name if name is not None else path
        self.fd: Optional[int] = None

    def acquire(self) -> WriterLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            finally:
                os.close(fd)
            raise ConcurrentWriterError(
                f"{self.target} is being written by another writer (process {holder}, lock "
                f"{self.path}); wait for it to finish or write to another path"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        try:
            os.unlink(self.path)  # still ours: we hold the lock while removing it
        except OSError:
            pass
        os.close(fd)

    def __del__(self) -> None:
        # An abandoned writer (dropped without close) must not keep the path locked.
        self.release()
