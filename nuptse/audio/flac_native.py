"""Random access into FLAC files: the system libFLAC, our own frame search.

Reading 2 seconds at a random offset of a long FLAC through libsndfile costs
three things besides decoding: libsndfile's seek (libFLAC's own search,
which decodes every frame it probes: ~180 us in a 10-minute file), and a
copy of every decoded frame through libsndfile's buffers that costs about as
much as decoding it.  Here libFLAC (found with ``ctypes.util``) decodes into
our own integer buffer, one ``memmove`` per channel and frame, and we find
the frame that holds the first requested sample ourselves:

* Every frame of a fixed-blocksize stream starts with a header that carries
  its frame number and an 8-bit CRC (RFC 9639, section 9.1).  To find frame
  ``k`` we guess its byte offset by interpolating between the nearest frames
  whose offsets we already know, read a few kilobytes there, and take the
  first valid header; a few guesses narrow it down.  Every header found is
  remembered, as is where each read stopped, so later reads of the same file
  need fewer guesses (usually none).
* The decoder is then flushed, its ``FILE`` is repositioned at that header,
  and one libFLAC call decodes forward: the write callback (one Python call
  per frame, ~4096 samples) aborts the decoder once the span is complete.
  The last frame of each read is kept, so consecutive windows of one file
  decode every frame once.

Samples are the integers the stream encodes (FLAC is lossless, so any
conforming decoder gives the same ones); float32 is ``x * 2**-(bits-1)``,
exactly libsndfile's value for 8, 16 and 24-bit streams.  Once per process
a self-check compares our reads with libsndfile's on a few generated files.

Only fixed-blocksize streams of 8, 16 or 24-bit samples with a known length
that agrees with libsndfile are taken.  Anything else gives ``None`` from
:func:`open_flac`; any decoding error, lost sync or unexpected frame makes
:meth:`FlacReader.read` return ``None``; in both cases the caller reads
through libsndfile, which then reports the damage in its own terms.
``NUPTSE_DIRECT_FLAC=0`` disables the path.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading
from bisect import bisect_right, insort
from typing import Optional

import numpy as np

from nuptse.audio.flac import parse_streaminfo
from nuptse.audio.utils import passes_self_check, remember_once

logger = logging.getLogger(__name__)

#: Environment switch: ``NUPTSE_DIRECT_FLAC=0`` leaves all FLAC decoding to libsndfile.
DIRECT_FLAC_ENV = "NUPTSE_DIRECT_FLAC"

_SUPPORTED_BITS = (8, 16, 24)
_WRITE_CONTINUE, _WRITE_ABORT = 0, 1
_MAX_SEARCH_STEPS = 48

_P = ctypes.c_void_p
_WRITE_CB = ctypes.CFUNCTYPE(ctypes.c_int, _P, _P, _P, _P)
_META_CB = ctypes.CFUNCTYPE(None, _P, _P, _P)
_ERROR_CB = ctypes.CFUNCTYPE(None, _P, ctypes.c_int, _P)

_lib_lock = threading.Lock()
_lib: list = []  # [] = not looked up yet; [None] = not available


def _disabled() -> bool:
    return os.environ.get(DIRECT_FLAC_ENV, "1").strip().lower() in ("0", "false", "no", "off")


def _load_libraries():
    """``(libFLAC, libc)`` with the prototypes we call, or None."""
    if os.name != "posix":
        return None  # the FILE we hand libFLAC must come from the C library it uses
    name = ctypes.util.find_library("FLAC")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
        libc = ctypes.CDLL(None)
        fn = lib.FLAC__stream_decoder_new
        fn.restype, fn.argtypes = _P, []
        for fname in (
            "FLAC__stream_decoder_delete",
            "FLAC__stream_decoder_finish",
            "FLAC__stream_decoder_flush",
            "FLAC__stream_decoder_process_until_end_of_stream",
            "FLAC__stream_decoder_process_until_end_of_metadata",
        ):
            fn = getattr(lib, fname)
            fn.restype, fn.argtypes = ctypes.c_int, [_P]
        lib.FLAC__stream_decoder_delete.restype = None
        fn = lib.FLAC__stream_decoder_set_md5_checking
        fn.restype, fn.argtypes = ctypes.c_int, [_P, ctypes.c_int]
        fn = lib.FLAC__stream_decoder_init_FILE
        fn.restype = ctypes.c_int
        fn.argtypes = [_P, _P, _WRITE_CB, _META_CB, _ERROR_CB, _P]
        fn = lib.FLAC__stream_decoder_get_decode_position
        fn.restype, fn.argtypes = ctypes.c_int, [_P, ctypes.POINTER(ctypes.c_uint64)]
        libc.fdopen.restype, libc.fdopen.argtypes = _P, [ctypes.c_int, ctypes.c_char_p]
        libc.fclose.restype, libc.fclose.argtypes = ctypes.c_int, [_P]
        libc.fseeko.restype, libc.fseeko.argtypes = ctypes.c_int, [_P, ctypes.c_int64, ctypes.c_int]
    except (OSError, AttributeError) as e:
        logger.debug("libFLAC %s could not be loaded: %s", name, e)
        return None
    return lib, libc


def _libraries():
    return remember_once(_lib, _lib_lock, lambda: None if _disabled() else _load_libraries())


_match_lock = threading.Lock()
_match: list = []  # [] = not checked yet; [bool] = the check's result


def _matches_libsndfile() -> bool:
    """Whether our reads equal libsndfile's (checked once per process, ~20 ms).

    Encodes short noisy tones with libsndfile (16-bit mono with several
    frames, 24-bit stereo, 8-bit mono), and compares reads from the start,
    inside frames, across frame boundaries, to the end and of everything.
    """
    return remember_once(
        _match,
        _match_lock,
        lambda: passes_self_check(_self_check, "libFLAC", "FLAC is read by libsndfile"),
    )


def _self_check() -> bool:
    import tempfile

    import soundfile as sf

    rng = np.random.default_rng(0)
    for rate, channels, subtype, seconds in (
        (16000, 1, "PCM_16", 1.7),
        (44100, 2, "PCM_24", 0.3),
        (8000, 1, "PCM_S8", 0.6),
    ):
        n = int(rate * seconds)
        t = np.arange(n) / rate
        tone = 0.4 * np.sin(2 * np.pi * 440 * t)[:, None]
        x = np.clip(tone + 0.1 * rng.standard_normal((n, channels)), -1, 1)
        with tempfile.TemporaryFile() as tmp:
            sf.write(tmp, x, rate, format="FLAC", subtype=subtype)
            tmp.seek(0)
            ref = sf.read(tmp, dtype="float32", always_2d=True)[0].T
            reader = open_flac_fd(os.dup(tmp.fileno()), "<self-check>", rate, channels, n, False)
        if reader is None:
            return False
        try:
            spans = [(0, None), (n - 1000, 1000), (4095, 4098), (4096, 50), (7, 4200), (0, 10)]
            spans += [(int(s), 777) for s in rng.integers(0, n - 777, 6)]
            for start, num in spans:
                got = reader.read(start, num)
                want = ref[:, start:] if num is None else ref[:, start : start + num]
                if got is None or got.shape != want.shape or not np.array_equal(got, want):
                    return False
        finally:
            reader.close()
    return True


def direct_flac_available() -> bool:
    """Whether FLAC reads can bypass libsndfile: libFLAC was found and reads
    match libsndfile's bit for bit (checked once per process)."""
    return _libraries() is not None and _matches_libsndfile()


