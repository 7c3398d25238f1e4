"""``OpenSmileExtractor``: openSMILE feature sets (ComParE, eGeMAPS, ...) through ``opensmile``.

Needs the optional ``opensmile`` package (constructing the extractor without
it raises ``ModuleNotFoundError`` naming the package).  The config is
lhotse's, so manifests naming ``opensmile-extractor`` load without it.
Low-level descriptors come every 10 ms and are padded (repeating the last
frames) or trimmed to :func:`nuptse.timing.compute_num_frames`.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Optional, Union

import numpy as np

from nuptse.features.extractor import FeatureExtractor, register_extractor
from nuptse.timing import Seconds, compute_num_frames, samples_to_seconds

logger = logging.getLogger(__name__)

__all__ = ["OpenSmileConfig", "OpenSmileExtractor"]


def _opensmile():
    if importlib.util.find_spec("opensmile") is None:
        raise ModuleNotFoundError(
            "OpenSmileExtractor needs the 'opensmile' package: pip install opensmile",
            name="opensmile",
        )
    return importlib.import_module("opensmile")


@dataclass
class OpenSmileConfig:
    feature_set: Union[str, Any] = "ComParE_2016"
    feature_level: Union[str, Any] = "lld"
    options: Optional[dict] = None
    loglevel: int = 2
    logfile: Optional[str] = None
    sampling_rate: Optional[int] = None
    channels: Union[int, Sequence[int]] = 0
    mixdown: bool = False
    resample: bool = False
    num_workers: Optional[int] = 1
    verbose: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> OpenSmileConfig:
        return OpenSmileConfig(**data)

    @staticmethod
    def featuresets_names() -> list[str]:
        """Names of openSMILE's predefined feature sets."""
        return list(_opensmile().FeatureSet.__members__)


@register_extractor
class OpenSmileExtractor(FeatureExtractor):
    """An openSMILE feature set at one feature level (registered as ``opensmile-extractor``)."""

    name = "opensmile-extractor"
    config_type = OpenSmileConfig

    def __init__(self, config: Optional[OpenSmileConfig] = None):
        super().__init__(config=config)
        smile = _opensmile()
        c = self.config
        self.feature_set = (
            smile.FeatureSet[c.feature_set] if isinstance(c.feature_set, str) else c.feature_set
        )
        self.feature_level = smile.FeatureLevel(c.feature_level)
        self.smileExtractor = smile.Smile(
            feature_set=self.feature_set,
            feature_level=self.feature_level,
            sampling_rate=c.sampling_rate,
            options=c.options,
            loglevel=c.loglevel,
            logfile=c.logfile,
            channels=c.channels,
            mixdown=c.mixdown,
            resample=c.resample,
            num_workers=c.num_workers,
            verbose=c.verbose,
        )

    @property
    def feature_names(self) -> list[str]:
        return list(self.smileExtractor.feature_names)

    def is_lld_or_lld_de(self) -> bool:
        levels = _opensmile().FeatureLevel
        return self.feature_level in (
            levels.LowLevelDescriptors,
            levels.LowLevelDescriptors_Deltas,
        )

    @property
    def frame_shift(self) -> Seconds:
        if self.is_lld_or_lld_de() and self.feature_set in _opensmile().FeatureSet:
            return 0.01
        raise NotImplementedError(
            "frame_shift is defined only for the low-level descriptors of a predefined "
            f"feature set, not for {self.config.feature_set!r} at {self.config.feature_level!r}"
        )

    def feature_dim(self, sampling_rate: int) -> int:
        return len(self.feature_names)

    def extract(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        if self.config.sampling_rate is not None and self.config.sampling_rate != sampling_rate:
            raise ValueError(
                f"OpenSmileExtractor is configured for {self.config.sampling_rate} Hz, got "
                f"{sampling_rate} Hz"
            )
        feats = self.smileExtractor.process_signal(samples, sampling_rate=sampling_rate)
        feats = np.asarray(feats.to_numpy())
        if self.is_lld_or_lld_de():
            num_samples = np.shape(samples)[-1]
            want = compute_num_frames(
                samples_to_seconds(num_samples, sampling_rate), self.frame_shift, sampling_rate
            )
            diff = want - feats.shape[0]
            if abs(diff) >= 6:
                logger.warning("openSMILE gave %d frames, %d expected", feats.shape[0], want)
            if diff > 0:
                feats = np.concatenate([feats, feats[-diff:]], axis=0)
            elif diff < 0:
                feats = feats[:want]
        return feats.copy()
