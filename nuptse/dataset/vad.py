"""Voice activity detection batches: inputs and a per-frame (or per-sample) speech mask."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Optional

import torch

from nuptse.cut import CutSet
from nuptse.dataset.collation import as_cutset
from nuptse.dataset.input_strategies import BatchIO, PrecomputedFeatures
from nuptse.dataset.speech_recognition import SupervisedDataset, validate_cuts


class VadDataset(SupervisedDataset):
    """``{"inputs", "input_lens", "is_voice" (B, T) 0/1, "cut"}``; cuts sorted shortest first."""

    def __init__(
        self,
        input_strategy: BatchIO = PrecomputedFeatures(),
        cut_transforms: Optional[Sequence[Callable[[CutSet], CutSet]]] = None,
        input_transforms: Optional[Sequence[Callable[[torch.Tensor], torch.Tensor]]] = None,
    ) -> None:
        super().__init__(cut_transforms, input_transforms, input_strategy)

    def __getitem__(self, cuts: CutSet) -> dict[str, torch.Tensor]:
        cuts = as_cutset(cuts)
        validate_cuts(cuts)
        cuts = cuts.sort_by_duration(ascending=True)
        for transform in self.cut_transforms:
            cuts = as_cutset(transform(cuts))
        inputs, lens, cuts = self._load_inputs(cuts)
        for transform in self.input_transforms:
            inputs = transform(inputs)
        return {
            "inputs": inputs,
            "input_lens": lens,
            "is_voice": self.input_strategy.supervision_masks(cuts),
            "cut": cuts,
        }