# --------------------------------------------------------------------------- frame headers

_CRC8_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = ((_c << 1) ^ 0x07) & 0xFF if _c & 0x80 else (_c << 1) & 0xFF
    _CRC8_TABLE.append(_c)
del _i, _c

_RATE_CODES = {
    1: 88200,
    2: 176400,
    3: 192000,
    4: 8000,
    5: 16000,
    6: 22050,
    7: 24000,
    8: 32000,
    9: 44100,
    10: 48000,
    11: 96000,
}
_BITS_CODES = {1: 8, 2: 12, 4: 16, 5: 20, 6: 24, 7: 32}


class _Stream:
    """STREAMINFO facts the frame search checks headers against."""

    __slots__ = ("blocksize", "rate", "channels", "bits", "total", "frames")

    def __init__(self, blocksize: int, rate: int, channels: int, bits: int, total: int):
        self.blocksize = blocksize
        self.rate = rate
        self.channels = channels
        self.bits = bits
        self.total = total
        self.frames = -(-total // blocksize)


def _parse_header(buf: bytes, i: int, s: _Stream) -> int:
    """The frame number of a valid fixed-blocksize frame header at ``buf[i]``, else -1."""
    n = len(buf)
    if i + 6 > n:
        return -1
    b2, b3 = buf[i + 2], buf[i + 3]
    bs_code, rate_code = b2 >> 4, b2 & 0x0F
    assignment, bits_code = b3 >> 4, (b3 >> 1) & 0x07
    if bs_code == 0 or rate_code == 15 or b3 & 1 or assignment > 10 or bits_code == 3:
        return -1
    if (2 if assignment > 7 else assignment + 1) != s.channels:
        return -1
    if bits_code and _BITS_CODES[bits_code] != s.bits:
        return -1
    if rate_code in _RATE_CODES and _RATE_CODES[rate_code] != s.rate:
        return -1
    # The frame number, UTF-8 coded (1 to 6 bytes for 31 bits).
    j = i + 4
    first = buf[j]
    if first < 0x80:
        number, extra = first, 0
    elif first >= 0xC0 and first < 0xFE:
        extra = 1
        while first & (0x40 >> extra):
            extra += 1
        number = first & (0x3F >> extra)
        if j + 1 + extra > n:
            return -1
        for k in range(1, extra + 1):
            c = buf[j + k]
            if c & 0xC0 != 0x80:
                return -1
            number = (number << 6) | (c & 0x3F)
    else:
        return -1
    j += 1 + extra
    if bs_code == 1:
        blocksize = 192
    elif bs_code <= 5:
        blocksize = 576 << (bs_code - 2)
    elif bs_code == 6:
        if j + 1 > n:
            return -1
        blocksize = buf[j] + 1
        j += 1
    elif bs_code == 7:
        if j + 2 > n:
            return -1
        blocksize = ((buf[j] << 8) | buf[j + 1]) + 1
        j += 2
    else:
        blocksize = 256 << (bs_code - 8)
    if rate_code >= 12:
        size = 1 if rate_code == 12 else 2
        if j + size > n:
            return -1
        value = buf[j] if size == 1 else (buf[j] << 8) | buf[j + 1]
        rate = value * 1000 if rate_code == 12 else value if rate_code == 13 else value * 10
        if rate != s.rate:
            return -1
        j += size
    if j >= n or number >= s.frames:
        return -1
    last = number == s.frames - 1
    if blocksize != (s.total - number * s.blocksize if last else s.blocksize):
        return -1
    crc = 0
    table = _CRC8_TABLE
    for k in range(i, j):
        crc = table[crc ^ buf[k]]
    return number if crc == buf[j] else -1


# --------------------------------------------------------------------------- reader


class _Fallback(Exception):
    """This read cannot be served here; the caller uses libsndfile."""


class _Target:
    """What the write callback fills: shared by a reader and its callbacks
    (not the reader itself, so that no reference cycle keeps it alive)."""

    __slots__ = ("addr", "row", "base", "cap", "end", "next", "last", "error", "channels")

    def __init__(self, channels: int):
        self.channels = channels
        self.addr = 0  # the int32 (channels, cap) buffer; sample ``base`` at column 0
        self.row = 0
        self.base = 0
        self.cap = 0
        self.end = 0  # stop (abort the decoder) once this sample is written
        self.next = -1  # sample after the last frame written; the next frame must start here
        self.last = -1  # first sample of the last frame written
        self.error: Optional[str] = None


def _make_callbacks(target: _Target):
    u32 = ctypes.c_uint32.from_address
    u64 = ctypes.c_uint64.from_address
    pointer = ctypes.c_void_p.from_address
    memmove = ctypes.memmove
    channels = target.channels
    offsets = [(8 * c, c) for c in range(channels)]

    # FLAC__Frame starts with its header: blocksize (uint32) at byte 0,
    # channels at 8, and (libFLAC always converts to it) the sample number
    # (uint64) at 24.  ``buffer`` is an array of one int32 pointer per channel.
    # Once the span is complete the callback aborts the decoder, so that one
    # call decodes a whole read; the next read flushes it and seeks anyway.
    def write(_decoder, frame, buffer, _client):
        try:
            t = target
            if t.error is not None:
                return _WRITE_ABORT
            blocksize = u32(frame).value
            sample = u64(frame + 24).value
            pos = sample - t.base
            if sample != t.next or pos + blocksize > t.cap or u32(frame + 8).value != channels:
                t.error = f"expected a frame at sample {t.next}, got {blocksize} from {sample}"
                return _WRITE_ABORT
            dest = t.addr + 4 * pos
            if channels == 1:
                memmove(dest, pointer(buffer).value, 4 * blocksize)
            else:
                row = t.row
                for off, c in offsets:
                    memmove(dest + c * row, pointer(buffer + off).value, 4 * blocksize)
            t.last = sample
            t.next = sample + blocksize
            return _WRITE_ABORT if t.next >= t.end else _WRITE_CONTINUE
        except BaseException as e:  # never let an exception cross into C
            target.error = f"{type(e).__name__}: {e}"
            return _WRITE_ABORT

    def error(_decoder, status, _client):
        if target.error is None:
            target.error = f"libFLAC error status {status}"

    return _WRITE_CB(write), _META_CB(lambda *_: None), _ERROR_CB(error)


class FlacReader:
    """Decodes spans of one FLAC file with libFLAC; keeps the decoder and
    what it learned about frame offsets between reads."""

    def __init__(self, libs, fd: int, name: str, stream: _Stream, size: int):
        self.lib, self.libc = libs
        self.name = name
        self.stream = stream
        self.size = size
        self.scale = np.float32(2.0 ** -(stream.bits - 1))
        self.fd = fd
        self.pid = os.getpid()
        self.file = None
        self.dec = None
        self.initialised = False
        self.closed = False
        self.target = _Target(stream.channels)
        self.callbacks = _make_callbacks(self.target)
        # Known frame starts: sorted frame numbers and their byte offsets.
        self.known_frames: list = []
        self.known_offsets: list = []
        self.tail: Optional[np.ndarray] = None  # the last frame decoded, (channels, n) int32
        self.tail_frame = -1
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        lib, libc = self.lib, self.libc
        os.lseek(self.fd, 0, os.SEEK_SET)
        self.file = libc.fdopen(self.fd, b"rb")
        if not self.file:
            raise OSError(f"fdopen failed for {self.name}")
        self.dec = lib.FLAC__stream_decoder_new()
        if not self.dec:
            raise OSError(f"FLAC__stream_decoder_new failed for {self.name}")
        lib.FLAC__stream_decoder_set_md5_checking(self.dec, 0)
        status = lib.FLAC__stream_decoder_init_FILE(self.dec, self.file, *self.callbacks, None)
        if status != 0:
            raise OSError(f"FLAC__stream_decoder_init_FILE failed ({status}) for {self.name}")
        self.initialised = True  # the decoder owns the FILE now
        if not lib.FLAC__stream_decoder_process_until_end_of_metadata(self.dec):
            raise OSError(f"libFLAC could not read the metadata of {self.name}")
        first = self._decode_position()
        if first is None or self.target.error:
            raise OSError(f"libFLAC could not read the metadata of {self.name}")
        self._learn(0, first)
        self._learn(self.stream.frames, self.size)

    def close(self) -> None:
        """Release the decoder, the ``FILE`` and the descriptor (once)."""
        if self.closed:
            return
        self.closed = True
        if os.getpid() != self.pid:
            # In a forked child leave them all alone: closing a read stream
            # moves the file offset that it shares with the parent's copy.
            return
        lib = self.lib
        if self.dec:
            if self.initialised:
                lib.FLAC__stream_decoder_finish(self.dec)  # closes the FILE
            lib.FLAC__stream_decoder_delete(self.dec)
        if self.file and not self.initialised:
            self.libc.fclose(self.file)  # closes the descriptor
        elif not self.file:
            os.close(self.fd)
        self.dec = self.file = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # ----------------------------------------------------------------- search

    def _decode_position(self) -> Optional[int]:
        pos = ctypes.c_uint64()
        if not self.lib.FLAC__stream_decoder_get_decode_position(self.dec, ctypes.byref(pos)):
            return None
        return pos.value

    def _learn(self, frame: int, offset: int) -> None:
        frames = self.known_frames
        i = bisect_right(frames, frame)
        if i and frames[i - 1] == frame:
            return
        insort(frames, frame)
        self.known_offsets.insert(i, offset)

    def _first_header(self, lo: int, hi: int) -> Optional[tuple[int, int]]:
        """The first valid frame header at a byte offset in ``[lo, hi)``."""
        s = self.stream
        chunk = 4096
        pos = lo
        while pos < hi:
            buf = os.pread(self.fd, min(chunk, hi - pos) + 16, pos)
            limit = min(len(buf), hi - pos)
            i = buf.find(b"\xff\xf8", 0, limit)
            while i >= 0:
                number = _parse_header(buf, i, s)
                if number >= 0:
                    return number, pos + i
                i = buf.find(b"\xff\xf8", i + 1, limit)
            if len(buf) < min(chunk, hi - pos):
                return None
            pos += limit
            chunk = min(chunk * 2, 1 << 16)
        return None

    def _offset_of(self, frame: int) -> int:
        """Byte offset of frame ``frame``'s header."""
        frames, offsets = self.known_frames, self.known_offsets
        upper = None  # no header in [upper, offset of the next known frame)
        for _ in range(_MAX_SEARCH_STEPS):
            i = bisect_right(frames, frame) - 1
            f0, b0 = frames[i], offsets[i]
            if f0 == frame:
                return b0
            f1, b1 = frames[i + 1], offsets[i + 1]
            if upper is not None and upper[0] == f1:
                b1 = upper[1]
            per_frame = (b1 - b0) / (f1 - f0)
            guess = int(b0 + (frame - f0) * per_frame - per_frame / 4)
            guess = max(b0 + 1, min(guess, b1 - 1))
            if b1 - b0 <= 4 * per_frame or b1 - guess < 64:
                guess = b0 + 1  # a narrow gap: walk it from the left
            found = self._first_header(guess, b1)
            if found is None:
                if guess <= b0 + 1:
                    break
                upper = (f1, guess)
                continue
            number, offset = found
            if not (f0 < number < f1 and b0 < offset < offsets[i + 1]):
                raise _Fallback(f"frame {number} at byte {offset} is out of order")
            self._learn(number, offset)
            if number > frame:
                upper = None
        raise _Fallback(f"frame {frame} not found")

    # ----------------------------------------------------------------- reads

    def _seek(self, frame: int) -> None:
        offset = self._offset_of(frame)
        if not self.lib.FLAC__stream_decoder_flush(self.dec):
            raise _Fallback("flush failed")
        if self.libc.fseeko(self.file, offset, os.SEEK_SET) != 0:
            raise _Fallback(f"fseek to {offset} failed")

    def read(self, start: int, num: Optional[int]) -> Optional[np.ndarray]:
        """float32 ``(channels, n)`` from sample ``start``, ``n <= num``; None if
        this read must go through libsndfile instead."""
        if self.closed or os.getpid() != self.pid:
            return None
        try:
            return self._read(start, num)
        except _Fallback as e:
            logger.debug("direct FLAC read of %s at %d failed: %s", self.name, start, e)
            self.tail = None
            self.target.error = None
            return None

    def _read(self, start: int, num: Optional[int]) -> np.ndarray:
        s = self.stream
        end = s.total if num is None else min(s.total, start + num)
        channels = s.channels
        if end <= start:
            return np.zeros((channels, 0), dtype=np.float32)
        bs = s.blocksize
        first, last = start // bs, (end - 1) // bs
        base = first * bs
        cap = min(s.total, (last + 1) * bs) - base
        ints = np.empty((channels, cap), dtype=np.int32)
        nxt = base
        tail = self.tail
        if tail is not None and self.tail_frame == first:
            # The previous read ended inside this frame: start from its copy.
            ints[:, : tail.shape[1]] = tail
            nxt += tail.shape[1]
        t = self.target
        t.addr, t.row, t.base, t.cap, t.end = ints.ctypes.data, 4 * cap, base, cap, end
        t.next, t.last, t.error = nxt, -1, None
        if nxt < end:
            self.tail = None
            self._seek(nxt // bs)
            self.lib.FLAC__stream_decoder_process_until_end_of_stream(self.dec)
            if t.error is not None:
                raise _Fallback(t.error)
            if t.next < end:
                raise _Fallback(f"the stream ended at sample {t.next}")
            done = t.next
            if done < s.total:
                position = self._decode_position()
                if position is not None:
                    self._learn(done // bs, position)
            self.tail_frame = t.last // bs
            self.tail = ints[:, t.last - base : done - base].copy()
        out = ints[:, start - base : end - base].astype(np.float32)
        out *= self.scale  # exact: |x| < 2**24, times a power of two
        return out


def _stream_info(fd: int) -> Optional[tuple[_Stream, int]]:
    """STREAMINFO (the first metadata block) of the FLAC file on ``fd``, and the file size."""
    head = os.pread(fd, 42, 0)
    if len(head) < 42 or head[:4] != b"fLaC" or head[4] & 0x7F != 0:
        return None
    info = head[8:42]
    min_bs, max_bs, rate, channels, bits, total = parse_streaminfo(info)
    if min_bs != max_bs or min_bs < 16 or total == 0 or rate == 0:
        return None
    return _Stream(min_bs, rate, channels, bits, total), os.fstat(fd).st_size


def open_flac_fd(
    fd: int, name: str, rate: int, channels: int, frames: int, check: bool = True
) -> Optional[FlacReader]:
    """A :class:`FlacReader` that owns ``fd`` (closed here when None is returned)."""
    libs = _libraries()
    stream = None
    try:
        if libs is not None and (not check or _matches_libsndfile()):
            parsed = _stream_info(fd)
            if parsed is not None:
                stream, size = parsed
                facts = (stream.rate, stream.channels, stream.total)
                if facts != (rate, channels, frames) or stream.bits not in _SUPPORTED_BITS:
                    stream = None
    except OSError as e:
        logger.debug("direct FLAC decoding unavailable for %s: %s", name, e)
        stream = None
    if stream is None:
        os.close(fd)
        return None
    try:
        return FlacReader(libs, fd, name, stream, size)  # owns fd, even when it raises
    except OSError as e:
        logger.debug("direct FLAC decoding unavailable for %s: %s", name, e)
        return None


def open_flac(path: str, rate: int, channels: int, frames: int) -> Optional[FlacReader]:
    """A :class:`FlacReader` for the FLAC file at ``path`` if we read it
    exactly as libsndfile does (else None).

    ``rate``, ``channels`` and ``frames`` are libsndfile's view of the file.

    >>> open_flac("no-such-file.flac", 16000, 1, 100) is None
    True
    """
    if _libraries() is None or not _matches_libsndfile():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    return open_flac_fd(fd, path, rate, channels, frames)
