"""The two in-process decoders behind the audio backends.

* :class:`SoundfileDecoder` (libsndfile through python-soundfile): WAV
  (incl. WAVE_FORMAT_EXTENSIBLE and float), FLAC, Ogg/Vorbis, Ogg/Opus (at
  the stream's input rate, e.g. 8 kHz), MP3 and NIST SPHERE.  Reads seek to
  the first requested frame; nothing before it is decoded for WAV/FLAC/SPHERE,
  and libsndfile seeks as close as its codec allows for Ogg and MP3.
* :class:`PyAVDecoder` (FFmpeg's libraries through PyAV, no subprocess):
  whatever libsndfile cannot read, such as AAC/M4A and the audio track of
  video files.  It seeks in the container, then decodes forward to the first
  requested sample.

Sample counts: for MP3 the header's frame count includes the encoder delay
and padding that the decoder trims (LAME gapless info), so ``info`` counts
decoded frames instead; for PyAV files it also decodes to count.  Hence
``info(p).frames == read(p)[0].shape[1]`` for every file.

Local files read through libsndfile stay open between reads
(:mod:`nuptse.audio.handles`).  :mod:`nuptse.audio.backend` wraps these
decoders in lhotse's backend classes.
"""

from __future__ import annotations

import io
import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, Optional, Union

import numpy as np

from nuptse.audio.errors import (
    AudioFileNotFoundError,
    CorruptAudioError,
    UnsupportedAudioFormatError,
)
from nuptse.audio.handles import _handles, _OpenFile
from nuptse.audio.utils import pcm16_to_float32
from nuptse.timing import compute_num_samples

logger = logging.getLogger(__name__)

PathOrFile = Union[str, Path, BinaryIO, io.BytesIO]

#: Leading bytes of formats we recognise; a file that starts like one of these
#: but fails to decode is corrupt rather than unsupported.
_MAGIC = (
    b"RIFF",
    b"RF64",
    b"fLaC",
    b"OggS",
    b"ID3",
    b"NIST_1A",
    b"FORM",
    b"\xff\xfb",
    b"\xff\xf3",
    b"\xff\xf2",
    b"\xff\xe3",
)


class AudioInfo(NamedTuple):
    """Stream facts: channel count, frame (sample) count, rate, duration."""

    channels: int
    frames: int
    samplerate: int
    duration: float
    video: Any = None


def _describe(src: PathOrFile) -> str:
    if isinstance(src, (str, Path)):
        return str(src)
    name = getattr(src, "name", None)
    return f"<in-memory audio {name}>" if name else "<in-memory audio>"


def _head(src: PathOrFile, n: int = 16) -> bytes:
    try:
        if isinstance(src, (str, Path)):
            with open(src, "rb") as f:
                return f.read(n)
        pos = src.tell()
        data = src.read(n)
        src.seek(pos)
        return data
    except Exception:
        return b""


def _rewind(src: PathOrFile) -> None:
    if not isinstance(src, (str, Path)):
        src.seek(0)


def _check_exists(src: PathOrFile) -> None:
    if isinstance(src, (str, Path)):
        try:
            st = os.stat(src)
        except FileNotFoundError:
            raise AudioFileNotFoundError(f"Audio file not found: '{src}'") from None
        if stat.S_ISDIR(st.st_mode):
            raise CorruptAudioError(f"Expected an audio file but '{src}' is a directory")
        if st.st_size == 0:
            raise CorruptAudioError(f"Audio file '{src}' is empty (0 bytes)")
    else:
        if len(_head(src, 1)) == 0:
            raise CorruptAudioError(f"{_describe(src)} is empty (0 bytes)")


def _is_mp3(fmt: str) -> bool:
    return fmt.upper() in ("MP3", "MPEG")


# --------------------------------------------------------------------------- soundfile


def _read_whole_flac(src: PathOrFile, start, num) -> Optional[tuple[np.ndarray, int]]:
    """A whole 16-bit FLAC (in memory, or a ``.flac`` file) through :mod:`nuptse.audio.flac`,
    or None if not taken.

    That decoder checks every frame's CRC as it decodes, so a whole read decodes
    once; libsndfile (the fallback) would need a second, checking decode.
    """
    if start or num is not None:
        return None
    if isinstance(src, io.BytesIO):
        data = src.getvalue()
    elif isinstance(src, (str, Path)) and str(src).lower().endswith(".flac"):
        data = Path(src).read_bytes()
    else:
        return None
    if data[:4] != b"fLaC":
        return None
    from nuptse.audio.flac import decode_flac16

    decoded = decode_flac16(data)
    if decoded is None:
        return None
    ints, rate = decoded
    return pcm16_to_float32(ints), rate


