"""Amplitude clipping (saturation) of a batch of cuts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Optional, Union

from nuptse.cut import CutSet
from nuptse.dataset.cut_transforms._random import make_rng


@dataclass
class ClippingTransform:
    """With probability ``p`` per cut, amplify by ``gain_db`` and clip (hard with ``p_hard``, else soft).

    ``gain_db`` is a value or a ``(low, high)`` range drawn uniformly.  Uses
    :meth:`Cut.clip_amplitude`.
    """

    gain_db: Union[float, tuple[float, float]]
    normalize: bool = True
    p: float = 0.5
    p_hard: float = 0.5
    seed: Union[int, str, None] = 42
    rng: Optional[random.Random] = None
    oversampling: Optional[int] = 2
    preserve_id: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.gain_db, (tuple, list)):
            low, high = self.gain_db
            if not low < high:
                raise ValueError(f"ClippingTransform: gain_db range {self.gain_db} is empty")
        if not 0 <= self.p <= 1:
            raise ValueError(f"ClippingTransform: p must be in [0, 1], got {self.p}")
        self.rng = make_rng(self.seed, self.rng)

    def __call__(self, cuts: CutSet) -> CutSet:
        out = []
        for cut in cuts:
            if self.rng.random() <= self.p:
                hard = self.rng.random() <= self.p_hard
                gain = self.gain_db
                if isinstance(gain, (tuple, list)):
                    gain = self.rng.uniform(gain[0], gain[1])
                cut = cut.clip_amplitude(
                    hard=hard,
                    gain_db=gain,
                    normalize=self.normalize,
                    affix_id=not self.preserve_id,
                    oversampling=self.oversampling,
                )
            out.append(cut)
        return CutSet.from_cuts(out)
