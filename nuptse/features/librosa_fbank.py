"""``LibrosaFbank``: librosa-style log10 mel filter banks, as TTS vocoder recipes compute them.

The defaults follow ParallelWaveGAN-like projects (22.05 kHz, 1024-point
FFT, hop 256, 80 Slaney mel bands between 80 and 7600 Hz).  The STFT
magnitude and the mel bank are computed with numpy
(:mod:`nuptse.features.slaney`), so librosa is not needed.  The frame count
is then made equal to :func:`nuptse.timing.compute_num_frames` of the
audio's duration (trimming or padding at most one frame).

>>> import numpy as np
>>> LibrosaFbank().extract(np.zeros(22050, dtype=np.float32), 22050).shape
(86, 80)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Optional

import numpy as np

from nuptse.features.extractor import EPSILON, FeatureExtractor, LogEnergyMixing, register_extractor
from nuptse.features.slaney import centred_stft_magnitude, slaney_mel_filters
from nuptse.timing import Seconds, compute_num_frames, samples_to_seconds
from nuptse.utils import LOG_EPSILON

__all__ = ["LibrosaFbank", "LibrosaFbankConfig", "logmelfilterbank", "pad_or_truncate_features"]


@dataclass
class LibrosaFbankConfig:
    sampling_rate: int = 22050
    fft_size: int = 1024
    hop_size: int = 256
    win_length: Optional[int] = None
    window: str = "hann"
    num_mel_bins: int = 80
    fmin: int = 80
    fmax: int = 7600

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> LibrosaFbankConfig:
        return LibrosaFbankConfig(**data)


def pad_or_truncate_features(
    feats: np.ndarray,
    expected_num_frames: int,
    abs_tol: int = 1,
    pad_value: float = LOG_EPSILON,
) -> np.ndarray:
    """``feats`` cut or padded (with ``pad_value``) to ``expected_num_frames`` rows.

    Raises ValueError when the counts differ by more than ``abs_tol``.

    >>> pad_or_truncate_features(np.zeros((5, 2)), 6).shape
    (6, 2)
    """
    diff = feats.shape[0] - expected_num_frames
    if abs(diff) > abs_tol:
        raise ValueError(
            f"expected {expected_num_frames} frames (+/- {abs_tol}), but the features have "
            f"{feats.shape[0]}"
        )
    if diff > 0:
        return feats[:expected_num_frames]
    if diff < 0:
        return np.pad(feats, ((0, -diff), (0, 0)), mode="constant", constant_values=pad_value)
    return feats


def logmelfilterbank(
    audio: np.ndarray,
    sampling_rate: int,
    fft_size: int = 1024,
    hop_size: int = 256,
    win_length: Optional[int] = None,
    window: str = "hann",
    num_mel_bins: int = 80,
    fmin: Optional[float] = 80,
    fmax: Optional[float] = 7600,
    eps: float = EPSILON,
) -> np.ndarray:
    """``log10(max(eps, |STFT| @ mel))`` of a single-channel signal: ``(num_frames, num_mel_bins)``."""
    audio = np.asarray(audio)
    if audio.ndim == 2 and audio.shape[0] == 1:
        audio = audio[0]
    if audio.ndim != 1:
        raise ValueError(
            f"LibrosaFbank works on single-channel audio; got shape {tuple(audio.shape)}"
        )
    if window not in ("hann", "hanning"):
        raise ValueError(f"LibrosaFbank supports window='hann' only, got window={window!r}")
    magnitude = centred_stft_magnitude(audio, fft_size, hop_size, win_length)
    bank = slaney_mel_filters(
        sampling_rate,
        fft_size,
        num_mel_bins,
        0.0 if fmin is None else fmin,
        sampling_rate / 2 if fmax is None else fmax,
    )
    feats = np.log10(np.maximum(eps, magnitude @ bank.T.astype(np.float64)))
    expected = compute_num_frames(
        samples_to_seconds(audio.shape[0], sampling_rate), hop_size / sampling_rate, sampling_rate
    )
    return pad_or_truncate_features(feats, expected)


@register_extractor
class LibrosaFbank(LogEnergyMixing, FeatureExtractor):
    """Log10 Slaney-mel filter bank of the STFT magnitude (registered as ``librosa-fbank``)."""

    name = "librosa-fbank"
    config_type = LibrosaFbankConfig

    @property
    def frame_shift(self) -> Seconds:
        return self.config.hop_size / self.config.sampling_rate

    def feature_dim(self, sampling_rate: int) -> int:
        return self.config.num_mel_bins

    def extract(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        if sampling_rate != self.config.sampling_rate:
            raise ValueError(
                f"LibrosaFbank is configured for sampling_rate={self.config.sampling_rate}, "
                f"got audio at {sampling_rate} Hz"
            )
        return logmelfilterbank(samples, **asdict(self.config)).astype(np.float32)
