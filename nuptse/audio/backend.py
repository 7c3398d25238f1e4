"""Audio backends: lhotse's pluggable readers and writers, over nuptse's decoders.

A backend reads (``read_audio``), describes (``info``) and possibly writes
(``save_audio``) audio.  The names are lhotse's, so
``set_current_audio_backend("LibsndfileBackend")`` or the environment
variable ``LHOTSE_AUDIO_BACKEND`` (``NUPTSE_AUDIO_BACKEND`` too) port as they
are.  What each one does here:

* ``LibsndfileBackend``: libsndfile (:class:`~nuptse.audio.decoders.SoundfileDecoder`),
  with nuptse's open-file cache and direct Opus/FLAC paths.  Writes too.
* ``AudioreadBackend``: the fallback for what libsndfile cannot read (AAC,
  M4A, video containers).  lhotse uses the audioread package, which usually
  runs the ``ffmpeg`` program; nuptse decodes with FFmpeg's libraries in
  process through PyAV (:class:`~nuptse.audio.decoders.PyAVDecoder`), so it
  needs no ``ffmpeg`` binary.  ``PyAVBackend`` is another name for it.
* ``FfmpegSubprocessOpusBackend``: Opus at FFmpeg's 48 kHz output rate (or a
  forced rate), via :func:`read_opus_ffmpeg`, also through PyAV.
* ``Sph2pipeSubprocessBackend``: runs the ``sph2pipe`` program on the path
  (no shell) for shorten-compressed SPHERE; plain SPHERE needs no program,
  libsndfile reads it.
* ``TorchaudioDefaultBackend``, ``TorchaudioFFMPEGBackend``,
  ``FfmpegTorchaudioStreamerBackend``, ``TorchcodecBackend``: nuptse does not
  decode through torchaudio or torchcodec.  They exist so that code naming
  them imports; they are never applicable and raise
  :class:`AudioBackendUnavailableError` when asked to read.
* ``CompositeAudioBackend``: tries its backends in order (a backend that
  ``handles_special_case`` an input is used alone).  The default one
  (``"default"``, :func:`get_default_audio_backend`) holds libsndfile, then
  PyAV.

Module-level :func:`read_audio`, :func:`info` and :func:`save_audio` use the
current backend.  Errors are :class:`~nuptse.audio.errors.AudioLoadingError`
subclasses naming the input: a missing file, a corrupt one (it starts like
audio but does not decode) or an unsupported format.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
from collections.abc import Generator
from contextlib import contextmanager
from functools import lru_cache
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
from nuptse.audio.handles import clear_audio_handle_cache, set_audio_handle_cache_size
from nuptse.timing import compute_num_samples, resampled_num_samples, samples_to_seconds

logger = logging.getLogger(__name__)

#: lhotse's name for the ``info`` result; the same type.
LibsndfileCompatibleAudioInfo = AudioInfo

#: File extensions that hold video (and read through PyAV).
SUPPORTED_VIDEO_EXTENSIONS = (".avi", ".mov", ".mp4", ".m4a", ".wmv", ".mkv", ".webm", ".flv")

#: The backend set by :func:`set_current_audio_backend` (None: not chosen yet).
CURRENT_AUDIO_BACKEND: Optional[AudioBackend] = None

_BACKEND_ENV = ("NUPTSE_AUDIO_BACKEND", "LHOTSE_AUDIO_BACKEND")
_FFMPEG_TORCHAUDIO_INFO_ENABLED = False


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
                f"Unknown audio backend name {name!r}; choose one of {available_audio_backends()}"
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


# --------------------------------------------------------------------------- choosing one


def available_audio_backends() -> list[str]:
    """``"default"`` and the name of every backend class (available here or not).

    >>> available_audio_backends()[:3]
    ['default', 'AudioreadBackend', 'CompositeAudioBackend']
    """
    return ["default", *sorted(AudioBackend.KNOWN_BACKENDS)]


def get_audio_backend_names() -> list[str]:
    """The backend class names (without ``"default"``)."""
    return sorted(AudioBackend.KNOWN_BACKENDS)


def list_audio_backends() -> list[str]:
    """Names of the backends that can decode in this environment."""
    return [
        name
        for name, cls in sorted(AudioBackend.KNOWN_BACKENDS.items())
        if cls is not CompositeAudioBackend and cls().is_available()
    ]


@lru_cache(maxsize=1)
def get_default_audio_backend() -> AudioBackend:
    """libsndfile first, then FFmpeg through PyAV for what libsndfile cannot read."""
    return CompositeAudioBackend([LibsndfileBackend(), AudioreadBackend()])


def get_current_audio_backend() -> AudioBackend:
    """The backend in use: set by :func:`set_current_audio_backend`, else named by
    ``NUPTSE_AUDIO_BACKEND``/``LHOTSE_AUDIO_BACKEND``, else the default."""
    if CURRENT_AUDIO_BACKEND is not None:
        return CURRENT_AUDIO_BACKEND
    for var in _BACKEND_ENV:
        name = os.environ.get(var)
        if name:
            try:
                return set_current_audio_backend(name)
            except ValueError as e:
                raise ValueError(f"{var}={name!r}: {e}") from None
    return set_current_audio_backend("default")


def set_current_audio_backend(backend: Union[AudioBackend, type, str]) -> AudioBackend:
    """Use ``backend`` (an instance, a class, a name or ``"default"``) for every read."""
    global CURRENT_AUDIO_BACKEND
    if isinstance(backend, str):
        backend = get_default_audio_backend() if backend == "default" else AudioBackend.new(backend)
    elif isinstance(backend, type) and issubclass(backend, AudioBackend):
        backend = backend()
    if not isinstance(backend, AudioBackend):
        raise TypeError(f"Expected an AudioBackend, its class or its name, got {backend!r}")
    CURRENT_AUDIO_BACKEND = backend
    return backend


@contextmanager
def audio_backend(backend: Union[AudioBackend, type, str]) -> Generator[AudioBackend, None, None]:
    """Use ``backend`` inside the block, then restore the previous one.

    >>> with audio_backend("LibsndfileBackend") as b:
    ...     type(b).__name__
    'LibsndfileBackend'
    """
    global CURRENT_AUDIO_BACKEND
    previous = CURRENT_AUDIO_BACKEND
    try:
        yield set_current_audio_backend(backend)
    finally:
        CURRENT_AUDIO_BACKEND = previous


def set_ffmpeg_torchaudio_info_enabled(enabled: bool) -> None:
    """lhotse's switch for reading headers through torchaudio; kept, without effect here."""
    global _FFMPEG_TORCHAUDIO_INFO_ENABLED
    _FFMPEG_TORCHAUDIO_INFO_ENABLED = bool(enabled)


