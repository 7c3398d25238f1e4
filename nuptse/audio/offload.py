"""Decoding in-memory audio in a helper process (used by Shar's decode-ahead).

Decoding FLAC is most of the work of reading a Shar corpus.  Threads do not
help much there: the decoders hand the GIL back and forth once per frame, and
a thread waiting for the GIL waits on whatever the main thread is doing.  A
helper process has its own interpreter, so on a machine with an idle core
the decoding really runs beside the caller.

:class:`DecodeProcess` starts ``python -m nuptse.audio.offload``.  Each
request is the encoded bytes, and each response is what
:func:`~nuptse.audio.backend.read_audio` gives for them (float32
``(channels, n)`` and the rate), so the samples are identical to an
in-process decode.  The pipes carry raw bytes (no pickling):

* request: ``<Q`` length, then the encoded bytes;
* response: ``<BHIQ`` (kind, channels, rate, frames), then the samples in
  C order: float32, or for 16-bit FLAC the int16 samples (half the bytes),
  which the caller scales exactly as ``read_audio`` does; kind 0 (no samples
  follow) means the bytes did not decode, and the caller decodes them itself
  to get the usual error.

The helper first writes one byte when it is ready (imports done), so a
caller can keep decoding by itself until then (:meth:`DecodeProcess.ready`).
Requests are written without blocking (what the pipe cannot take yet is sent
while the caller waits for an answer), so a caller waiting for an answer
never deadlocks against a helper blocked on a full pipe, and no extra thread
competes with the caller for the GIL.  POSIX only (the
readiness check uses ``select`` on a pipe).
"""

from __future__ import annotations

import atexit
import io
import logging
import os
import select
import struct
import subprocess
import sys
import threading
from collections import deque
from typing import Optional

import numpy as np

from nuptse.audio.utils import pcm16_to_float32

logger = logging.getLogger(__name__)

_REQUEST = struct.Struct("<Q")
_RESPONSE = struct.Struct("<BHIQ")
_READY = b"R"
#: Answer kinds (the first header field).
_FAILED, _FLOAT32, _INT16 = 0, 1, 2
#: Pipe buffer asked for (Linux): a few answers fit, so the helper rarely waits for the caller.
_PIPE_SIZE = 1 << 20

#: Whether this platform can run the helper (``select`` on pipes).
SUPPORTED = os.name == "posix"


class DecodeProcessError(RuntimeError):
    """The helper process died or broke the protocol (the caller decodes in-process instead)."""


def _read_exactly(stream, view: memoryview) -> None:
    """Fill ``view`` from ``stream`` (an unbuffered pipe); EOF raises :class:`DecodeProcessError`."""
    got, total = 0, len(view)
    while got < total:
        n = stream.readinto(view[got:])
        if not n:
            raise DecodeProcessError(f"decode process closed its output after {got}/{total} bytes")
        got += n


