"""Decoding audio: header info and ranged reads, in-process.

Two decoders, tried in order:

* ``soundfile`` (libsndfile): WAV (incl. WAVE_FORMAT_EXTENSIBLE and float),
  FLAC, Ogg/Vorbis, Ogg/Opus (at the stream's input rate, e.g. 8 kHz), MP3
  and NIST SPHERE.  Reads seek to the first requested frame; nothing before
  it is decoded for WAV/FLAC/SPHERE, and libsndfile seeks as close as its
  codec allows for Ogg and MP3.
* ``pyav`` (FFmpeg libraries through PyAV): whatever libsndfile cannot read,
  such as AAC/M4A and the audio track of video files.  It seeks in the
  container, then decodes forward to the first requested sample.

Sample counts: for MP3 the header's frame count includes the encoder delay
and padding that the decoder trims (LAME gapless info), so :func:`info`
counts decoded frames instead; for PyAV files it also decodes to count.
Hence ``info(p).frames == read_audio(p)[0].shape[1]`` for every file.

``read_audio_samples`` works in samples; ``read_audio`` takes seconds and
converts them with :mod:`nuptse.timing`.  Local files read through
libsndfile stay open between reads (:mod:`nuptse.audio.handles`).
"""

from __future__ import annotations

import io
import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, Optional, Union

import numpy as np

from nuptse.audio.errors import (
    AudioFileNotFoundError,
    AudioLoadingError,
    AudioSavingError,
    CorruptAudioError,
    OffsetOutOfRangeError,
    UnsupportedAudioFormatError,
)
from nuptse.audio.handles import (
    _handles,
    _OpenFile,
    clear_audio_handle_cache,
    set_audio_handle_cache_size,
)
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


def _read_memory_flac(src: PathOrFile, start, num) -> Optional[tuple[np.ndarray, int]]:
    """A whole in-memory 16-bit FLAC through :mod:`nuptse.audio.flac`; None if not taken."""
    if start or num is not None or not isinstance(src, io.BytesIO):
        return None
    data = src.getvalue()
    if data[:4] != b"fLaC":
        return None
    from nuptse.audio.flac import decode_flac16

    decoded = decode_flac16(data)
    if decoded is None:
        return None
    ints, rate = decoded
    return pcm16_to_float32(ints), rate


class SoundfileBackend:
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
        if isinstance(src, (str, Path)):
            path = str(src)
            st = os.stat(path)
            key = (path, st.st_ino, st.st_size, st.st_mtime_ns)
            h = _handles.acquire(path, key)
        else:
            fast = _read_memory_flac(src, start, num)
            if fast is not None:
                return fast
            import soundfile as sf

            key, h = None, _OpenFile(sf.SoundFile(src), None, src)
        ok = False
        try:
            f = h.sf
            if in_seconds:
                start, num = _to_samples(start, num, f.samplerate)
            opus = h.opus_reader()
            if opus is not None:
                data = opus.read(start, num)
            else:
                data = h.read(start, num)
            ok = True
            return data, f.samplerate
        finally:
            if ok and key is not None:
                _handles.release(key, h)
            else:
                h.close()


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


class PyAVBackend:
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
            if not chunks:
                return np.zeros((channels, 0), dtype=np.float32), rate
            return np.concatenate(chunks, axis=1), rate


# --------------------------------------------------------------------------- composite

_BACKENDS = {"soundfile": SoundfileBackend(), "pyav": PyAVBackend()}
_current: Optional[str] = None  # None = automatic (soundfile, then pyav)


def get_audio_backend_names() -> list[str]:
    """Names of every backend nuptse knows, available or not.

    >>> get_audio_backend_names()
    ['soundfile', 'pyav']
    """
    return list(_BACKENDS)


def list_audio_backends() -> list[str]:
    """Names of the backends that can be used in this environment."""
    return [name for name, b in _BACKENDS.items() if b.is_available()]


available_audio_backends = list_audio_backends


def get_default_audio_backend() -> str:
    """``"auto"``: soundfile first, PyAV for what soundfile cannot read."""
    return "auto"


def get_current_audio_backend() -> str:
    """The backend name in use (``"auto"`` unless one was set)."""
    return _current or "auto"


def set_current_audio_backend(name: str) -> str:
    """Use only the named backend (``"auto"`` restores the default order)."""
    global _current
    if name != "auto" and name not in _BACKENDS:
        raise ValueError(
            f"Unknown audio backend {name!r}; choose one of {['auto', *get_audio_backend_names()]}"
        )
    _current = None if name == "auto" else name
    return get_current_audio_backend()


@contextmanager
def audio_backend(name: str):
    """Temporarily use the named backend."""
    prev = get_current_audio_backend()
    set_current_audio_backend(name)
    try:
        yield
    finally:
        set_current_audio_backend(prev)


def _order() -> list:
    if _current is not None:
        return [_BACKENDS[_current]]
    return [b for b in _BACKENDS.values() if b.is_available()]


def _run(op: str, src: PathOrFile, fn) -> Any:
    _check_exists(src)
    errors = []
    for backend in _order():
        _rewind(src)
        try:
            return fn(backend)
        except AudioLoadingError:
            raise
        except Exception as e:  # the decoders raise many unrelated types
            errors.append(f"{backend.name}: {type(e).__name__}: {e}")
    head = _head(src)
    details = "; ".join(errors)
    if any(head.startswith(m) for m in _MAGIC) or _looks_like_media(head):
        raise CorruptAudioError(
            f"Could not {op} {_describe(src)}: the data looks like audio but is corrupt or "
            f"truncated ({details})"
        )
    raise UnsupportedAudioFormatError(
        f"Could not {op} {_describe(src)}: no backend understands this format ({details})"
    )


