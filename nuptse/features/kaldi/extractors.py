"""Kaldi-compatible extractors: ``Fbank``, ``Mfcc``, ``Spectrogram``, ``LogSpectrogram``.

Each wraps a layer of :mod:`nuptse.features.kaldi.layers` and is configured by
a dataclass whose field names and defaults are lhotse's (so lhotse's YAML
configs load and ours load in lhotse).  Samples are floats in [-1, 1], as
lhotse feeds them; numpy in gives numpy out, a tensor gives a tensor.
:meth:`extract_batch` runs one zero-padded batch through the layer with the
true lengths, so each row's features equal :meth:`extract` of that row.

Feature-domain mixing (for mixed cuts): log-mel filter banks and log spectra
are added as energies, ``log(max(1e-10, e^a + g e^b))``, and power spectra
directly, ``a + g b``.  The energy used for SNR gains is the sum of the
frame energies (``sum e^a`` or ``sum a``), floored at 1e-10 so it is never 0.

How close this is to extracting features from the mixed audio (tested on the
fixture speech at 0, 10 and 20 dB): with the same gain (an amplitude gain
``k`` on the waveform is an energy gain ``k**2`` here), the total energy agrees
within 3 %, log-mel values within 0.3 on average (0.1 at 20 dB) and log
power spectra within 0.5; the rest is the dropped cross terms of the two
spectra.  Note that an SNR is measured on the features' energies, i.e. after
pre-emphasis, windowing and (for fbank) the mel band: for voices of
different spectral tilt this differs from the waveforms' mean-square SNR
(by 4.3 dB for the two fixture voices), as it does in lhotse.  MFCCs cannot
be mixed (the DCT does not commute with the log of a sum).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Optional, Union

import numpy as np
import torch

from nuptse.features.extractor import (
    EPSILON,
    FeatureExtractor,
    LogEnergyMixing,
    register_extractor,
)
from nuptse.features.kaldi.layers import Wav2LogFilterBank, Wav2LogSpec, Wav2MFCC, Wav2Spec
from nuptse.timing import Seconds

__all__ = [
    "Fbank",
    "FbankConfig",
    "Mfcc",
    "MfccConfig",
    "Spectrogram",
    "SpectrogramConfig",
    "LogSpectrogram",
    "LogSpectrogramConfig",
]


# --- configs ----------------------------------------------------------------------------


class _ConfigMixin:
    """lhotse's config API: ``to_dict`` (without ``None`` fields) and ``from_dict``."""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        return cls(**data)

    def _check_common(self) -> None:
        if self.snip_edges:
            warnings.warn(
                f"{type(self).__name__}(snip_edges=True): frame counts will not follow "
                "nuptse.timing.compute_num_frames, so cuts and their features may disagree "
                "by a few frames",
                stacklevel=3,
            )

    def _take_num_mel_bins(self) -> None:
        # torchaudio's name for num_filters, accepted for users coming from it.
        if self.num_mel_bins is not None:
            self.num_filters = self.num_mel_bins
            self.num_mel_bins = None


@dataclass
class FbankConfig(_ConfigMixin):
    sampling_rate: int = 16000
    frame_length: Seconds = 0.025
    frame_shift: Seconds = 0.01
    round_to_power_of_two: bool = True
    remove_dc_offset: bool = True
    preemph_coeff: float = 0.97
    window_type: str = "povey"
    dither: float = 0.0
    snip_edges: bool = False
    energy_floor: float = EPSILON
    raw_energy: bool = True
    use_energy: bool = False
    use_fft_mag: bool = False
    low_freq: float = 20.0
    high_freq: float = -400.0
    num_filters: int = 80
    num_mel_bins: Optional[int] = None
    norm_filters: bool = False
    torchaudio_compatible_mel_scale: bool = True
    device: str = "cpu"

    def __post_init__(self):
        self._take_num_mel_bins()
        self._check_common()


@dataclass
class MfccConfig(_ConfigMixin):
    sampling_rate: int = 16000
    frame_length: Seconds = 0.025
    frame_shift: Seconds = 0.01
    round_to_power_of_two: bool = True
    remove_dc_offset: bool = True
    preemph_coeff: float = 0.97
    window_type: str = "povey"
    dither: float = 0.0
    snip_edges: bool = False
    energy_floor: float = EPSILON
    raw_energy: bool = True
    use_energy: bool = False
    use_fft_mag: bool = False
    low_freq: float = 20.0
    high_freq: float = -400.0
    num_filters: int = 23
    torchaudio_compatible_mel_scale: bool = True
    num_mel_bins: Optional[int] = None
    norm_filters: bool = False
    num_ceps: int = 13
    cepstral_lifter: int = 22
    device: str = "cpu"

    def __post_init__(self):
        self._take_num_mel_bins()
        self._check_common()


