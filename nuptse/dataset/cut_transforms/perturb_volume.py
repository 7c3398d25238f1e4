"""Volume perturbation of a batch of cuts."""

from __future__ import annotations

import random
from typing import Optional

from nuptse.dataset.cut_transforms.perturb_speed import FactorPerturbation


class PerturbVolume(FactorPerturbation):
    """With probability ``p`` per cut, scale its volume by a factor uniform in ``[scale_low, scale_high]``."""

    _method = "perturb_volume"

    def __init__(
        self,
        p: float,
        scale_low: float = 0.125,
        scale_high: float = 2.0,
        randgen: Optional[random.Random] = None,
        preserve_id: bool = False,
    ) -> None:
        super().__init__(factors=[], p=p, randgen=randgen, preserve_id=preserve_id)
        self.scale_low = scale_low
        self.scale_high = scale_high

    def _draw_factor(self) -> float:
        return self.scale_low + self.random.random() * (self.scale_high - self.scale_low)
