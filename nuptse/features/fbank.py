"""``TorchaudioFbank``: log-mel filter banks from ``torchaudio.compliance.kaldi.fbank``.

The config mirrors torchaudio's keyword names (lhotse's ``fbank`` extractor);
constructing the extractor needs torchaudio.  Without torchaudio, prefer
:class:`nuptse.features.kaldi.extractors.Fbank`, which computes the same
Kaldi features with torch alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nuptse.features.extractor import (
    EPSILON,
    TorchaudioFeatureExtractor,
    register_extractor,
)
from nuptse.timing import Seconds


@dataclass
class TorchaudioFbankConfig:
    # framing and spectrum
    dither: float = 0.0
    window_type: str = "povey"
    frame_length: Seconds = 0.025  # given to torchaudio in milliseconds
    frame_shift: Seconds = 0.01
    remove_dc_offset: bool = True
    round_to_power_of_two: bool = True
    energy_floor: float = EPSILON
    min_duration: float = 0.0
    preemphasis_coefficient: float = 0.97
    raw_energy: bool = True
    # mel bank
    low_freq: float = 20.0
    high_freq: float = -400.0
    num_mel_bins: int = 80
    use_energy: bool = False
    vtln_low: float = 100.0
    vtln_high: float = -500.0
    vtln_warp: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> TorchaudioFbankConfig:
        return TorchaudioFbankConfig(**data)


@register_extractor
class TorchaudioFbank(TorchaudioFeatureExtractor):
    """Log-mel filter bank computed by torchaudio (registered as ``fbank``)."""

    name = "fbank"
    config_type = TorchaudioFbankConfig

    def _feature_fn(self, *args, **kwargs):
        from torchaudio.compliance.kaldi import fbank

        return fbank(*args, **kwargs)

    def feature_dim(self, sampling_rate: int) -> int:
        return self.config.num_mel_bins

    @staticmethod
    def mix(
        features_a: np.ndarray, features_b: np.ndarray, energy_scaling_factor_b: float
    ) -> np.ndarray:
        return np.log(
            np.maximum(EPSILON, np.exp(features_a) + energy_scaling_factor_b * np.exp(features_b))
        )

    @staticmethod
    def compute_energy(features: np.ndarray) -> float:
        return max(float(np.sum(np.exp(np.asarray(features, dtype=np.float64)))), EPSILON)
