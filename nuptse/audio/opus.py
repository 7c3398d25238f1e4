"""Random access into Ogg Opus files: our page index, libopus for decoding.

libsndfile decodes Ogg Opus at the stream's input rate, but every seek is a
bisection over the file followed by a pre-roll decode, and soundfile seeks
again after each read; a 2-second read at a random offset of a 10-minute file
spends about a third of its time finding the page.  Here one pass over the
page headers (when the file is first opened) records each page's byte
offset and granule position, so a read goes to the right page at once, and
skips the packets before its pre-roll by their durations (from each packet's
TOC byte) without decoding them.

Samples are decoded by libopus itself (found with ``ctypes.util``), through
the same float API and at the same rate as libsndfile, and pre-skip is
trimmed the same way, so a read from the start gives libsndfile's samples
bit for bit.  A read at an offset starts decoding 0.75 s early, at a packet
boundary, with a freshly reset decoder.  RFC 7845 (section 4.1) asks for at
least 80 ms of pre-roll, but the decoder's state converges slowly: over 200
random 2-second reads of 16 kHz speech, the largest deviation from a full
decode was 0.25 with 80 ms of pre-roll, 2.7e-2 with 0.25 s, 3.5e-3 with
0.5 s and 3.0e-3 with 0.75 s, the same as libsndfile's own seeks (3.0e-3);
most reads match exactly.  A read that starts where the previous read of
the same open file stopped continues with the decoder's state, so
consecutive windows join exactly.

Only what libsndfile would decode identically is handled: one logical
stream, channel mapping family 0 (mono/stereo), zero output gain, a rate
libopus decodes natively.  Anything else returns ``None`` from
:func:`open_opus` and the caller uses libsndfile.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import itertools
import logging
import os
import struct
import threading
import zlib
from bisect import bisect_right
from typing import BinaryIO, Optional, Union

import numpy as np

from nuptse.audio.utils import passes_self_check, remember_once
from nuptse.timing import compute_num_samples

logger = logging.getLogger(__name__)

#: Environment switch: ``NUPTSE_DIRECT_OPUS=0`` leaves all Opus decoding to libsndfile.
DIRECT_OPUS_ENV = "NUPTSE_DIRECT_OPUS"

_OPUS_RESET_STATE = 4028
_MAX_PACKET_48K = 5760  # 120 ms, the longest Opus packet
_PREROLL_S = 0.75  # seconds decoded and dropped before a seek target
_NATIVE_RATES = (8000, 12000, 16000, 24000, 48000)

_lib_lock = threading.Lock()
_lib: list = []  # [] = not looked up yet; [None] = not available


def _libopus():
    """The libopus shared library with the few prototypes we call, or None."""
    return remember_once(_lib, _lib_lock, _load_libopus)


def _load_libopus():
    if os.environ.get(DIRECT_OPUS_ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    name = ctypes.util.find_library("opus")
    try:
        lib = ctypes.CDLL(name) if name else None
    except OSError as e:
        logger.debug("libopus %s could not be loaded: %s", name, e)
        return None
    if lib is not None:
        lib.opus_decoder_create.restype = ctypes.c_void_p
        lib.opus_decoder_create.argtypes = [
            ctypes.c_int32,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_int),
        ]
        lib.opus_decoder_destroy.restype = None
        lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
        lib.opus_decode_float.restype = ctypes.c_int
        lib.opus_decode_float.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_int32,
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_int,
        ]
        lib.opus_decoder_ctl.restype = ctypes.c_int
    return lib


_match_lock = threading.Lock()
_match: list = []  # [] = not checked yet; [bool] = the check's result


def _matches_libsndfile() -> bool:
    """Whether the libopus we found decodes exactly as libsndfile's own copy.

    Decoders of different libopus releases may differ in the last bits, and
    libsndfile carries its own.  So once per process we encode two short
    signals with libsndfile (mono 16 kHz, stereo 48 kHz), decode them both
    ways and keep the direct path only if every sample agrees (~10 ms).
    """
    return remember_once(
        _match,
        _match_lock,
        lambda: passes_self_check(_self_check, "libopus", "Ogg Opus is read through libsndfile"),
    )


def _self_check() -> bool:
    import soundfile as sf

    rng = np.random.default_rng(0)
    for rate, channels in ((16000, 1), (48000, 2)):
        t = np.arange(rate // 4) / rate
        tone = 0.3 * np.sin(2 * np.pi * 440 * t)[:, None]
        x = (tone + 0.05 * rng.standard_normal((t.size, channels))).astype(np.float32)
        buf = io.BytesIO()
        sf.write(buf, x, rate, format="OGG", subtype="OPUS")
        data = buf.getvalue()
        ref = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)[0].T
        index = _scan(io.BytesIO(data))
        if index is None:
            return False
        reader = OpusReader(data, index, rate, channels, ref.shape[1])
        try:
            got = reader.read(0, None)
        finally:
            reader.close()
        if got.shape != ref.shape or not np.array_equal(got, ref):
            return False
    return True


def direct_opus_available() -> bool:
    """Whether Ogg Opus reads can bypass libsndfile: libopus was found and
    decodes bit for bit as libsndfile does (checked once per process)."""
    return _libopus() is not None and _matches_libsndfile()


class _Index:
    """Byte offset, granule position and continuation flag of every page."""

    def __init__(self, offsets, granules, fresh, first_audio: int, head: bytes):
        self.offsets = offsets  # list[int], one extra entry: the file size
        self.granules = granules  # list[int], -1 where no packet ends on the page
        self.fresh = fresh  # list[bool]: the page starts with a new packet
        self.first_audio = first_audio
        self.head = head


#: Each byte value with its bits reversed (for the Ogg CRC below).
_BIT_REVERSED = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _ogg_crc(page: bytes) -> int:
    """The Ogg page checksum: CRC-32 with polynomial 0x04C11DB7, not reflected,
    initial value 0, no final xor, over the page with its CRC field zeroed.

    zlib's CRC-32 is the reflected form of the same polynomial, so the Ogg
    value is zlib's (with its pre- and post-inversion undone) over the
    bit-reversed bytes, bit-reversed: two C calls instead of a Python loop.
    """
    raw = zlib.crc32(page.translate(_BIT_REVERSED), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{raw:032b}"[::-1], 2)


def _scan(fh: BinaryIO) -> Optional[_Index]:
    """Read every page header of an Ogg Opus file; None if we must not handle it
    (including any page whose checksum does not match: libsndfile then reads
    the file and reports what it makes of the damage)."""
    fh.seek(0)
    buf = fh.read()
    offsets, granules, fresh = [], [], []
    serial = None
    pos, n = 0, len(buf)
    unpack = struct.Struct("<4sBBqII").unpack_from
    while pos + 27 <= n:
        magic, version, flags, granule, ser, _seq = unpack(buf, pos)
        if magic != b"OggS" or version != 0:
            return None
        if serial is None:
            serial = ser
        elif ser != serial:
            return None  # multiplexed or chained streams
        nseg = buf[pos + 26]
        body = sum(buf[pos + 27 : pos + 27 + nseg])
        end = pos + 27 + nseg + body
        if end > n:
            return None
        crc = int.from_bytes(buf[pos + 22 : pos + 26], "little")
        if _ogg_crc(buf[pos : pos + 22] + b"\0\0\0\0" + buf[pos + 26 : end]) != crc:
            return None
        offsets.append(pos)
        granules.append(granule)
        fresh.append(not (flags & 1))
        pos = end
    if pos != n or len(offsets) < 3:
        return None
    offsets.append(n)
    # The identification header fills page 0 and the comment header ends a
    # page of its own (RFC 7845, section 3): audio starts on the page after
    # the one where the second packet completes.
    head = _first_packet(buf, 0)
    first_audio, done = None, 0
    for p in range(len(offsets) - 1):
        nseg = buf[offsets[p] + 26]
        done += sum(1 for s in buf[offsets[p] + 27 : offsets[p] + 27 + nseg] if s < 255)
        if done >= 2:
            first_audio = p + 1
            break
    if done != 2 or first_audio is None or first_audio >= len(offsets) - 1:
        return None
    if not fresh[first_audio]:
        return None
    # We number decoded samples from 0 at the first audio packet; a stream
    # that starts at a later granule position (cut from a live stream) is
    # left to libsndfile.  (On the last page the granule may be smaller: the
    # end trimming.)
    g = granules[first_audio]
    decoded = sum(_packet_samples(pk) for pk in _page_packets(buf, offsets[first_audio]))
    last_page = first_audio == len(granules) - 1
    if g != -1 and (g > decoded if last_page else g != decoded):
        return None
    return _Index(offsets, granules, fresh, first_audio, head)


def _page_packets(buf: bytes, pos: int) -> list:
    """The packets that end on the page at ``pos`` (which starts a packet)."""
    nseg = buf[pos + 26]
    q = start = pos + 27 + nseg
    out = []
    for s in buf[pos + 27 : pos + 27 + nseg]:
        q += s
        if s < 255:
            out.append(buf[start:q])
            start = q
    return out


#: Frame length (48 kHz samples) of each TOC configuration (RFC 6716, 3.1).
_FRAME_48K = [480, 960, 1920, 2880] * 3 + [480, 960] * 2 + [120, 240, 480, 960] * 4


def _packet_samples(packet: bytes) -> int:
    """Samples at 48 kHz that an Opus packet decodes to (from its TOC byte)."""
    if not packet:
        return 0
    toc = packet[0]
    code = toc & 3
    frames = (
        1 if code == 0 else 2 if code in (1, 2) else (packet[1] & 0x3F if len(packet) > 1 else 0)
    )
    return frames * _FRAME_48K[toc >> 3]


def _first_packet(buf: bytes, pos: int) -> bytes:
    nseg = buf[pos + 26]
    segs = buf[pos + 27 : pos + 27 + nseg]
    q = pos + 27 + nseg
    size = 0
    for s in segs:
        size += s
        if s < 255:
            break
    return buf[q : q + size]


class OpusReader:
    """Decodes spans of one Ogg Opus file; keeps the decoder between reads."""

    def __init__(
        self, src: Union[str, bytes], index: _Index, rate: int, channels: int, frames: int
    ):
        lib = _libopus()
        self.lib = lib
        self.path = src if isinstance(src, str) else f"<{len(src)} bytes of Ogg Opus>"
        self.index = index
        self.rate = rate
        self.channels = channels
        self.frames = frames
        self.scale = 48000 // rate
        head = index.head
        self.skip = struct.unpack_from("<H", head, 10)[0] // self.scale
        self.preroll = compute_num_samples(_PREROLL_S, rate)
        # Pages where decoding can start: those beginning with a new packet
        # whose decoded position (the previous page's granule) is known.
        g, fresh, scale = index.granules, index.fresh, self.scale
        self.pages = [index.first_audio]
        self.bases = [0]
        for p in range(index.first_audio + 1, len(g)):
            if fresh[p] and g[p - 1] > 0 and g[p - 1] % scale == 0:
                self.pages.append(p)
                self.bases.append(g[p - 1] // scale)
        err = ctypes.c_int()
        self.dec = lib.opus_decoder_create(rate, channels, ctypes.byref(err))
        if not self.dec or err.value != 0:
            raise OSError(
                f"opus_decoder_create({rate}, {channels}) failed ({err.value}) for {self.path}"
            )
        self.fh = open(src, "rb") if isinstance(src, str) else io.BytesIO(src)
        self.closed = False
        self.scratch = np.empty((_MAX_PACKET_48K // self.scale, channels), dtype=np.float32)
        # Continuation state: decoded position (samples at ``rate`` from the
        # stream start, pre-skip included), decoded samples not yet returned,
        # and the packet stream that follows them.
        self.next_pos: Optional[int] = None
        self.tail = self.scratch[:0]
        self.packets = None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.fh.close()
            if self.dec:
                self.lib.opus_decoder_destroy(self.dec)
                self.dec = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _start_page(self, first: int) -> tuple[int, int]:
        """The last page starting a packet at or before decoded sample ``first``,
        and the decoded position of that packet."""
        i = max(0, bisect_right(self.bases, first) - 1)
        return self.pages[i], self.bases[i]

    def _packets(self, p: int):
        """Yield the packets that start on or after fresh page ``p``."""
        offs = self.index.offsets
        last = len(offs) - 1
        fh = self.fh
        partial = b""
        while p < last:
            q_end = min(p + 64, last)
            fh.seek(offs[p])
            chunk = fh.read(offs[q_end] - offs[p])
            base = offs[p]
            for page in range(p, q_end):
                pos = offs[page] - base
                nseg = chunk[pos + 26]
                segs = chunk[pos + 27 : pos + 27 + nseg]
                q = pos + 27 + nseg
                start = q
                for s in segs:
                    q += s
                    if s < 255:
                        if partial:
                            yield partial + chunk[start:q]
                            partial = b""
                        else:
                            yield chunk[start:q]
                        start = q
                if start < q:
                    partial += chunk[start:q]
            p = q_end

    def read(self, start: int, num: Optional[int]) -> np.ndarray:
        """Samples ``start`` .. ``start + num`` (output numbering) as ``(channels, n)``."""
        end = self.frames if num is None else min(self.frames, start + num)
        n_out = max(0, end - start)
        out = np.empty((n_out, self.channels), dtype=np.float32)
        if n_out == 0:
            return out.T.copy()
        first = start + self.skip  # in decoded numbering
        last = end + self.skip
        if self.next_pos is not None and self.next_pos - len(self.tail) == first:
            # Continue where the last read stopped: samples already decoded
            # past its end first, then the same packet stream.
            pending = self.tail
            k = min(len(pending), n_out)
            out[:k] = pending[:k]
            pos = first + len(pending)
            tail = pending[k:]
        else:
            begin = max(0, first - self.preroll)
            p, pos = self._start_page(begin)
            self.lib.opus_decoder_ctl(ctypes.c_void_p(self.dec), _OPUS_RESET_STATE)
            self.packets = self._packets(p)
            # Pages hold many packets (a second of audio, often): skip those
            # that end before the pre-roll starts without decoding them.
            scale = self.scale
            for pkt in self.packets:
                n = _packet_samples(pkt) // scale
                if pos + n > begin or n == 0:
                    self.packets = itertools.chain((pkt,), self.packets)
                    break
                pos += n
            tail = self.scratch[:0]
        self.next_pos = None  # until this read completes
        decode = self.lib.opus_decode_float
        dec = self.dec
        scratch = self.scratch
        ptr = scratch.ctypes.data
        cap = scratch.shape[0]
        packets = self.packets
        while pos < last:
            pkt = next(packets, None)
            if pkt is None:
                break
            got = decode(dec, pkt, len(pkt), ptr, cap, 0)
            if got < 0:
                raise OSError(f"libopus failed ({got}) decoding {self.path} near sample {pos}")
            new = pos + got
            if new > first:
                lo = first - pos if pos < first else 0
                if new <= last:
                    out[pos + lo - first : new - first] = scratch[lo:got]
                else:
                    hi = last - pos
                    out[pos + lo - first :] = scratch[lo:hi]
                    tail = scratch[hi:got].copy()
            pos = new
        if pos >= last:
            self.tail = tail if len(tail) else scratch[:0]
            self.next_pos = last + len(self.tail)
        else:  # the stream ended early
            self.tail = scratch[:0]
            out = out[: max(0, pos - first)]
        return np.ascontiguousarray(out.T)


def open_opus(
    src: Union[str, bytes], rate: int, channels: int, frames: int
) -> Optional[OpusReader]:
    """An :class:`OpusReader` for a path or the encoded bytes, if we decode it
    exactly as libsndfile does (else None).

    ``rate``, ``channels`` and ``frames`` are libsndfile's view of the file.
    """
    if rate not in _NATIVE_RATES or channels not in (1, 2) or not direct_opus_available():
        return None
    try:
        if isinstance(src, str):
            with open(src, "rb") as fh:
                index = _scan(fh)
        else:
            index = _scan(io.BytesIO(src))
    except OSError:
        return None
    if index is None:
        return None
    head = index.head
    if len(head) < 19 or head[:8] != b"OpusHead":
        return None
    version, ch, _preskip, _in_rate, gain, family = struct.unpack_from("<BBHIhB", head, 8)
    if version >> 4 != 0 or ch != channels or gain != 0 or family != 0:
        return None
    if 48000 % rate:
        return None
    return OpusReader(src, index, rate, channels, frames)
