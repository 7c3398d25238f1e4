"""Datasets without supervision: features or audio of the cuts only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Optional

import numpy as np
import torch

from nuptse.cut import CutSet
from nuptse.dataset.collation import as_cutset, collate_audio, collate_features, collate_matrices
from nuptse.dataset.speech_recognition import DatasetError, validate_cuts

logger = logging.getLogger(__name__)


class UnsupervisedDataset(torch.utils.data.Dataset):
    """Precomputed features of the cuts: ``{"cuts", "features" (B, T, F), "features_lens" (B,)}``."""

    def __init__(self) -> None:
        super().__init__()

    def __getitem__(self, cuts: CutSet) -> dict[str, Any]:
        cuts = as_cutset(cuts)
        self._validate(cuts)
        features, lens = collate_features(cuts)
        return {"cuts": cuts, "features": features, "features_lens": lens}

    def _validate(self, cuts: CutSet) -> None:
        validate_cuts(cuts)
        missing = [c.id for c in cuts if not c.has_features]
        if missing:
            raise DatasetError(f"cuts without features: {missing[:5]}")


class UnsupervisedWaveformDataset(UnsupervisedDataset):
    """Audio of the cuts: ``{"cuts", "audio" (B, T), "audio_lens" (B,)}``.

    With ``collate=False``, ``audio`` is a list of arrays and cuts whose
    audio fails to load are left out.
    """

    def __init__(self, collate: bool = True) -> None:
        super().__init__()
        self.collate = collate

    def __getitem__(self, cuts: CutSet) -> dict[str, Any]:
        cuts = as_cutset(cuts)
        self._validate(cuts)
        if self.collate:
            audio, lens = collate_audio(cuts)
            return {"cuts": cuts, "audio": audio, "audio_lens": lens}
        kept, audios = [], []
        for cut in cuts:
            try:
                audios.append(cut.load_audio())
            except Exception as e:  # noqa: BLE001 - skip unreadable audio
                logger.warning("Skipping cut %r: its audio failed to load: %s", cut.id, e)
                continue
            kept.append(cut)
        return {"cuts": CutSet.from_cuts(kept), "audio": audios}

    def _validate(self, cuts: CutSet) -> None:
        validate_cuts(cuts)
        missing = [c.id for c in cuts if not c.has_recording]
        if missing:
            raise DatasetError(f"cuts without recordings: {missing[:5]}")


class DynamicUnsupervisedDataset(UnsupervisedDataset):
    """Features computed on the fly from the cuts' audio (optionally augmented first).

    ``augment_fn(samples, sampling_rate)`` is applied to each cut's audio.
    Returns the ``(B, T, F)`` features tensor, padded with ``LOG_EPSILON``.
    """

    def __init__(self, feature_extractor, augment_fn: Optional[Callable] = None):
        super().__init__()
        self.feature_extractor = feature_extractor
        self.augment_fn = augment_fn

    def __getitem__(self, cuts: CutSet) -> torch.Tensor:
        from nuptse.cut.base import LOG_EPSILON

        cuts = as_cutset(cuts)
        self._validate(cuts)
        feats = [
            torch.from_numpy(np.asarray(c.compute_features(self.feature_extractor, self.augment_fn)))
            for c in cuts
        ]
        return collate_matrices(feats, padding_value=LOG_EPSILON)

    def _validate(self, cuts: CutSet) -> None:
        validate_cuts(cuts)
        missing = [c.id for c in cuts if not c.has_recording]
        if missing:
            raise DatasetError(f"cuts without recordings: {missing[:5]}")
