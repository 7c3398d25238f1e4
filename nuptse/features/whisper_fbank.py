"""``WhisperFbank``: the log-mel input features of OpenAI's Whisper models.

16 kHz audio, 25 ms periodic-Hann frames every 10 ms (centred, reflect
padding), power spectrum through an ``num_filters``-band Slaney mel bank,
``log10`` floored at 1e-10, clamped to 8 below the utterance's maximum, then
``(x + 4) / 4``.  The last STFT frame is dropped and the result zero-padded
to :func:`nuptse.timing.compute_num_frames_from_samples` frames, as lhotse
does.  The mel bank comes from :mod:`nuptse.features.slaney`, so neither
whisper nor librosa is needed.

>>> import numpy as np
>>> WhisperFbank().extract(np.zeros(16000, dtype=np.float32), 16000).shape
(100, 80)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np
import torch

from nuptse.features.extractor import FeatureExtractor, LogEnergyMixing, register_extractor
from nuptse.features.slaney import slaney_mel_filters
from nuptse.timing import Seconds, compute_num_frames_from_samples

__all__ = ["WhisperFbank", "WhisperFbankConfig", "log_mel_spectrogram"]


def log_mel_spectrogram(
    audio: Union[np.ndarray, torch.Tensor],
    filters: torch.Tensor,
    n_mels: int = 80,
    n_fft: int = 400,
    window: Optional[torch.Tensor] = None,
    hop_length: int = 160,
    sampling_rate: int = 16000,
    device: Optional[Union[str, torch.device]] = None,
) -> torch.Tensor:
    """Whisper's normalised log-mel spectrogram ``(num_frames, n_mels)`` of a single-channel signal."""
    x = audio if isinstance(audio, torch.Tensor) else torch.from_numpy(np.asarray(audio))
    if device is not None:
        x = x.to(device)
    if x.dim() == 2 and x.size(0) == 1:
        x = x[0]
    if x.dim() != 1:
        raise ValueError(f"WhisperFbank works on single-channel audio; got shape {tuple(x.shape)}")
    if window is None:
        window = torch.hann_window(n_fft, device=x.device)
    num_samples = x.size(0)
    if num_samples <= n_fft // 2:
        # reflect padding needs more samples than half a frame; zeros stand in
        x = torch.nn.functional.pad(x, (0, n_fft // 2 + 1 - num_samples))
    spec = torch.stft(
        x.to(window.dtype), n_fft, hop_length, window=window.to(x.device), return_complex=True
    )
    power = spec[..., :-1].abs() ** 2  # (freq, frames); the last frame is dropped
    mel = filters.to(power.device, power.dtype) @ power
    log_spec = torch.clamp(mel, min=1e-10).log10()
    if log_spec.numel() > 0:
        log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    log_spec = (log_spec + 4.0) / 4.0
    frames = compute_num_frames_from_samples(num_samples, hop_length / sampling_rate, sampling_rate)
    if frames > log_spec.size(1):
        log_spec = torch.nn.functional.pad(log_spec, (0, frames - log_spec.size(1)))
    return log_spec.transpose(0, 1)


@dataclass
class WhisperFbankConfig:
    num_filters: int = 80
    device: str = "cpu"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> WhisperFbankConfig:
        return WhisperFbankConfig(**data)


@register_extractor
class WhisperFbank(LogEnergyMixing, FeatureExtractor):
    """Whisper's log-mel features (registered as ``whisper-fbank``); 16 kHz audio only."""

    name = "whisper-fbank"
    config_type = WhisperFbankConfig

    def __init__(self, config: Optional[WhisperFbankConfig] = None):
        super().__init__(config=config)
        self.sampling_rate = 16000
        self.hop_length = 160
        self.n_fft = 400
        self.num_filters = self.config.num_filters
        bank = slaney_mel_filters(self.sampling_rate, self.n_fft, self.num_filters)
        self.filters = torch.from_numpy(bank).to(self.config.device)
        self.window = torch.hann_window(self.n_fft).to(self.config.device)

    @property
    def device(self) -> Union[str, torch.device]:
        return self.config.device

    @property
    def frame_shift(self) -> Seconds:
        return self.hop_length / self.sampling_rate

    def to(self, device: str) -> WhisperFbank:
        """Compute on ``device`` from now on (recorded in the config)."""
        self.config.device = device
        self.filters = self.filters.to(device)
        self.window = self.window.to(device)
        return self

    def feature_dim(self, sampling_rate: int) -> int:
        return self.num_filters

    def extract(
        self, samples: Union[np.ndarray, torch.Tensor], sampling_rate: int
    ) -> Union[np.ndarray, torch.Tensor]:
        if sampling_rate != self.sampling_rate:
            raise ValueError(
                f"WhisperFbank needs {self.sampling_rate} Hz audio, got {sampling_rate} Hz; "
                "resample first (e.g. CutSet.resample)"
            )
        is_numpy = not isinstance(samples, torch.Tensor)
        feats = log_mel_spectrogram(
            samples,
            filters=self.filters,
            n_mels=self.num_filters,
            n_fft=self.n_fft,
            window=self.window,
            hop_length=self.hop_length,
            sampling_rate=self.sampling_rate,
            device=self.device,
        )
        return feats.cpu().numpy() if is_numpy else feats
