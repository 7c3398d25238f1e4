"""Audio settings and helpers shared by the audio modules.

* The duration-mismatch tolerance: how far the number of samples a decoder
  returns may differ from what a manifest declares before loading fails
  (lossy codecs such as MP3 and Opus disagree between decoders by a few
  milliseconds).  Default 0.5 s, as in lhotse; set it with
  :func:`set_audio_duration_mismatch_tolerance` or the environment variable
  ``NUPTSE_AUDIO_DURATION_MISMATCH_TOLERANCE`` (``LHOTSE_...`` is honoured
  too).  ``Recording.load_audio`` also takes a per-call ``tolerance``.
* Suppressing audio errors for data pipelines that prefer to skip bad files
  (:func:`suppress_audio_loading_errors`).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import Optional

import numpy as np

from nuptse.audio.errors import AudioLoadingError, AudioSavingError, DurationMismatchError
from nuptse.utils import NonPositiveEnergyError, suppress_and_warn

logger = logging.getLogger(__name__)


def pcm16_to_float32(ints: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
    """16-bit PCM samples as float32, ``ints * 2**-15``: exactly libsndfile's float values.

    The one place this scaling is written, so that every 16-bit path (libsndfile's
    int16 reads, FFmpeg's FLAC decoder, the decode helper processes) gives the
    same bits.

    >>> pcm16_to_float32(np.array([-32768, 0, 16384], dtype=np.int16))
    array([-1. ,  0. ,  0.5], dtype=float32)
    """
    return np.multiply(ints, np.float32(1 / 32768), out=out, dtype=np.float32)


DEFAULT_DURATION_MISMATCH_TOLERANCE = 0.5
_tolerance_override: Optional[float] = None


def get_audio_duration_mismatch_tolerance() -> float:
    """The allowed difference (seconds) between declared and decoded length.

    >>> get_audio_duration_mismatch_tolerance()
    0.5
    """
    if _tolerance_override is not None:
        return _tolerance_override
    for var in (
        "NUPTSE_AUDIO_DURATION_MISMATCH_TOLERANCE",
        "LHOTSE_AUDIO_DURATION_MISMATCH_TOLERANCE",
    ):
        if var in os.environ:
            try:
                return float(os.environ[var])
            except ValueError as e:
                raise ValueError(f"{var}={os.environ[var]!r} is not a number of seconds") from e
    return DEFAULT_DURATION_MISMATCH_TOLERANCE


def set_audio_duration_mismatch_tolerance(delta: float) -> None:
    """Override the process-wide tolerance (seconds); ``None`` restores the default."""
    global _tolerance_override
    if delta is not None and delta < 0:
        raise ValueError(f"The duration mismatch tolerance must be >= 0, got {delta}")
    _tolerance_override = delta


@contextmanager
def suppress_audio_loading_errors(enabled: bool = True):
    """Inside this block, audio that cannot be read is logged as a warning and skipped.

    Suppresses :class:`AudioLoadingError` (incl. :class:`DurationMismatchError`),
    :class:`~nuptse.utils.NonPositiveEnergyError` and ``ConnectionResetError``
    (network sources); the statement that raised is abandoned.

    >>> with suppress_audio_loading_errors():
    ...     raise AudioLoadingError("unreadable.wav")
    """
    with suppress_and_warn(
        AudioLoadingError,
        DurationMismatchError,
        NonPositiveEnergyError,
        ConnectionResetError,
        enabled=enabled,
    ):
        yield


class VideoLoadingError(Exception):
    """The video stream of a recording could not be read."""


@contextmanager
def suppress_video_loading_errors(enabled: bool = True):
    """Like :func:`suppress_audio_loading_errors`, for video reads (video errors included)."""
    with suppress_and_warn(
        VideoLoadingError,
        AudioLoadingError,
        DurationMismatchError,
        NonPositiveEnergyError,
        enabled=enabled,
    ):
        yield


def verbose_audio_loading_exceptions() -> bool:
    """Whether ``LHOTSE_AUDIO_LOADING_EXCEPTION_VERBOSE=1`` (or ``NUPTSE_...``) asks for
    full tracebacks in audio loading errors."""
    return "1" in (
        os.environ.get("NUPTSE_AUDIO_LOADING_EXCEPTION_VERBOSE"),
        os.environ.get("LHOTSE_AUDIO_LOADING_EXCEPTION_VERBOSE"),
    )


def null_result_on_audio_loading_error(func: Callable) -> Callable:
    """Decorator: return ``None`` (with a warning) instead of raising when the audio
    cannot be read (the errors :func:`suppress_audio_loading_errors` suppresses)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with suppress_audio_loading_errors():
            return func(*args, **kwargs)
        return None

    return wrapper


@dataclass
class VideoInfo:
    """What a manifest records about a video stream (kept for lhotse layout)."""

    fps: float
    num_frames: int
    height: int
    width: int

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps

    @property
    def frame_length(self) -> float:
        return 1.0 / self.fps

    def copy_with(self, **kwargs) -> VideoInfo:
        return replace(self, **kwargs)

    @classmethod
    def from_dict(cls, data: dict) -> VideoInfo:
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)


__all__ = [
    "AudioLoadingError",
    "DurationMismatchError",
    "VideoInfo",
    "get_audio_duration_mismatch_tolerance",
    "set_audio_duration_mismatch_tolerance",
    "suppress_audio_loading_errors",
    "null_result_on_audio_loading_error",
    "suppress_video_loading_errors",
    "verbose_audio_loading_exceptions",
    "VideoLoadingError",
    "AudioSavingError",
    "NonPositiveEnergyError",
    "suppress_and_warn",
]
