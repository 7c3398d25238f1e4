"""The audio backend classes (lhotse's names) over nuptse's two decoders.

:mod:`nuptse.audio.backend` documents what each backend does, chooses the
current one and holds the module-level ``read_audio``/``info``/``save_audio``;
this module holds the classes themselves and the shared error handling: a
missing input raises :class:`~nuptse.audio.errors.AudioFileNotFoundError`,
one that starts like audio but does not decode
:class:`~nuptse.audio.errors.CorruptAudioError`, anything else
:class:`~nuptse.audio.errors.UnsupportedAudioFormatError`.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Optional, Union

import numpy as np

from nuptse.audio.decoders import (
    AudioInfo,
    PathOrFile,
    PyAVDecoder,
    SoundfileDecoder,
    _check_exists,
    _describe,
    _head,
    _rewind,
    looks_like_media,
)
from nuptse.audio.errors import (
    AudioLoadingError,
    AudioSavingError,
    CorruptAudioError,
    OffsetOutOfRangeError,
    UnsupportedAudioFormatError,
)
from nuptse.timing import compute_num_samples, resampled_num_samples, samples_to_seconds

logger = logging.getLogger(__name__)


class AudioBackendUnavailableError(AudioLoadingError, ImportError):
    """The chosen backend cannot work here (its package or program is missing)."""


class AudioBackend:
    """Base class: subclasses register by class name (:meth:`new` builds one by name).

    ``handles_special_case(x)`` means a composite backend should use this
    backend alone for ``x``; ``is_applicable(x)`` means it may be tried.
    """

    KNOWN_BACKENDS: ClassVar[dict[str, type]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):  # private helper bases are not backends
            AudioBackend.KNOWN_BACKENDS.setdefault(cls.__name__, cls)

    @classmethod
    def new(cls, name: str) -> AudioBackend:
        """An instance of the backend class called ``name``."""
        if name not in cls.KNOWN_BACKENDS:
            raise ValueError(
                f"Unknown audio backend name {name!r}; choose one of "
                f"{['default', *sorted(cls.KNOWN_BACKENDS)]}"
            )
        return cls.KNOWN_BACKENDS[name]()

    # -- what subclasses implement (in samples); the public methods add checks
    def _read(self, src: PathOrFile, start, num, in_seconds: bool) -> tuple[np.ndarray, int]:
        raise NotImplementedError

    def _info(self, src: PathOrFile) -> AudioInfo:
        raise NotImplementedError

    def _members(self) -> list[AudioBackend]:
        """The backends tried for ``src``, in order (just this one here)."""
        return [self]

    def _candidates(self, src: PathOrFile) -> list[AudioBackend]:
        return self._members()

    # -- lhotse's interface
    def read_audio(
        self,
        path_or_fd: Union[str, Path, BinaryIO],
        offset: float = 0.0,
        duration: Optional[float] = None,
        force_opus_sampling_rate: Optional[int] = None,
    ) -> tuple[np.ndarray, int]:
        """Float32 ``(channels, samples)`` from ``offset`` s for ``duration`` s, and the rate."""
        if offset < 0:
            raise OffsetOutOfRangeError(
                f"Negative offset {offset} s requested from {_describe(path_or_fd)}"
            )
        data, rate = _attempt(
            "decode",
            path_or_fd,
            self._candidates(path_or_fd),
            _reader(path_or_fd, offset, duration, True),
        )
        if force_opus_sampling_rate is not None and force_opus_sampling_rate != rate:
            from nuptse.audio.declared_rate import check_declared_rate
            from nuptse.audio.resampling import polyphase_resample

            check_declared_rate(path_or_fd, force_opus_sampling_rate, rate)  # Opus only
            data = polyphase_resample(data, rate, force_opus_sampling_rate)
            rate = force_opus_sampling_rate
        return data, rate

    def read_samples(
        self, path_or_fd: PathOrFile, start: int = 0, num_samples: Optional[int] = None
    ) -> tuple[np.ndarray, int]:
        """Like :meth:`read_audio`, in samples of the file's own rate (nuptse addition)."""
        if start < 0:
            raise OffsetOutOfRangeError(
                f"Negative offset {start} samples requested from {_describe(path_or_fd)}"
            )
        return _attempt(
            "decode",
            path_or_fd,
            self._candidates(path_or_fd),
            _reader(path_or_fd, start, num_samples, False),
        )

    def info(
        self,
        path_or_fd: Union[str, Path, BinaryIO],
        force_opus_sampling_rate: Optional[int] = None,
    ) -> AudioInfo:
        """Channels, exact sample count, rate and duration."""
        result = _attempt(
            "read the header of",
            path_or_fd,
            self._candidates(path_or_fd),
            lambda b: b._info(path_or_fd),
        )
        if force_opus_sampling_rate is not None and result.samplerate != force_opus_sampling_rate:
            frames = resampled_num_samples(
                result.frames, result.samplerate, force_opus_sampling_rate
            )
            result = AudioInfo(
                result.channels,
                frames,
                force_opus_sampling_rate,
                samples_to_seconds(frames, force_opus_sampling_rate),
                result.video,
            )
        return result

    def handles_special_case(self, path_or_fd: Any) -> bool:
        return False

    def is_applicable(self, path_or_fd: Any) -> bool:
        return True

    def is_available(self) -> bool:
        """Whether this backend can decode anything in this environment (nuptse addition)."""
        return True

    def supports_save(self) -> bool:
        return False

    def supports_info(self) -> bool:
        return True

    def save_audio(
        self,
        dest: Union[str, Path, BinaryIO],
        src: Any,
        sampling_rate: int,
        format: Optional[str] = None,
        encoding: Optional[str] = None,
    ) -> None:
        raise AudioSavingError(f"{type(self).__name__} cannot write audio")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _reader(src: PathOrFile, start, num, in_seconds: bool):
    """``backend -> backend._read(...)``, turning an empty read past the end into an error."""
    if num is not None and num < 0:
        raise ValueError(f"Negative length {num} requested from {_describe(src)}")

    def go(backend: AudioBackend) -> tuple[np.ndarray, int]:
        data, rate = backend._read(src, start, num, in_seconds)
        if start > 0 and data.shape[1] == 0 and num != 0:
            total = backend._info(src).frames
            first = compute_num_samples(start, rate) if in_seconds else start
            if first >= total:
                raise OffsetOutOfRangeError(
                    f"Requested offset {first} samples ({first / rate:.6f} s) from "
                    f"{_describe(src)}, which has only {total} samples ({total / rate:.6f} s)"
                )
        return data, rate

    return go


