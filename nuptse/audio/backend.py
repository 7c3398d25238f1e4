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

import logging
import os
from collections.abc import Generator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Optional, Union

import numpy as np

from nuptse.audio.backends import (
    AudioBackend,
    AudioBackendUnavailableError,
    AudioreadBackend,
    CompositeAudioBackend,
    FfmpegSubprocessOpusBackend,
    FfmpegTorchaudioStreamerBackend,
    LibsndfileBackend,
    PyAVBackend,
    Sph2pipeSubprocessBackend,
    TorchaudioDefaultBackend,
    TorchaudioFFMPEGBackend,
    TorchcodecBackend,
)
from nuptse.audio.decoders import AudioInfo, PathOrFile
from nuptse.audio.errors import AudioLoadingError
from nuptse.audio.handles import clear_audio_handle_cache, set_audio_handle_cache_size
from nuptse.audio.utils import verbose_audio_loading_exceptions
from nuptse.timing import samples_to_seconds

logger = logging.getLogger(__name__)

#: lhotse's name for the ``info`` result; the same type.
LibsndfileCompatibleAudioInfo = AudioInfo

#: File extensions that hold video (and read through PyAV).
SUPPORTED_VIDEO_EXTENSIONS = (".avi", ".mov", ".mp4", ".m4a", ".wmv", ".mkv", ".webm", ".flv")

#: The backend set by :func:`set_current_audio_backend` (None: not chosen yet).
CURRENT_AUDIO_BACKEND: Optional[AudioBackend] = None

_BACKEND_ENV = ("NUPTSE_AUDIO_BACKEND", "LHOTSE_AUDIO_BACKEND")
_FFMPEG_TORCHAUDIO_INFO_ENABLED = False


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


def torchaudio_ffmpeg_streamer_info(path_or_fileobj: Union[str, Path, BinaryIO]) -> AudioInfo:
    """Not available in nuptse (raises :class:`AudioBackendUnavailableError`)."""
    raise _no_torchaudio("torchaudio_ffmpeg_streamer_info")


def torchaudio_2_ffmpeg_load(
    path_or_fd: Any,
    offset: float = 0,
    duration: Optional[float] = None,
    resample_rate: Optional[int] = None,
):
    """Not available in nuptse (raises :class:`AudioBackendUnavailableError`)."""
    raise _no_torchaudio("torchaudio_2_ffmpeg_load")


def torchaudio_ffmpeg_load(
    path_or_fileobj: Any, offset: float = 0, duration: Optional[float] = None
):
    """Not available in nuptse (raises :class:`AudioBackendUnavailableError`)."""
    raise _no_torchaudio("torchaudio_ffmpeg_load")


def torchcodec_info(path_or_fd: Any) -> AudioInfo:
    """Not available in nuptse (raises :class:`AudioBackendUnavailableError`)."""
    return TorchcodecBackend().info(path_or_fd)


def torchcodec_load(path_or_fd: Any, offset: float = 0, duration: Optional[float] = None):
    """Not available in nuptse (raises :class:`AudioBackendUnavailableError`)."""
    return TorchcodecBackend().read_audio(path_or_fd, offset=offset, duration=duration)


# --------------------------------------------------------------------------- one decoder by name


def soundfile_info(path: PathOrFile) -> AudioInfo:
    """:func:`info` through libsndfile only."""
    return LibsndfileBackend().info(path)


def soundfile_load(
    path_or_fd: PathOrFile, offset: float = 0, duration: Optional[float] = None
) -> tuple[np.ndarray, int]:
    """:func:`read_audio` through libsndfile only."""
    return LibsndfileBackend().read_audio(path_or_fd, offset=offset, duration=duration)


def audioread_info(path: PathOrFile) -> AudioInfo:
    """:func:`info` through the fallback decoder (FFmpeg via PyAV in nuptse)."""
    return AudioreadBackend().info(path)


def audioread_load(
    path_or_file: PathOrFile,
    offset: float = 0.0,
    duration: Optional[float] = None,
    dtype=np.float32,
) -> tuple[np.ndarray, int]:
    """:func:`read_audio` through the fallback decoder (FFmpeg via PyAV in nuptse)."""
    audio, rate = AudioreadBackend().read_audio(path_or_file, offset=offset, duration=duration)
    return audio.astype(dtype, copy=False), rate


def read_opus(
    path: Union[str, Path],
    offset: float = 0.0,
    duration: Optional[float] = None,
    force_opus_sampling_rate: Optional[int] = None,
) -> tuple[np.ndarray, int]:
    """An Opus file decoded by FFmpeg (see :func:`read_opus_ffmpeg`)."""
    return read_opus_ffmpeg(
        path, offset=offset, duration=duration, force_opus_sampling_rate=force_opus_sampling_rate
    )


def read_sph(
    sph_path: Union[str, Path], offset: float = 0.0, duration: Optional[float] = None
) -> tuple[np.ndarray, int]:
    """A NIST SPHERE file: plain PCM through libsndfile, shorten-compressed through sph2pipe."""
    try:
        return LibsndfileBackend().read_audio(sph_path, offset=offset, duration=duration)
    except AudioLoadingError:
        if not Sph2pipeSubprocessBackend().is_available():
            raise
        return Sph2pipeSubprocessBackend().read_audio(sph_path, offset=offset, duration=duration)


def sph_info(path: Union[str, Path]) -> AudioInfo:
    """Header facts of a NIST SPHERE file (see :func:`read_sph`)."""
    audio, rate = read_sph(path)
    return AudioInfo(audio.shape[0], audio.shape[1], rate, samples_to_seconds(audio.shape[1], rate))


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
    "audioread_info",
    "audioread_load",
    "available_audio_backends",
    "read_opus",
    "read_sph",
    "soundfile_info",
    "soundfile_load",
    "sph_info",
    "torchaudio_2_ffmpeg_load",
    "torchaudio_ffmpeg_load",
    "torchaudio_ffmpeg_streamer_info",
    "torchcodec_info",
    "torchcodec_load",
    "verbose_audio_loading_exceptions",
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
