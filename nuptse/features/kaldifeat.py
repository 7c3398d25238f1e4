"""``KaldifeatFbank`` and ``KaldifeatMfcc``: lhotse's kaldifeat extractors, computed without kaldifeat.

The configs keep kaldifeat's nested option layout (``frame_opts``,
``mel_opts``; serialized with kaldifeat's ``samp_freq``/``*_ms`` names), so
lhotse manifests and YAML files that name ``kaldifeat-fbank`` or
``kaldifeat-mfcc`` load.  The features are Kaldi's, computed by nuptse's Kaldi
layers with Kaldi's log floors (``kaldi_log_floor=True``), which is what
kaldifeat computes too; the kaldifeat package is not needed.  Options the
layers do not implement (``htk_compat``, ``use_log_fbank=False``,
``htk_mode``, another ``blackman_coeff``) raise ``ValueError``.

>>> import numpy as np
>>> KaldifeatFbank().extract(np.zeros(16000, dtype=np.float32), 16000).shape
(100, 80)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Optional, Union

import numpy as np

from nuptse.features.extractor import (
    EPSILON,
    FeatureExtractor,
    LogEnergyMixing,
    register_extractor,
)
from nuptse.timing import Seconds

__all__ = [
    "KaldifeatFbank",
    "KaldifeatFbankConfig",
    "KaldifeatFrameOptions",
    "KaldifeatMelOptions",
    "KaldifeatMfcc",
    "KaldifeatMfccConfig",
]


@dataclass
class KaldifeatFrameOptions:
    sampling_rate: int = 16000
    frame_shift: Seconds = 0.01
    frame_length: Seconds = 0.025
    dither: float = 0.0
    preemph_coeff: float = 0.97
    remove_dc_offset: bool = True
    window_type: str = "povey"
    round_to_power_of_two: bool = True
    blackman_coeff: float = 0.42
    snip_edges: bool = False

    def to_dict(self) -> dict[str, Any]:
        """kaldifeat's names: ``samp_freq`` (float) and times in milliseconds."""
        d = dataclasses.asdict(self)
        d["samp_freq"] = float(d.pop("sampling_rate"))
        d["frame_shift_ms"] = d.pop("frame_shift") * 1000.0
        d["frame_length_ms"] = d.pop("frame_length") * 1000.0
        return d

    @staticmethod
    def from_dict(data: dict[str, Any]) -> KaldifeatFrameOptions:
        data = dict(data)
        if "samp_freq" in data:
            data["sampling_rate"] = int(data.pop("samp_freq"))
        for key in ("frame_shift_ms", "frame_length_ms"):
            if key in data:
                data[key[: -len("_ms")]] = data.pop(key) / 1000.0
        return KaldifeatFrameOptions(**data)


@dataclass
class KaldifeatMelOptions:
    num_bins: int = 80
    low_freq: float = 20.0
    high_freq: float = -400.0
    vtln_low: float = 100.0
    vtln_high: float = -500.0
    debug_mel: bool = False
    htk_mode: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> KaldifeatMelOptions:
        return KaldifeatMelOptions(**data)


class _NestedConfig:
    """``to_dict``/``from_dict`` of the configs holding ``frame_opts`` and ``mel_opts``."""

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["frame_opts"] = self.frame_opts.to_dict()
        d["mel_opts"] = self.mel_opts.to_dict()
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        data = dict(data)
        frame_opts = KaldifeatFrameOptions.from_dict(data.pop("frame_opts"))
        mel_opts = KaldifeatMelOptions.from_dict(data.pop("mel_opts"))
        return cls(frame_opts=frame_opts, mel_opts=mel_opts, **data)


@dataclass
class KaldifeatFbankConfig(_NestedConfig):
    frame_opts: KaldifeatFrameOptions = field(default_factory=KaldifeatFrameOptions)
    mel_opts: KaldifeatMelOptions = field(default_factory=KaldifeatMelOptions)
    use_energy: bool = False
    energy_floor: float = EPSILON
    raw_energy: bool = True
    htk_compat: bool = False
    use_log_fbank: bool = True
    use_power: bool = True
    device: Any = "cpu"
    chunk_size: Optional[int] = 100 * 60 * 20  # frames per block (kaldifeat's memory bound)


@dataclass
class KaldifeatMfccConfig(_NestedConfig):
    frame_opts: KaldifeatFrameOptions = field(default_factory=KaldifeatFrameOptions)
    mel_opts: KaldifeatMelOptions = field(
        default_factory=partial(KaldifeatMelOptions, num_bins=23)
    )
    num_ceps: int = 13
    use_energy: bool = False
    energy_floor: float = EPSILON
    raw_energy: bool = True
    cepstral_lifter: float = 22.0
    htk_compat: bool = False
    device: Any = "cpu"
    chunk_size: Optional[int] = 1000