def _attempt(op: str, src: PathOrFile, backends: list[AudioBackend], fn) -> Any:
    """``fn(backend)`` for the first backend that succeeds; a specific error otherwise."""
    _check_exists(src)
    errors = []
    for backend in backends:
        _rewind(src)
        try:
            return fn(backend)
        except AudioLoadingError:
            raise
        except Exception as e:  # the decoders raise many unrelated types
            errors.append(f"{type(backend).__name__}: {type(e).__name__}: {e}")
    if not backends:
        raise UnsupportedAudioFormatError(
            f"Could not {op} {_describe(src)}: no audio backend applies to it"
        )
    details = "; ".join(errors)
    if looks_like_media(_head(src)):
        raise CorruptAudioError(
            f"Could not {op} {_describe(src)}: the data looks like audio but is corrupt or "
            f"truncated ({details})"
        )
    raise UnsupportedAudioFormatError(
        f"Could not {op} {_describe(src)}: no backend understands this format ({details})"
    )


def _as_float_array(src: Any) -> np.ndarray:
    if hasattr(src, "detach") and not isinstance(src, np.ndarray):  # torch tensor
        src = src.detach().cpu().numpy()
    audio = np.asarray(src)
    return audio[None, :] if audio.ndim == 1 else audio


# --------------------------------------------------------------------------- concrete backends