def get_ffmpeg_torchaudio_info_enabled() -> bool:
    return _FFMPEG_TORCHAUDIO_INFO_ENABLED


# --------------------------------------------------------------------------- torchaudio probes


def check_torchaudio_version_gt(version: str) -> bool:
    """Whether torchaudio is installed and newer than ``version``."""
    try:
        import torchaudio
    except ImportError:
        return False
    from packaging.version import parse

    return parse(torchaudio.__version__) > parse(version)


def torchaudio_supports_ffmpeg() -> bool:
    """False: nuptse does not read through torchaudio."""
    return False


def torchaudio_ffmpeg_backend_available() -> bool:
    """False: nuptse does not read through torchaudio."""
    return False


def torchaudio_soundfile_supports_format() -> bool:
    """False: nuptse does not write through torchaudio."""
    return False


def _no_torchaudio(what: str):
    return AudioBackendUnavailableError(
        f"{what} reads through torchaudio, which nuptse does not use; call "
        "nuptse.audio.backend.read_audio / info instead"
    )


def torchaudio_info(path_or_fileobj: Union[str, Path, BinaryIO]) -> AudioInfo:
    """Not available in nuptse (raises :class:`AudioBackendUnavailableError`)."""
    raise _no_torchaudio("torchaudio_info")


def torchaudio_load(path_or_fd: Any, offset: float = 0, duration: Optional[float] = None):
    """Not available in nuptse (raises :class:`AudioBackendUnavailableError`)."""
    raise _no_torchaudio("torchaudio_load")


def read_opus_torchaudio(
    path: Any,
    offset: float = 0.0,
    duration: Optional[float] = None,
    force_opus_sampling_rate: Optional[int] = None,
):
    """Not available in nuptse (raises :class:`AudioBackendUnavailableError`)."""
    raise _no_torchaudio("read_opus_torchaudio")


# --------------------------------------------------------------------------- module-level API