def _grow_pipe(pipe) -> None:
    """Ask Linux for a larger pipe buffer (fewer wake-ups per answer); elsewhere a no-op."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_SIZE)
    except (ImportError, OSError):
        pass


def _write_all(stream, data) -> None:
    """Write all of ``data`` to an unbuffered pipe (a raw write may take only part)."""
    view = memoryview(data).cast("B")
    while len(view):
        view = view[stream.write(view) :]


class DecodeProcess:
    """One helper process decoding audio bytes, answering in the order asked.

    >>> import io, numpy as np, soundfile as sf
    >>> buf = io.BytesIO(); sf.write(buf, np.zeros(800, dtype="int16"), 8000, format="FLAC")
    >>> with DecodeProcess() as helper:
    ...     helper.submit(buf.getvalue())
    ...     samples, rate = helper.result()
    >>> samples.shape, samples.dtype, rate
    ((1, 800), dtype('float32'), 8000)
    """

    def __init__(self) -> None:
        if not SUPPORTED:
            raise DecodeProcessError(f"decode processes need a POSIX system, not {os.name!r}")
        if not sys.executable:
            raise DecodeProcessError("no Python executable to start a decode process with")
        # The helper imports nuptse from wherever this process did.
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "nuptse.audio.offload"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            close_fds=True,
            env=env,
        )
        self._out = self._proc.stdout
        self._in = self._proc.stdin
        _grow_pipe(self._out)
        _grow_pipe(self._in)
        # Requests are written without blocking, from the caller's thread:
        # what does not fit in the pipe waits in ``_unsent`` and goes out
        # whenever the caller comes back (submit, has_answer, result).
        os.set_blocking(self._in.fileno(), False)
        self._unsent: deque = deque()
        self._broken = False
        self._is_ready = False
        self.outstanding = 0  # submitted, response not yet read
        self._head = bytearray(_RESPONSE.size)
        self._pid = os.getpid()

    def _pump(self) -> None:
        """Write as much of the unsent requests as the pipe takes now."""
        fd = self._in.fileno() if not self._in.closed else -1
        while self._unsent and fd >= 0:
            view = self._unsent[0]
            try:
                n = os.write(fd, view)
            except BlockingIOError:
                return
            except OSError:  # the helper is gone: result() reports it
                self._broken = True
                self._unsent.clear()
                return
            if n < len(view):
                self._unsent[0] = view[n:]
                return
            self._unsent.popleft()

    def _wait_readable(self) -> None:
        """Block until the helper has written something, sending requests meanwhile."""
        while True:
            self._pump()
            writing = [self._in] if self._unsent else []
            readable, _, _ = select.select([self._out], writing, [])
            if readable:
                return

    def _take_ready(self) -> None:
        byte = self._out.read(1)
        if byte != _READY:
            raise DecodeProcessError(f"decode process did not start (got {byte!r})")
        self._is_ready = True

    def ready(self) -> bool:
        """Whether the helper has started (never blocks)."""
        if not self._is_ready and select.select([self._out], [], [], 0)[0]:
            self._take_ready()
        return self._is_ready

    def has_answer(self) -> bool:
        """Whether the next answer has (at least begun to) come in (never blocks)."""
        self._pump()
        return bool(select.select([self._out], [], [], 0)[0])

    def submit(self, data: bytes) -> None:
        """Ask for ``data`` to be decoded; its answer comes after every earlier one."""
        self._unsent.append(memoryview(_REQUEST.pack(len(data))))
        self._unsent.append(memoryview(data).cast("B"))
        self.outstanding += 1
        self._pump()

    def result(self) -> Optional[tuple[np.ndarray, int]]:
        """The next answer: ``(float32 (channels, n), rate)``, or None if those bytes did not decode."""
        if self.outstanding <= 0:
            raise DecodeProcessError("result() without a pending request")
        if self._broken:
            raise DecodeProcessError("decode process stopped taking requests")
        self._wait_readable()
        if not self._is_ready:
            self._take_ready()
            self._wait_readable()
        self.outstanding -= 1
        # An answer, once begun, is written whole: blocking reads are safe.
        _read_exactly(self._out, memoryview(self._head))
        kind, channels, rate, frames = _RESPONSE.unpack(self._head)
        if kind == _FAILED:
            return None
        if kind not in (_FLOAT32, _INT16):
            raise DecodeProcessError(f"decode process sent an unknown answer kind {kind}")
        dtype = np.float32 if kind == _FLOAT32 else np.int16
        samples = np.empty((channels, frames), dtype=dtype)
        _read_exactly(self._out, memoryview(samples).cast("B"))
        if kind == _INT16:  # as nuptse.audio.backend scales 16-bit FLAC
            samples = pcm16_to_float32(samples)
        return samples, rate

    def close(self) -> None:
        """Stop the helper (answers not yet read are dropped)."""
        self._unsent.clear()
        try:
            self._in.close()  # the helper exits at the end of its input
        except OSError:
            pass
        proc = self._proc
        try:
            proc.wait(timeout=0.2 if self.outstanding == 0 else 0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._out.close()

    def alive(self) -> bool:
        """Whether the helper can take requests (running, and started by this process)."""
        return (
            self._pid == os.getpid()
            and not self._broken
            and self._proc.poll() is None
            and not self._out.closed
        )

    def __enter__(self) -> DecodeProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# Helpers outlive the read that started them: starting one costs about half
# a second of CPU (an interpreter, numpy, the decoders), as much as reading a
# few hundred cuts.  A read's helpers are kept here when it ends (idle, each
# blocked on its input) and the next read takes them; they exit when this
# process does (their input closes).
_parked: list = []
_parked_lock = threading.Lock()
_MAX_PARKED = 8


def acquire() -> DecodeProcess:
    """A started helper: one a finished read left behind, or a new one."""
    with _parked_lock:
        while _parked:
            helper = _parked.pop()
            if helper.alive():
                return helper
            helper.close()
    return DecodeProcess()


def release(helper: DecodeProcess) -> None:
    """Keep ``helper`` for the next read, or stop it (unread answers, or too many kept)."""
    with _parked_lock:
        if helper.outstanding == 0 and helper.alive() and len(_parked) < _MAX_PARKED:
            _parked.append(helper)
            return
    helper.close()


def _stop_parked() -> None:
    with _parked_lock:
        while _parked:
            _parked.pop().close()


def _forget_parked() -> None:
    """In a forked child: the parent's helpers are not ours; drop our copies of their pipes."""
    for helper in _parked:
        for pipe in (helper._proc.stdin, helper._out):
            try:
                pipe.close()
            except OSError:
                pass
    _parked.clear()


