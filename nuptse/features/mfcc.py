"""``TorchaudioMfcc``: lhotse's ``mfcc`` extractor (``torchaudio.compliance.kaldi.mfcc``'s options).

The config keeps torchaudio's keyword names; the features are computed by
nuptse's :class:`~nuptse.features.kaldi.layers.Wav2MFCC` with torchaudio's
conventions, so torchaudio is not needed.

>>> import numpy as np
>>> TorchaudioMfcc().extract(np.zeros(8000, dtype=np.float32), 16000).shape
(50, 13)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nuptse.features.extractor import (
    TorchaudioFeatureExtractor,
    TorchaudioMelConfig,
    register_extractor,
)
from nuptse.features.fbank import TorchaudioFbank


@dataclass
class TorchaudioMfccConfig(TorchaudioMelConfig):
    num_mel_bins: int = 23
    cepstral_lifter: float = 22.0
    num_ceps: int = 13


@register_extractor
class TorchaudioMfcc(TorchaudioFeatureExtractor):
    """Kaldi MFCC with torchaudio's options (registered as ``mfcc``)."""

    name = "mfcc"
    config_type = TorchaudioMfccConfig
    layer_type = "nuptse.features.kaldi.mel:Wav2MFCC"

    def _layer_kwargs(self) -> dict[str, Any]:
        kwargs = TorchaudioFbank._layer_kwargs(self)  # the mel bank
        kwargs.update(num_ceps=self.config.num_ceps, cepstral_lifter=self.config.cepstral_lifter)
        return kwargs

    def feature_dim(self, sampling_rate: int) -> int:
        return self.config.num_ceps