def read_opus_ffmpeg(
    path: Union[str, Path],
    offset: float = 0.0,
    duration: Optional[float] = None,
    force_opus_sampling_rate: Optional[int] = None,
) -> tuple[np.ndarray, int]:
    """Decode an Opus file as FFmpeg does: at 48 kHz, or resampled to the forced rate.

    FFmpeg's libraries do the decoding in this process (PyAV); no ``ffmpeg``
    program is run.
    """
    return FfmpegSubprocessOpusBackend().read_audio(
        path, offset=offset, duration=duration, force_opus_sampling_rate=force_opus_sampling_rate
    )


def opus_info(path: Union[str, Path], force_opus_sampling_rate: Optional[int] = None) -> AudioInfo:
    """FFmpeg's view of an Opus file (48 kHz unless forced)."""
    return FfmpegSubprocessOpusBackend().info(
        path, force_opus_sampling_rate=force_opus_sampling_rate
    )


def info(
    path: PathOrFile,
    force_opus_sampling_rate: Optional[int] = None,
    force_read_audio: bool = False,
) -> AudioInfo:
    """Channels, exact sample count, rate and duration of an audio file or stream.

    ``force_read_audio`` decodes the whole file to count its samples instead
    of trusting the header (for files whose header is wrong or missing).

    >>> i = info("tests/fixtures/stereo.wav")  # doctest: +SKIP
    >>> (i.channels, i.frames, i.samplerate)  # doctest: +SKIP
    (2, 8000, 8000)
    """
    backend = get_current_audio_backend()
    if not force_read_audio:
        return backend.info(path, force_opus_sampling_rate=force_opus_sampling_rate)
    audio, rate = backend.read_audio(path, force_opus_sampling_rate=force_opus_sampling_rate)
    return AudioInfo(audio.shape[0], audio.shape[1], rate, samples_to_seconds(audio.shape[1], rate))


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
    return get_current_audio_backend().read_samples(
        path, int(start), None if num_samples is None else int(num_samples)
    )


def read_audio(
    path: PathOrFile,
    offset: float = 0.0,
    duration: Optional[float] = None,
    force_opus_sampling_rate: Optional[int] = None,
) -> tuple[np.ndarray, int]:
    """Read ``duration`` seconds (all when None) from ``offset`` seconds.

    Seconds become samples at the file's own rate (one open per call).  When
    ``force_opus_sampling_rate`` differs from the stream's rate the result is
    resampled to it.
    """
    return get_current_audio_backend().read_audio(
        path, offset=offset, duration=duration, force_opus_sampling_rate=force_opus_sampling_rate
    )


def save_audio(
    dest: Union[str, Path, BinaryIO],
    src: Any,
    sampling_rate: int,
    format: Optional[str] = None,
    encoding: Optional[str] = None,
) -> None:
    """Write float audio shaped ``(channels, samples)`` with the current backend.

    ``format`` defaults to the destination's extension (FLAC for streams);
    WAV and FLAC are written as 16-bit PCM unless ``encoding`` (a libsndfile
    subtype such as ``"FLOAT"``) says otherwise.
    """
    backend = get_current_audio_backend()
    if not backend.supports_save():
        backend = LibsndfileBackend()
    backend.save_audio(dest, src, sampling_rate, format=format, encoding=encoding)


__all__ = [
    "AudioBackend",
    "AudioBackendUnavailableError",
    "AudioInfo",
    "AudioreadBackend",
    "CompositeAudioBackend",
    "FfmpegSubprocessOpusBackend",
    "FfmpegTorchaudioStreamerBackend",
    "LibsndfileBackend",
    "LibsndfileCompatibleAudioInfo",
    "PyAVBackend",
    "Sph2pipeSubprocessBackend",
    "TorchaudioDefaultBackend",
    "TorchaudioFFMPEGBackend",
    "TorchcodecBackend",
    "audio_backend",
    "available_audio_backends",
    "check_torchaudio_version_gt",
    "clear_audio_handle_cache",
    "get_audio_backend_names",
    "get_current_audio_backend",
    "get_default_audio_backend",
    "get_ffmpeg_torchaudio_info_enabled",
    "info",
    "list_audio_backends",
    "opus_info",
    "read_audio",
    "read_audio_samples",
    "read_opus_ffmpeg",
    "read_opus_torchaudio",
    "save_audio",
    "set_audio_handle_cache_size",
    "set_current_audio_backend",
    "set_ffmpeg_torchaudio_info_enabled",
    "torchaudio_ffmpeg_backend_available",
    "torchaudio_info",
    "torchaudio_load",
    "torchaudio_soundfile_supports_format",
    "torchaudio_supports_ffmpeg",
]