class SoundfileDecoder:
    """libsndfile through python-soundfile."""

    name = "soundfile"

    def is_available(self) -> bool:
        try:
            import soundfile  # noqa: F401
        except ImportError:  # pragma: no cover - soundfile is a dependency
            return False
        return True

    def info(self, src: PathOrFile) -> AudioInfo:
        import soundfile as sf

        with sf.SoundFile(_sf_arg(src)) as f:
            frames = f.frames
            if f.format in ("WAV", "WAVEX"):
                _check_wav_complete(src, f)
            if _is_mp3(f.format):
                frames = _count_frames(f)
            return AudioInfo(f.channels, frames, f.samplerate, frames / f.samplerate)

    def read(self, src: PathOrFile, start, num, in_seconds: bool = False) -> tuple[np.ndarray, int]:
        fast = _read_whole_flac(src, start, num)  # CRC-checked when it decodes
        if fast is not None:
            return fast
        if isinstance(src, (str, Path)):
            path = str(src)
            st = os.stat(path)
            key = (path, st.st_ino, st.st_size, st.st_mtime_ns)
            h = _handles.acquire(path, key)
        else:
            import soundfile as sf

            key, h = None, _OpenFile(sf.SoundFile(src), None, src)
        ok = False
        try:
            f = h.sf
            if in_seconds:
                start, num = _to_samples(start, num, f.samplerate)
            data = h.read(start, num)
            if f.format == "FLAC":
                _verify_flac(src, whole=not start and (num is None or num >= f.frames))
            ok = True
            return data, f.samplerate
        finally:
            if ok and key is not None:
                _handles.release(key, h)
            else:
                h.close()


def _verify_flac(src: PathOrFile, whole: bool) -> None:
    """Frame CRCs of a FLAC source (libsndfile and FFmpeg decode damaged frames without
    an error); see :mod:`nuptse.audio.flac_crc`."""
    from nuptse.audio.flac_crc import check_flac, verify_mode

    mode = verify_mode()
    if mode == "off" or (mode == "whole" and not whole):
        return
    if isinstance(src, (str, Path)):
        st = os.stat(src)
        key = (str(src), st.st_ino, st.st_size, st.st_mtime_ns)
        check_flac(lambda: Path(src).read_bytes(), str(src), key)
    elif isinstance(src, io.BytesIO):
        check_flac(src.getvalue, _describe(src))


def _check_wav_complete(src: PathOrFile, f) -> None:
    """Raise if a WAV file's data chunk is shorter than its header declares.

    libsndfile silently returns what is there; a manifest built from such a
    file would describe a recording that does not exist.
    """
    try:
        if isinstance(src, (str, Path)):
            with open(src, "rb") as fh:
                head = fh.read(1 << 16)
            total = os.path.getsize(src)
        else:
            pos = src.tell()
            src.seek(0)
            head = src.read(1 << 16)
            total = src.seek(0, os.SEEK_END)
            src.seek(pos)
    except Exception:
        return
    if head[:4] != b"RIFF":
        return
    i = 12
    while i + 8 <= len(head):
        cid, size = head[i : i + 4], int.from_bytes(head[i + 4 : i + 8], "little")
        if cid == b"data":
            available = total - (i + 8)
            if size not in (0, 0xFFFFFFFF) and available < size:
                have = available // max(1, f.channels * _bytes_per_sample(f.subtype))
                want = size // max(1, f.channels * _bytes_per_sample(f.subtype))
                raise CorruptAudioError(
                    f"Truncated WAV file {_describe(src)}: its header declares {want} frames "
                    f"({size} bytes) but only {have} frames ({available} bytes) are present"
                )
            return
        i += 8 + size + (size & 1)


def _bytes_per_sample(subtype: str) -> int:
    return {
        "PCM_U8": 1,
        "PCM_S8": 1,
        "PCM_16": 2,
        "PCM_24": 3,
        "PCM_32": 4,
        "FLOAT": 4,
        "DOUBLE": 8,
    }.get(subtype, 2)


def _to_samples(offset: float, duration: Optional[float], rate: int) -> tuple[int, Optional[int]]:
    start = compute_num_samples(offset, rate)
    return start, None if duration is None else compute_num_samples(duration, rate)


def _sf_arg(src: PathOrFile):
    return str(src) if isinstance(src, Path) else src


