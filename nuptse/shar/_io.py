"""Opening shard files: atomic output and readable input (path, URL or pipe).

Output goes to ``<name>.partial`` and is renamed onto ``<name>`` only once it
is complete, for local paths and fsspec URLs alike; so a crash leaves either a
whole shard or a ``.partial`` leftover that no reader takes for a shard.
Output may also be a ``pipe:<shell command>`` given by the caller, which
receives the shard on its standard input (not atomic: the command decides).
Input may be a local path, an fsspec URL (``memory://``, ``s3://``, ...) or,
when the caller allows it explicitly, a ``pipe:<shell command>``.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from typing import Any, BinaryIO

from nuptse.shar.errors import PipeNotAllowedError, SharError

logger = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".partial"
_BUFFER = 1 << 20


def is_url(path: Any) -> bool:
    """Whether ``path`` is an fsspec URL other than ``file://``."""
    s = str(path)
    return "://" in s and not s.startswith("file://")


def is_pipe(path: Any) -> bool:
    return str(path).startswith("pipe:")


def local_path(path: Any) -> str:
    """``path`` as a local filesystem path (``file://`` stripped)."""
    s = str(path)
    return s[len("file://") :] if s.startswith("file://") else s


def join(base: Any, name: str) -> str:
    """``base/name`` for local paths and URLs alike."""
    s = str(base)
    return f"{s.rstrip('/')}/{name}" if s else name


class AtomicShardFile:
    """A binary output file that appears under its final name only on :meth:`commit`."""

    def __init__(self, path: Any):
        self.path = str(path)
        self._url = is_url(path)
        self._proc: subprocess.Popen | None = None
        if is_pipe(path):
            # The caller's own ``pipe:<command>`` output (as lhotse): the command
            # receives the shard on its stdin.  Nothing can be renamed here, so
            # the command itself decides where (and whether) the shard appears.
            self._proc = subprocess.Popen(
                self.path[len("pipe:") :], shell=True, stdin=subprocess.PIPE, bufsize=_BUFFER
            )
            self.file = self._proc.stdin
        elif self._url:
            import fsspec

            self._fs, target = fsspec.core.url_to_fs(self.path)
            self._target = target
            self._tmp = target + PARTIAL_SUFFIX
            self._fs.makedirs(self._fs._parent(target), exist_ok=True)
            self.file: BinaryIO = self._fs.open(self._tmp, "wb")
        else:
            self._target = local_path(self.path)
            self._tmp = self._target + PARTIAL_SUFFIX
            Path(self._target).parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self._tmp, "wb", buffering=_BUFFER)
        self.done = False

    def write(self, data) -> int:
        try:
            return self.file.write(data)
        except BrokenPipeError as e:  # the output command exited early
            rc = self._proc.wait() if self._proc is not None else None
            raise SharError(
                f"the output command stopped reading (exit status {rc})", shard=self.path
            ) from e

    def commit(self) -> None:
        """Close the file and move it onto its final name."""
        if self.done:
            return
        if self._proc is not None:
            try:
                self.file.close()
            except BrokenPipeError:
                pass  # the exit status below says what happened
        else:
            self.file.close()
        if self._proc is not None:
            rc = self._proc.wait()
            self.done = True
            if rc != 0:
                raise SharError(f"the output command exited with status {rc}", shard=self.path)
            return
        if self._url:
            self._fs.mv(self._tmp, self._target)
        else:
            os.replace(self._tmp, self._target)
        self.done = True

    def abort(self) -> None:
        """Close and delete the unfinished file (the final name is never created)."""
        if self.done:
            return
        self.done = True
        if self._proc is not None:
            self._proc.kill()  # the command's partial output, if any, is its own
            try:
                self.file.close()
            except BrokenPipeError:
                pass
            self._proc.wait()
            return
        try:
            self.file.close()
        finally:
            try:
                if self._url:
                    if self._fs.exists(self._tmp):
                        self._fs.rm(self._tmp)
                elif os.path.exists(self._tmp):
                    os.remove(self._tmp)
            except OSError as e:  # pragma: no cover - best effort cleanup
                logger.warning("could not remove the unfinished shard %s: %s", self._tmp, e)


class _PipeReader:
    """The standard output of a shell command, checked for its exit status on close."""

    def __init__(self, cmd: str, source: str):
        self.cmd = cmd
        self.source = source
        self.proc = subprocess.Popen(
            cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=_BUFFER
        )
        self.raw = self.proc.stdout
        self.closed = False

    def read(self, n: int = -1) -> bytes:
        return self.raw.read(n)

    def readinto(self, b) -> int:
        return self.raw.readinto(b)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.raw.close()
        try:
            rc = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.proc.kill()
            rc = self.proc.wait()
        err = self.proc.stderr.read().decode(errors="replace")[-500:]
        self.proc.stderr.close()
        # A reader that stopped early closes the pipe: SIGPIPE (-13) is expected then.
        if rc not in (0, -13):
            raise SharError(
                f"the shard command {self.cmd!r} exited with status {rc}; stderr: {err!r}",
                shard=self.source,
            )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_input(source: Any, allow_pipe: bool = False) -> BinaryIO:
    """Open a shard for sequential binary reading."""
    if is_pipe(source):
        if not allow_pipe:
            raise PipeNotAllowedError(
                "refusing to run the shell command of a 'pipe:' shard source, which executes "
                "arbitrary code; pass allow_pipe=True to the Shar reader to allow it",
                shard=source,
            )
        return _PipeReader(str(source)[len("pipe:") :], str(source))
    try:
        if is_url(source):
            import fsspec

            return fsspec.open(str(source), "rb").open()
        return open(local_path(source), "rb", buffering=_BUFFER)
    except FileNotFoundError as e:
        raise SharError(f"shard file not found: {e}", shard=source) from e
