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

from dataclasses import dataclass
from typing import Any

from nuptse.features.extractor import (
    LogEnergyMixing,
    TorchaudioFeatureExtractor,
    TorchaudioMelConfig,
    register_extractor,
)


@dataclass
class TorchaudioFbankConfig(TorchaudioMelConfig):
    pass


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