class LibsndfileBackend(AudioBackend):
    """libsndfile through python-soundfile (reads and writes)."""

    _decoder = SoundfileDecoder()

    def _read(self, src, start, num, in_seconds):
        return self._decoder.read(src, start, num, in_seconds)

    def _info(self, src):
        return self._decoder.info(src)

    def is_applicable(self, path_or_fd: Any) -> bool:
        return not (
            isinstance(path_or_fd, (str, Path))
            and str(path_or_fd).lower().endswith((".mp4", ".m4a", ".m4b"))
        )

    def is_available(self) -> bool:
        return self._decoder.is_available()

    def supports_save(self) -> bool:
        return True

    def save_audio(self, dest, src, sampling_rate, format=None, encoding=None) -> None:
        import soundfile as sf

        audio = _as_float_array(src)
        if format is None:
            format = (
                Path(dest).suffix.lstrip(".") if isinstance(dest, (str, Path)) else "flac"
            ) or "flac"
        fmt, subtype = format.upper(), (encoding.upper() if encoding else None)
        if fmt == "OPUS":
            fmt, subtype = "OGG", "OPUS"
        elif fmt == "VORBIS":
            fmt, subtype = "OGG", "VORBIS"
        elif fmt in ("FLAC", "WAV") and subtype is None:
            subtype = "PCM_16"
        try:
            sf.write(
                str(dest) if isinstance(dest, Path) else dest,
                audio.T,
                sampling_rate,
                format=fmt,
                subtype=subtype,
            )
        except Exception as e:
            raise AudioSavingError(
                f"Could not save audio shaped {audio.shape} at {sampling_rate} Hz as {format} "
                f"to {_describe(dest)}: {e}"
            ) from e


class AudioreadBackend(AudioBackend):
    """The fallback decoder: FFmpeg's libraries in process through PyAV.

    lhotse's backend of this name uses the audioread package (usually the
    ``ffmpeg`` program); nuptse needs neither.
    """

    _decoder = PyAVDecoder()

    def _read(self, src, start, num, in_seconds):
        return self._decoder.read(src, start, num, in_seconds)

    def _info(self, src):
        return self._decoder.info(src)

    def is_available(self) -> bool:
        return self._decoder.is_available()


#: The PyAV decoder under a name that says what it is.
PyAVBackend = AudioreadBackend


class FfmpegSubprocessOpusBackend(AudioBackend):
    """Opus files decoded by FFmpeg (through PyAV, no subprocess) at 48 kHz or a forced rate."""

    def _read(self, src, start, num, in_seconds):
        return AudioreadBackend._decoder.read(src, start, num, in_seconds)

    def _info(self, src):
        return AudioreadBackend._decoder.info(src)

    def handles_special_case(self, path_or_fd: Any) -> bool:
        return isinstance(path_or_fd, (str, Path)) and str(path_or_fd).lower().endswith(".opus")

    def is_applicable(self, path_or_fd: Any) -> bool:
        return self.handles_special_case(path_or_fd)

    def is_available(self) -> bool:
        return AudioreadBackend._decoder.is_available()


class Sph2pipeSubprocessBackend(AudioBackend):
    """NIST SPHERE (incl. shorten-compressed) through the ``sph2pipe`` program."""

    def _convert(self, src) -> io.BytesIO:
        exe = shutil.which("sph2pipe")
        if exe is None:
            raise AudioBackendUnavailableError(
                f"Sph2pipeSubprocessBackend needs the sph2pipe program on PATH to read "
                f"{_describe(src)}; plain (uncompressed) SPHERE reads with LibsndfileBackend"
            )
        if not isinstance(src, (str, Path)):
            raise UnsupportedAudioFormatError(f"sph2pipe reads files, not {_describe(src)}")
        proc = subprocess.run([exe, "-f", "wav", "-p", str(src)], capture_output=True)
        if proc.returncode != 0:
            raise CorruptAudioError(
                f"sph2pipe failed on '{src}' (status {proc.returncode}): "
                f"{proc.stderr.decode(errors='replace')[-300:]}"
            )
        return io.BytesIO(proc.stdout)

    def _read(self, src, start, num, in_seconds):
        return LibsndfileBackend._decoder.read(self._convert(src), start, num, in_seconds)

    def _info(self, src):
        return LibsndfileBackend._decoder.info(self._convert(src))

    def handles_special_case(self, path_or_fd: Any) -> bool:
        return isinstance(path_or_fd, (str, Path)) and str(path_or_fd).lower().endswith(".sph")

    def is_applicable(self, path_or_fd: Any) -> bool:
        return self.handles_special_case(path_or_fd)

    def is_available(self) -> bool:
        return shutil.which("sph2pipe") is not None