atexit.register(_stop_parked)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parked)


def _decode(data: bytearray) -> tuple[int, np.ndarray, int]:
    """``(kind, samples, rate)`` of one request, as :func:`read_audio` gives it.

    16-bit FLAC goes back as its int16 samples (kind ``_INT16``, half the
    bytes); the caller scales them to float32 exactly as ``read_audio`` does.
    """
    if data[:4] == b"fLaC":
        from nuptse.audio.flac import decode_flac16

        decoded = decode_flac16(bytes(data))
        if decoded is not None:
            return _INT16, np.ascontiguousarray(decoded[0]), decoded[1]
    from nuptse.audio.backend import read_audio

    samples, rate = read_audio(io.BytesIO(data))
    return _FLOAT32, np.ascontiguousarray(samples, dtype=np.float32), rate


def _serve(inp, out) -> None:
    """The helper's loop: answer each request until the input closes."""
    import nuptse.audio.backend  # noqa: F401  (imported before answering "ready")
    import nuptse.audio.flac  # noqa: F401

    _write_all(out, _READY)
    head = bytearray(_REQUEST.size)
    while True:
        n = inp.readinto(head)
        if not n:
            return
        if n < len(head):
            _read_exactly(inp, memoryview(head)[n:])
        (size,) = _REQUEST.unpack(head)
        data = bytearray(size)
        _read_exactly(inp, memoryview(data))
        try:
            kind, samples, rate = _decode(data)
        except Exception as e:  # the caller decodes it again and reports the error
            logger.debug("decode process could not decode a request: %s", e)
            _write_all(out, _RESPONSE.pack(_FAILED, 0, 0, 0))
        else:
            _write_all(out, _RESPONSE.pack(kind, samples.shape[0], rate, samples.shape[1]))
            _write_all(out, samples)


def _main() -> None:
    # The protocol gets its own descriptor; anything else printed to stdout
    # (by a library, say) goes to stderr instead of into the answers.
    answers = os.dup(1)
    os.dup2(2, 1)
    inp = open(0, "rb", buffering=0, closefd=False)
    out = open(answers, "wb", buffering=0)
    try:
        _serve(inp, out)
    except (BrokenPipeError, KeyboardInterrupt, DecodeProcessError):
        pass


if __name__ == "__main__":
    _main()
