"""``TorchaudioSpectrogram``: lhotse's ``spectrogram`` extractor (``torchaudio.compliance.kaldi.spectrogram``'s options).

Kaldi's ``compute-spectrogram-feats``: the log power spectrum of each frame
with the frame's log energy in column 0.  The config keeps torchaudio's
keyword names; the features come from nuptse's
:class:`~nuptse.features.kaldi.layers.Wav2LogSpec` with torchaudio's
conventions (centred frames, logs floored at FLT_EPSILON), so torchaudio is
not needed.

>>> import numpy as np
>>> TorchaudioSpectrogram().extract(np.zeros(16000, dtype=np.float32), 16000).shape
(100, 257)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nuptse.features.extractor import (
    LogEnergyMixing,
    TorchaudioFeatureExtractor,
    TorchaudioFramingConfig,
    register_extractor,
)
from nuptse.timing import compute_num_samples


@dataclass
class TorchaudioSpectrogramConfig(TorchaudioFramingConfig):
    pass  # frames are always centred: no snip_edges option


@register_extractor
class TorchaudioSpectrogram(LogEnergyMixing, TorchaudioFeatureExtractor):
    """Kaldi log power spectrum with torchaudio's options (registered as ``spectrogram``)."""

    name = "spectrogram"
    config_type = TorchaudioSpectrogramConfig
    layer_type = "nuptse.features.kaldi.spectral:Wav2LogSpec"

    def _layer_kwargs(self) -> dict[str, Any]:
        return dict(use_energy=True)

    def feature_dim(self, sampling_rate: int) -> int:
        length = compute_num_samples(self.config.frame_length, sampling_rate)
        if self.config.round_to_power_of_two:
            length = 1 << max(0, length - 1).bit_length()
        return length // 2 + 1