class _UnsupportedBackend(AudioBackend):
    """A lhotse backend name that nuptse keeps for imports but does not implement."""

    _package: ClassVar[str] = ""

    def _unavailable(self, src=None):
        return AudioBackendUnavailableError(
            f"{type(self).__name__} decodes through {self._package}, which nuptse does not use"
            + (f" (reading {_describe(src)})" if src is not None else "")
            + "; use LibsndfileBackend or AudioreadBackend (FFmpeg through PyAV) instead"
        )

    def _read(self, src, start, num, in_seconds):
        raise self._unavailable(src)

    def _info(self, src):
        raise self._unavailable(src)

    def is_applicable(self, path_or_fd: Any) -> bool:
        return False

    def is_available(self) -> bool:
        return False

    def save_audio(self, dest, src, sampling_rate, format=None, encoding=None) -> None:
        raise self._unavailable()


class TorchaudioDefaultBackend(_UnsupportedBackend):
    """torchaudio's default loader (not used by nuptse)."""

    _package = "torchaudio"


class TorchaudioFFMPEGBackend(_UnsupportedBackend):
    """torchaudio 2's FFmpeg loader (not used by nuptse)."""

    _package = "torchaudio"


class FfmpegTorchaudioStreamerBackend(_UnsupportedBackend):
    """torchaudio's FFmpeg stream reader (not used by nuptse)."""

    _package = "torchaudio"


class TorchcodecBackend(_UnsupportedBackend):
    """torchcodec's decoder (not used by nuptse)."""

    _package = "torchcodec"


class CompositeAudioBackend(AudioBackend):
    """Tries ``backends`` in order; one that handles an input as a special case is used alone.

    >>> CompositeAudioBackend([LibsndfileBackend(), AudioreadBackend()])
    CompositeAudioBackend([LibsndfileBackend(), AudioreadBackend()])
    """

    def __init__(self, backends: list[AudioBackend]):
        self.backends = list(backends)

    def _members(self) -> list[AudioBackend]:
        return [m for b in self.backends for m in b._members()]

    def _candidates(self, src: PathOrFile) -> list[AudioBackend]:
        special = [b for b in self.backends if b.handles_special_case(src)]
        if len(special) > 1:
            raise ValueError(
                f"Several backends of {self!r} claim {_describe(src)} as a special case: {special}"
            )
        chosen = special or [b for b in self.backends if b.is_applicable(src)]
        return [m for b in chosen for m in b._candidates(src)]

    def is_available(self) -> bool:
        return any(b.is_available() for b in self.backends)

    def supports_save(self) -> bool:
        return any(b.supports_save() for b in self.backends)

    def save_audio(self, dest, src, sampling_rate, format=None, encoding=None) -> None:
        writers = [b for b in self.backends if b.supports_save() and b.is_applicable(dest)]
        if not writers:
            raise AudioSavingError(f"No backend of {self!r} can write {_describe(dest)}")
        errors = []
        for b in writers:
            try:
                return b.save_audio(dest, src, sampling_rate, format=format, encoding=encoding)
            except Exception as e:  # try the next writer
                errors.append(f"{type(b).__name__}: {e}")
        raise AudioSavingError(f"Saving audio to {_describe(dest)} failed: {'; '.join(errors)}")

    def __repr__(self) -> str:
        return f"CompositeAudioBackend([{', '.join(repr(b) for b in self.backends)}])"


__all__ = [
    "AudioBackend",
    "AudioBackendUnavailableError",
    "AudioreadBackend",
    "CompositeAudioBackend",
    "FfmpegSubprocessOpusBackend",
    "FfmpegTorchaudioStreamerBackend",
    "LibsndfileBackend",
    "PyAVBackend",
    "Sph2pipeSubprocessBackend",
    "TorchaudioDefaultBackend",
    "TorchaudioFFMPEGBackend",
    "TorchcodecBackend",
]