@dataclass
class SpectrogramConfig(_ConfigMixin):
    sampling_rate: int = 16000
    frame_length: Seconds = 0.025
    frame_shift: Seconds = 0.01
    round_to_power_of_two: bool = True
    remove_dc_offset: bool = True
    preemph_coeff: float = 0.97
    window_type: str = "povey"
    dither: float = 0.0
    snip_edges: bool = False
    energy_floor: float = EPSILON
    raw_energy: bool = True
    use_energy: bool = False
    use_fft_mag: bool = False
    device: str = "cpu"

    def __post_init__(self):
        self._check_common()


@dataclass
class LogSpectrogramConfig(SpectrogramConfig):
    pass


# --- the shared implementation ------------------------------------------------------------


class _KaldiExtractor(FeatureExtractor):
    """An extractor backed by one layer of :mod:`nuptse.features.kaldi.layers`."""

    layer_type: ClassVar[type] = Wav2LogFilterBank

    def __init__(self, config: Optional[Any] = None):
        super().__init__(config=config)
        kwargs = self.config.to_dict()
        kwargs.pop("device", None)
        self.extractor = self.layer_type(**kwargs).to(self.device).eval()

    @property
    def device(self) -> Union[str, torch.device]:
        return self.config.device

    @property
    def frame_shift(self) -> Seconds:
        return self.config.frame_shift

    def to(self, device: Union[str, torch.device]) -> _KaldiExtractor:
        """Move the computation to ``device`` (also recorded in the config)."""
        self.config.device = device
        self.extractor.to(device)
        return self

    def _check_rate(self, sampling_rate: int) -> None:
        if sampling_rate != self.config.sampling_rate:
            raise ValueError(
                f"{type(self).__name__} is configured for sampling_rate="
                f"{self.config.sampling_rate}, but got audio at {sampling_rate} Hz; resample "
                "the audio (e.g. RecordingSet/CutSet.resample) or set the config's sampling_rate"
            )

    def _as_tensor(self, samples: Any) -> tuple[torch.Tensor, bool]:
        """``samples`` as a float tensor on the extractor's device; whether it was numpy."""
        if isinstance(samples, torch.Tensor):
            x = samples
            if not x.is_floating_point():
                x = x.to(torch.float32)
            return x.to(self.device), False
        arr = np.asarray(samples)
        if arr.dtype != np.float32:
            arr = arr.astype(np.float32)
        return torch.from_numpy(arr).to(self.device), True

    def extract(
        self, samples: Union[np.ndarray, torch.Tensor], sampling_rate: int
    ) -> Union[np.ndarray, torch.Tensor]:
        """Features ``(num_frames, dim)`` of a 1-D signal (of the first row of a 2-D one)."""
        self._check_rate(sampling_rate)
        x, is_numpy = self._as_tensor(samples)
        if x.ndim == 1:
            x = x.unsqueeze(0)
        elif x.ndim == 2:
            x = x[:1]
        else:
            raise ValueError(
                f"{type(self).__name__}.extract takes (num_samples,) or (channels, num_samples) "
                f"audio; got shape {tuple(x.shape)}"
            )
        if is_numpy:
            with torch.inference_mode():
                return self.extractor(x)[0].cpu().numpy()
        return self.extractor(x)[0]

    def extract_batch(
        self,
        samples: Union[np.ndarray, torch.Tensor, Sequence[np.ndarray], Sequence[torch.Tensor]],
        sampling_rate: int,
        lengths: Optional[Union[np.ndarray, torch.Tensor, Sequence[int]]] = None,
    ) -> Union[np.ndarray, torch.Tensor, list[np.ndarray], list[torch.Tensor]]:
        """Features of several signals through one padded batch.

        ``samples`` is a list of 1-D signals, a ``(batch, num_samples)``
        array of equally long ones, or (with ``lengths``) a zero-padded
        batch.  Returns one stacked array/tensor when all results have the
        same shape, otherwise a list (a list input with one signal gives a
        one-item list).
        """
        self._check_rate(sampling_rate)
        as_list = isinstance(samples, (list, tuple))
        if lengths is not None:
            x, is_numpy = self._as_tensor(samples)
            if x.ndim != 2:
                raise ValueError(
                    f"with lengths, samples must be a padded (batch, num_samples) batch; "
                    f"got shape {tuple(x.shape)}"
                )
            lens = torch.as_tensor(np.asarray(lengths), dtype=torch.long).reshape(-1)
            if lens.numel() != x.shape[0]:
                raise ValueError(f"got {lens.numel()} lengths for a batch of {x.shape[0]} signals")
            if int(lens.max()) > x.shape[1]:
                raise ValueError(
                    f"a length ({int(lens.max())}) exceeds the padded batch width ({x.shape[1]})"
                )
        else:
            signals, is_numpy = self._signals(samples)
            lens = torch.tensor([s.shape[0] for s in signals], dtype=torch.long)
            x = torch.nn.utils.rnn.pad_sequence(signals, batch_first=True)
        equal = bool((lens == x.shape[1]).all())
        with torch.inference_mode(is_numpy):
            feats = self.extractor(x) if equal else self.extractor(x, lens.to(x.device))
        counts = self.extractor.wav2win.num_frames(lens).tolist()
        results = [feats[i, : counts[i]] for i in range(len(counts))]
        if is_numpy:
            results = [r.cpu().numpy() for r in results]
        if len(results) == 1:
            return results if as_list else results[0]
        if all(r.shape == results[0].shape for r in results[1:]):
            return np.stack(results) if is_numpy else torch.stack(results)
        return results

    def _signals(self, samples: Any) -> tuple[list[torch.Tensor], bool]:
        if isinstance(samples, (list, tuple)):
            items = list(samples)
        elif samples.ndim == 1:
            items = [samples]
        else:
            items = [samples[i] for i in range(samples.shape[0])]
        is_numpy = not any(isinstance(s, torch.Tensor) for s in items)
        signals = []
        for s in items:
            t, _ = self._as_tensor(s)
            if t.ndim == 2 and t.shape[0] == 1:
                t = t[0]
            if t.ndim != 1:
                raise ValueError(
                    f"extract_batch takes 1-D signals (or (1, n) rows); got shape {tuple(t.shape)}"
                )
            signals.append(t)
        return signals, is_numpy


