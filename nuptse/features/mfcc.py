"""``TorchaudioMfcc``: lhotse's ``mfcc`` extractor (``torchaudio.compliance.kaldi.mfcc``'s options).

The config keeps torchaudio's keyword names; the features are computed by
nuptse's :class:`~nuptse.features.kaldi.layers.Wav2MFCC` with torchaudio's
conventions, so torchaudio is not needed.

>>> import numpy as np
>>> TorchaudioMfcc().extract(np.zeros(8000, dtype=np.float32), 16000).shape
(50, 13)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nuptse.features.extractor import EPSILON, TorchaudioFeatureExtractor, register_extractor
from nuptse.timing import Seconds


@dataclass
class TorchaudioMfccConfig:
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
    # mel bank and cepstrum
    low_freq: float = 20.0
    high_freq: float = -400.0
    num_mel_bins: int = 23
    use_energy: bool = False
    vtln_low: float = 100.0
    vtln_high: float = -500.0
    vtln_warp: float = 1.0
    cepstral_lifter: float = 22.0
    num_ceps: int = 13

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> TorchaudioMfccConfig:
        return TorchaudioMfccConfig(**data)


@register_extractor
class TorchaudioMfcc(TorchaudioFeatureExtractor):
    """Kaldi MFCC with torchaudio's options (registered as ``mfcc``)."""

    name = "mfcc"
    config_type = TorchaudioMfccConfig
    layer_type = "nuptse.features.kaldi.mel:Wav2MFCC"

    def _layer_kwargs(self) -> dict[str, Any]:
        c = self.config
        return dict(
            low_freq=c.low_freq,
            high_freq=c.high_freq,
            num_filters=c.num_mel_bins,
            use_energy=c.use_energy,
            num_ceps=c.num_ceps,
            cepstral_lifter=c.cepstral_lifter,
        )

    def feature_dim(self, sampling_rate: int) -> int:
        return self.config.num_ceps
