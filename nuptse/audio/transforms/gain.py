"""Amplitude transforms: volume, clipping (saturation) and loudness normalisation.

None of them changes the timing, so their ``reverse_timestamps`` is the
identity.  ``LoudnessNormalization`` measures loudness with pyloudnorm
(ITU-R BS.1770), an optional dependency.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from nuptse.audio.transforms.base import AudioTransform, audio_array, optional_module

#: A peak below this (dBFS) counts as silence: clipping leaves it as it is.
SILENCE_PEAK_DB = -96.0


def _float_out(result: np.ndarray, like: np.ndarray) -> np.ndarray:
    dtype = like.dtype if np.issubdtype(like.dtype, np.floating) else np.float32
    return np.ascontiguousarray(result, dtype=dtype)


@dataclass
class Volume(AudioTransform):
    """Gain by ``factor`` (no limiter).

    >>> Volume(0.5)(np.ones((1, 2), dtype=np.float32), 16000)
    array([[0.5, 0.5]], dtype=float32)
    """

    factor: float

    def __call__(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        return (np.asarray(samples, dtype=np.float32) * np.float32(self.factor)).astype(
            np.float32, copy=False
        )


@dataclass
class Clipping(AudioTransform):
    """Saturate the signal as an overdriven input stage would.

    The signal is (optionally) normalised to a 0 dBFS peak, amplified by
    ``gain_db``, limited to [-1, 1] (``hard``: cut off; otherwise ``tanh``),
    and brought back to its original level, so only the shape of the
    waveform changes.  Near-silent input (peak below -96 dBFS) is returned as
    it is.

    >>> Clipping(hard=True, gain_db=6.0)(np.array([[0.5, 1.0]], dtype=np.float32), 16000)
    array([[0.5      , 0.5011872]], dtype=float32)
    """

    hard: bool = False
    gain_db: float = 0.0
    normalize: bool = True

    def __call__(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        x = np.asarray(samples)
        peak = float(np.max(np.abs(x))) if x.size else 0.0
        if peak == 0.0 or 20.0 * math.log10(peak) < SILENCE_PEAK_DB:
            return x.copy()
        scale = peak if self.normalize else 1.0
        gain = 10.0 ** (self.gain_db / 20.0)
        driven = x.astype(np.float64) * (gain / scale)
        limited = np.clip(driven, -1.0, 1.0) if self.hard else np.tanh(driven)
        return _float_out(limited * (scale / gain), x)


def normalize_loudness(audio: np.ndarray, target: float, sampling_rate: int = 16000) -> np.ndarray:
    """Scale ``(channels, samples)`` audio to an integrated loudness of ``target`` LUFS.

    Loudness is measured by pyloudnorm's BS.1770 meter (gating blocks of
    0.4 s, or the whole signal if shorter); up to 5 channels (L, R, C, Ls, Rs).
    Clipping warnings from pyloudnorm are silenced: the gain is applied as is.
    """
    pyloudnorm = optional_module("pyloudnorm", "pyloudnorm", "Loudness normalisation")
    x = audio_array(audio, "normalize_loudness")
    duration = x.shape[1] / sampling_rate
    meter = pyloudnorm.Meter(sampling_rate, block_size=min(0.4, duration - 1e-10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        measured = meter.integrated_loudness(x.T)
        out = pyloudnorm.normalize.loudness(x.T, measured, target)
    return np.ascontiguousarray(out.T, dtype=x.dtype)


@dataclass
class LoudnessNormalization(AudioTransform):
    """Normalise to ``target`` LUFS (integrated loudness, ITU-R BS.1770) with pyloudnorm."""

    target: float

    def __call__(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        return normalize_loudness(samples, target=self.target, sampling_rate=sampling_rate)


__all__ = [
    "Clipping",
    "LoudnessNormalization",
    "SILENCE_PEAK_DB",
    "Volume",
    "normalize_loudness",
]