class KaldifeatExtractor(FeatureExtractor):
    """What both kaldifeat extractors share: the layer, batching and the list/array conventions."""

    def __init__(self, config: Optional[Any] = None) -> None:
        super().__init__(config=config)
        c = self.config
        unsupported = {
            "htk_compat": c.htk_compat,
            "use_log_fbank=False": not getattr(c, "use_log_fbank", True),
            "mel_opts.htk_mode": c.mel_opts.htk_mode,
            "frame_opts.blackman_coeff != 0.42": c.frame_opts.blackman_coeff != 0.42,
        }
        bad = [name for name, on in unsupported.items() if on]
        if bad:
            raise ValueError(f"{type(self).__name__}: option(s) not supported: {', '.join(bad)}")
        f, m = c.frame_opts, c.mel_opts
        kwargs = dict(
            sampling_rate=f.sampling_rate,
            frame_length=f.frame_length,
            frame_shift=f.frame_shift,
            round_to_power_of_two=f.round_to_power_of_two,
            remove_dc_offset=f.remove_dc_offset,
            preemph_coeff=f.preemph_coeff,
            window_type=f.window_type,
            dither=f.dither,
            snip_edges=f.snip_edges,
            energy_floor=c.energy_floor,
            raw_energy=c.raw_energy,
            use_energy=c.use_energy,
            low_freq=m.low_freq,
            high_freq=m.high_freq,
            num_filters=m.num_bins,
            kaldi_log_floor=True,
        )
        kwargs.update(self._layer_kwargs())
        self.extractor = self._layer_type()(**kwargs).to(c.device).eval()

    def _layer_type(self) -> type:
        raise NotImplementedError

    def _layer_kwargs(self) -> dict[str, Any]:
        return {}

    @property
    def device(self) -> Union[str, Any]:
        return self.config.device

    @property
    def frame_shift(self) -> Seconds:
        return self.config.frame_opts.frame_shift

    def extract_batch(
        self,
        samples: Union[np.ndarray, Any, Sequence[Any]],
        sampling_rate: int,
        lengths: Optional[Union[np.ndarray, Any]] = None,
    ) -> Union[np.ndarray, Any, list]:
        if lengths is not None:
            samples = [x[:n] for x, n in zip(samples, lengths)]
        return self.extract(samples, sampling_rate)

    def extract(
        self, samples: Union[np.ndarray, Any, Sequence[Any]], sampling_rate: int
    ) -> Union[np.ndarray, Any, list]:
        """Features of one signal (an array) or of a list of signals (a list, or a stacked
        array when they are equally long); numpy in gives numpy out."""
        import torch

        expected = self.config.frame_opts.sampling_rate
        if sampling_rate != expected:
            raise ValueError(
                f"{type(self).__name__} expects {expected} Hz audio, got {sampling_rate} Hz"
            )
        as_list = isinstance(samples, (list, tuple))
        if as_list:
            items = list(samples)
        elif samples.ndim > 1:
            items = [samples[i] for i in range(samples.shape[0])]
        else:
            items = [samples]
        is_numpy = any(isinstance(s, np.ndarray) for s in items)
        signals = []
        for s in items:
            t = torch.from_numpy(np.ascontiguousarray(s)) if isinstance(s, np.ndarray) else s
            signals.append(t.reshape(-1).to(torch.float32).to(self.device))
        lens = torch.tensor([s.numel() for s in signals])
        batch = torch.nn.utils.rnn.pad_sequence(signals, batch_first=True)
        with torch.inference_mode():
            feats = self.extractor(batch, lens.to(batch.device))
        counts = self.extractor.num_frames(lens).tolist()
        results = [feats[i, : counts[i]] for i in range(len(counts))]
        if is_numpy:
            results = [r.cpu().numpy() for r in results]
        if len(results) == 1:
            return results if as_list else results[0]
        if all(r.shape == results[0].shape for r in results[1:]):
            return np.stack(results) if is_numpy else torch.stack(results)
        return results


@register_extractor
class KaldifeatFbank(LogEnergyMixing, KaldifeatExtractor):
    """Kaldi log-mel filter bank with kaldifeat's options (registered as ``kaldifeat-fbank``)."""

    name = "kaldifeat-fbank"
    config_type = KaldifeatFbankConfig

    def _layer_type(self) -> type:
        from nuptse.features.kaldi.mel import Wav2LogFilterBank

        return Wav2LogFilterBank

    def _layer_kwargs(self) -> dict[str, Any]:
        return {"use_fft_mag": not self.config.use_power}

    def feature_dim(self, sampling_rate: int) -> int:
        return self.config.mel_opts.num_bins + (1 if self.config.use_energy else 0)


@register_extractor
class KaldifeatMfcc(KaldifeatExtractor):
    """Kaldi MFCC with kaldifeat's options (registered as ``kaldifeat-mfcc``)."""

    name = "kaldifeat-mfcc"
    config_type = KaldifeatMfccConfig

    def _layer_type(self) -> type:
        from nuptse.features.kaldi.mel import Wav2MFCC

        return Wav2MFCC

    def _layer_kwargs(self) -> dict[str, Any]:
        return {"num_ceps": self.config.num_ceps, "cepstral_lifter": self.config.cepstral_lifter}

    def feature_dim(self, sampling_rate: int) -> int:
        return self.config.num_ceps