# --- the extractors -------------------------------------------------------------------------


@register_extractor
class Fbank(LogEnergyMixing, _KaldiExtractor):
    """Kaldi's log-mel filter bank (``compute-fbank-feats``), lhotse's ``kaldi-fbank``."""

    name = "kaldi-fbank"
    config_type = FbankConfig
    layer_type = Wav2LogFilterBank

    def feature_dim(self, sampling_rate: int) -> int:
        return self.config.num_filters + (1 if self.config.use_energy else 0)


@register_extractor
class Mfcc(_KaldiExtractor):
    """Kaldi's MFCC (``compute-mfcc-feats``), lhotse's ``kaldi-mfcc``."""

    name = "kaldi-mfcc"
    config_type = MfccConfig
    layer_type = Wav2MFCC

    def feature_dim(self, sampling_rate: int) -> int:
        return self.config.num_ceps


@register_extractor
class Spectrogram(_KaldiExtractor):
    """Kaldi-framed power spectrum (magnitude with ``use_fft_mag``), ``kaldi-spectrogram``."""

    name = "kaldi-spectrogram"
    config_type = SpectrogramConfig
    layer_type = Wav2Spec

    def feature_dim(self, sampling_rate: int) -> int:
        return self.extractor.fft_length // 2 + 1

    @staticmethod
    def mix(
        features_a: np.ndarray, features_b: np.ndarray, energy_scaling_factor_b: float
    ) -> np.ndarray:
        return features_a + energy_scaling_factor_b * features_b

    @staticmethod
    def compute_energy(features: np.ndarray) -> float:
        return max(float(np.sum(np.asarray(features, dtype=np.float64))), EPSILON)

    @staticmethod
    def scale(features: np.ndarray, energy_scaling_factor: float) -> np.ndarray:
        return energy_scaling_factor * features


@register_extractor
class LogSpectrogram(LogEnergyMixing, _KaldiExtractor):
    """Log power spectrum, ``kaldi-log-spectrogram``; mixed as energies like Fbank."""

    name = "kaldi-log-spectrogram"
    config_type = LogSpectrogramConfig
    layer_type = Wav2LogSpec

    def feature_dim(self, sampling_rate: int) -> int:
        return self.extractor.fft_length // 2 + 1
