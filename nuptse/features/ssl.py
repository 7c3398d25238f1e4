"""``S3PRLSSL``: hidden states of a self-supervised model from the s3prl hub as features.

Needs the optional ``s3prl`` package (constructing the extractor without it
raises ``ModuleNotFoundError`` naming the package) and 16 kHz audio.  The
config is lhotse's, so manifests naming ``s3prl-ssl`` load without s3prl.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Optional, Union

import numpy as np

from nuptse.features.extractor import FeatureExtractor, register_extractor
from nuptse.timing import Seconds, compute_num_frames_from_samples

__all__ = ["S3PRLSSL", "S3PRLSSLConfig"]


@dataclass
class S3PRLSSLConfig:
    sampling_rate: int = 16000
    ssl_model: str = "wav2vec2_large_ll60k"
    layer: int = -1
    frame_shift: float = 0.02
    feature_dim: int = 1024
    device: str = "cpu"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> S3PRLSSLConfig:
        return S3PRLSSLConfig(**data)


def _check_rate(sampling_rate: int) -> None:
    if sampling_rate != 16000:
        raise ValueError(f"the s3prl upstream models take 16 kHz audio, got {sampling_rate} Hz")


@register_extractor
class S3PRLSSL(FeatureExtractor):
    """One hidden layer (``config.layer``) of an s3prl upstream model (registered as ``s3prl-ssl``)."""

    name = "s3prl-ssl"
    config_type = S3PRLSSLConfig

    def __init__(self, config: Optional[S3PRLSSLConfig] = None):
        super().__init__(config)
        if importlib.util.find_spec("s3prl") is None:
            raise ModuleNotFoundError(
                "S3PRLSSL needs the 's3prl' package: pip install s3prl", name="s3prl"
            )
        _check_rate(self.config.sampling_rate)
        hub = importlib.import_module("s3prl.hub")
        if not hasattr(hub, self.config.ssl_model):
            raise ValueError(f"s3prl has no upstream model {self.config.ssl_model!r}")
        self.ssl_model = getattr(hub, self.config.ssl_model)().to(self.config.device).eval()

    @property
    def frame_shift(self) -> Seconds:
        return self.config.frame_shift

    @property
    def sampling_rate(self) -> int:
        return self.config.sampling_rate

    def feature_dim(self, sampling_rate: int) -> int:
        _check_rate(sampling_rate)
        return self.config.feature_dim

    def _fit_frames(self, feats: np.ndarray, num_samples: int) -> np.ndarray:
        """Pad (zeros) or trim to lhotse's frame count for ``num_samples``; off by one at most."""
        want = compute_num_frames_from_samples(num_samples, self.frame_shift, self.sampling_rate)
        if abs(want - feats.shape[0]) > 1:
            raise ValueError(
                f"{self.config.ssl_model} gave {feats.shape[0]} frames for {num_samples} samples; "
                f"expected {want}"
            )
        if feats.shape[0] < want:
            return np.concatenate([feats, np.zeros((1, feats.shape[1]), feats.dtype)], axis=0)
        return feats[:want]

    def extract_batch(
        self,
        samples: Union[np.ndarray, Any, Sequence[Any]],
        sampling_rate: int,
        lengths: Optional[Union[np.ndarray, Any]] = None,
    ) -> Union[np.ndarray, list]:
        if lengths is not None:
            samples = [x[:n] for x, n in zip(samples, lengths)]
        return self.extract(samples, sampling_rate)

    def extract(
        self, samples: Union[np.ndarray, Any, Sequence[Any]], sampling_rate: int
    ) -> Union[np.ndarray, list]:
        import torch

        _check_rate(sampling_rate)
        as_list = isinstance(samples, (list, tuple))
        items = list(samples) if as_list else [samples]
        if not as_list and np.ndim(samples) > 1 and np.shape(samples)[0] > 1:
            items = [samples[i] for i in range(np.shape(samples)[0])]
        signals = [
            (torch.from_numpy(np.asarray(s)) if not isinstance(s, torch.Tensor) else s)
            .reshape(-1)
            .to(self.config.device)
            for s in items
        ]
        with torch.no_grad():
            hidden = self.ssl_model(signals)["hidden_states"][self.config.layer]
        results = [
            self._fit_frames(hidden[i].cpu().numpy(), signals[i].numel())
            for i in range(len(signals))
        ]
        if len(results) == 1 and not as_list:
            return results[0]
        return results