def _count_frames(f) -> int:
    """Decode a soundfile stream to count its frames (MP3 headers over-count)."""
    f.seek(0)
    total = 0
    block = 1 << 16
    while True:
        n = len(f.read(frames=block, dtype="int16", always_2d=True))
        total += n
        if n < block:
            break
    f.seek(0)
    return total


# --------------------------------------------------------------------------- PyAV


def _frame_to_array(frame) -> np.ndarray:
    """A decoded PyAV audio frame as float32 ``(channels, samples)``."""
    arr = frame.to_ndarray()
    fmt = frame.format
    channels = len(frame.layout.channels)
    if not fmt.is_planar:
        arr = arr.reshape(-1, channels).T
    name = fmt.name.rstrip("p")
    if name == "s16":
        arr = pcm16_to_float32(arr)
    elif name == "s32":
        arr = arr.astype(np.float32) / 2147483648.0
    elif name == "u8":
        arr = (arr.astype(np.float32) - 128.0) / 128.0
    elif name == "s64":
        arr = (arr / 9223372036854775808.0).astype(np.float32)
    return np.ascontiguousarray(arr, dtype=np.float32)


#: Samples decoded before a seek target and thrown away (covers AAC's
#: 2048-sample window and Opus/Vorbis pre-roll).
_PYAV_PREROLL = 8192


class PyAVDecoder:
    """FFmpeg's demuxers and decoders through PyAV (one process, no subprocess)."""

    name = "pyav"

    def is_available(self) -> bool:
        try:
            import av  # noqa: F401
        except ImportError:
            return False
        return True

    @contextmanager
    def _open(self, src: PathOrFile):
        import av

        _rewind(src)
        arg = str(src) if isinstance(src, Path) else src
        container = av.open(arg, mode="r")
        try:
            if not container.streams.audio:
                raise UnsupportedAudioFormatError(f"{_describe(src)} has no audio stream")
            yield container, container.streams.audio[0]
        finally:
            container.close()

    def info(self, src: PathOrFile) -> AudioInfo:
        with self._open(src) as (container, stream):
            rate = stream.rate or stream.codec_context.sample_rate
            channels = stream.codec_context.channels
            frames = 0
            for frame in container.decode(stream):
                frames += frame.samples
                channels = len(frame.layout.channels)
            return AudioInfo(channels, frames, rate, frames / rate)

    def _decode(self, container, stream, start: int) -> Iterator[tuple[int, Any]]:
        """Yield (first sample index, frame) pairs, seeking close to ``start``."""
        rate = stream.rate or stream.codec_context.sample_rate
        tb = stream.time_base
        if start > _PYAV_PREROLL and tb is not None:
            # Land a little early: lapped-transform codecs (AAC, Vorbis, Opus)
            # need the previous frame to reconstruct the first requested one.
            target = int((start - _PYAV_PREROLL) / rate / tb)
            container.seek(target, stream=stream, backward=True, any_frame=False)
        pos = None
        for frame in container.decode(stream):
            if pos is None:
                pos = 0 if frame.pts is None else compute_num_samples(float(frame.pts * tb), rate)
                if pos > start:  # seek overshot: decode from the beginning instead
                    container.seek(0, stream=stream, backward=True)
                    yield from self._decode_from_start(container, stream)
                    return
            yield pos, frame
            pos += frame.samples

    def _decode_from_start(self, container, stream):
        pos = 0
        for frame in container.decode(stream):
            yield pos, frame
            pos += frame.samples

    def read(self, src: PathOrFile, start, num, in_seconds: bool = False) -> tuple[np.ndarray, int]:
        with self._open(src) as (container, stream):
            rate = stream.rate or stream.codec_context.sample_rate
            if in_seconds:
                start, num = _to_samples(start, num, rate)
            end = None if num is None else start + num
            chunks = []
            channels = stream.codec_context.channels
            for pos, frame in self._decode(container, stream, start):
                if end is not None and pos >= end:
                    break
                if pos + frame.samples <= start:
                    continue
                arr = _frame_to_array(frame)
                channels = arr.shape[0]
                lo = max(0, start - pos)
                hi = arr.shape[1] if end is None else min(arr.shape[1], end - pos)
                chunks.append(arr[:, lo:hi])
            if stream.codec_context.name == "flac":
                _verify_flac(src, whole=not start and end is None)
            if not chunks:
                return np.zeros((channels, 0), dtype=np.float32), rate
            return np.concatenate(chunks, axis=1), rate


def looks_like_media(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) starts like a known audio or media container."""
    return (
        any(head.startswith(m) for m in _MAGIC)
        or head[4:8] == b"ftyp"
        or head.startswith(b"\x1a\x45\xdf\xa3")
    )
