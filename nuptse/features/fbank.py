"""``TorchaudioFbank``: lhotse's ``fbank`` extractor (``torchaudio.compliance.kaldi.fbank``'s options).

The config keeps torchaudio's keyword names, so lhotse manifests and YAML
files that name ``fbank`` load; the features are computed by nuptse's
:class:`~nuptse.features.kaldi.layers.Wav2LogFilterBank` with torchaudio's
conventions (centred frames, logs floored at FLT_EPSILON), so torchaudio is
not needed.

>>> import numpy as np
>>> TorchaudioFbank().extract(np.zeros(16000, dtype=np.float32), 16000).shape
(100, 80)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nuptse.features.extractor import (
    EPSILON,
    LogEnergyMixing,
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
class TorchaudioFbank(LogEnergyMixing, TorchaudioFeatureExtractor):
    """Kaldi log-mel filter bank with torchaudio's options (registered as ``fbank``)."""

    name = "fbank"
    config_type = TorchaudioFbankConfig
    layer_type = "nuptse.features.kaldi.mel:Wav2LogFilterBank"

    def _layer_kwargs(self) -> dict[str, Any]:
        c = self.config
        return dict(
            low_freq=c.low_freq,
            high_freq=c.high_freq,
            num_filters=c.num_mel_bins,
            use_energy=c.use_energy,
        )

    def feature_dim(self, sampling_rate: int) -> int:
        return self.config.num_mel_bins + (1 if self.config.use_energy else 0)