def _looks_like_media(head: bytes) -> bool:
    return head[4:8] == b"ftyp" or head.startswith(b"\x1a\x45\xdf\xa3")


def info(
    path: PathOrFile,
    force_opus_sampling_rate: Optional[int] = None,
    force_read_audio: bool = False,
) -> AudioInfo:
    """Channels, exact sample count, rate and duration of an audio file or stream.

    >>> i = info("tests/fixtures/stereo.wav")  # doctest: +SKIP
    >>> (i.channels, i.frames, i.samplerate)  # doctest: +SKIP
    (2, 8000, 8000)
    """
    result = _run("read the header of", path, lambda b: b.info(path))
    if force_opus_sampling_rate is not None and result.samplerate != force_opus_sampling_rate:
        from nuptse.timing import resampled_num_samples, samples_to_seconds

        frames = resampled_num_samples(result.frames, result.samplerate, force_opus_sampling_rate)
        result = AudioInfo(
            result.channels,
            frames,
            force_opus_sampling_rate,
            samples_to_seconds(frames, force_opus_sampling_rate),
        )
    return result


def _read(path: PathOrFile, start, num, in_seconds: bool) -> tuple[np.ndarray, int]:
    if start < 0:
        raise OffsetOutOfRangeError(f"Negative offset {start} requested from {_describe(path)}")
    if num is not None and num < 0:
        raise ValueError(f"Negative length {num} requested from {_describe(path)}")

    def _go(backend):
        data, rate = backend.read(path, start, num, in_seconds)
        if start > 0 and data.shape[1] == 0 and num != 0:
            # Either the offset lies past the end, or the file is empty.
            total = backend.info(path).frames
            first = compute_num_samples(start, rate) if in_seconds else start
            if first >= total:
                raise OffsetOutOfRangeError(
                    f"Requested offset {first} samples ({first / rate:.6f} s) from "
                    f"{_describe(path)}, which has only {total} samples ({total / rate:.6f} s)"
                )
        return data, rate

    return _run("decode", path, _go)


def read_audio_samples(
    path: PathOrFile,
    start: int = 0,
    num_samples: Optional[int] = None,
) -> tuple[np.ndarray, int]:
    """Read ``num_samples`` frames (all when None) from frame ``start``.

    Returns float32 ``(channels, n)`` and the rate.  ``n`` may be smaller than
    asked near the end of the file; a ``start`` past the end raises
    :class:`OffsetOutOfRangeError`.
    """
    return _read(path, int(start), None if num_samples is None else int(num_samples), False)


def read_audio(
    path: PathOrFile,
    offset: float = 0.0,
    duration: Optional[float] = None,
    force_opus_sampling_rate: Optional[int] = None,
) -> tuple[np.ndarray, int]:
    """Read ``duration`` seconds (all when None) from ``offset`` seconds.

    Seconds become samples at the file's own rate (one open per call).  When
    ``force_opus_sampling_rate`` differs from the stream's rate the result is
    resampled to it (lhotse stores Opus at a chosen rate).
    """
    data, rate = _read(path, offset, duration, True)
    if force_opus_sampling_rate is not None and force_opus_sampling_rate != rate:
        from nuptse.audio.resampling import polyphase_resample

        data = polyphase_resample(data, rate, force_opus_sampling_rate)
        rate = force_opus_sampling_rate
    return data, rate


def save_audio(
    dest: Union[str, Path, BinaryIO],
    audio: np.ndarray,
    sampling_rate: int,
    format: Optional[str] = None,
) -> None:
    """Write float audio shaped ``(channels, samples)`` with libsndfile.

    ``format`` defaults to the destination's extension (FLAC for streams).
    """
    import soundfile as sf

    audio = np.asarray(audio)
    if hasattr(audio, "numpy") and not isinstance(audio, np.ndarray):  # torch tensor
        audio = audio.numpy()
    if audio.ndim == 1:
        audio = audio[None, :]
    if format is None:
        format = (
            Path(dest).suffix.lstrip(".") if isinstance(dest, (str, Path)) else "flac"
        ) or "flac"
    fmt = format.upper()
    subtype = None
    if fmt == "OPUS":
        fmt, subtype = "OGG", "OPUS"
    elif fmt in ("OGG", "VORBIS"):
        fmt, subtype = "OGG", "VORBIS"
    elif fmt in ("FLAC", "WAV"):
        subtype = "PCM_16"
    try:
        sf.write(dest, audio.T, sampling_rate, format=fmt, subtype=subtype)
    except Exception as e:
        raise AudioSavingError(
            f"Could not save audio shaped {audio.shape} at {sampling_rate} Hz as {format} to "
            f"{_describe(dest) if not isinstance(dest, (str, Path)) else dest}: {e}"
        ) from e


@dataclass
class LibsndfileCompatibleAudioInfo:
    """Alias kept for code that names lhotse's info type."""

    channels: int
    frames: int
    samplerate: int
    duration: float


__all__ = [
    "AudioInfo",
    "SoundfileBackend",
    "PyAVBackend",
    "info",
    "read_audio",
    "read_audio_samples",
    "save_audio",
    "set_audio_handle_cache_size",
    "clear_audio_handle_cache",
    "list_audio_backends",
    "get_audio_backend_names",
    "available_audio_backends",
    "get_current_audio_backend",
    "set_current_audio_backend",
    "get_default_audio_backend",
    "audio_backend",
]
