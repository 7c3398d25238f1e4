"""Speed perturbation of a batch of cuts (pitch and duration change)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Optional

from nuptse.cut import CutSet


class FactorPerturbation:
    """With probability ``p`` per cut, apply the cut method ``_method`` with a factor from ``factors``."""

    _method = ""

    def __init__(
        self,
        factors: Sequence[float],
        p: float,
        randgen: Optional[random.Random] = None,
        preserve_id: bool = False,
    ) -> None:
        self.factors = list(factors)
        self.p = p
        self.random = randgen
        self.preserve_id = preserve_id

    def __call__(self, cuts: CutSet) -> CutSet:
        if self.random is None:
            self.random = random.Random()
        out = []
        for cut in cuts:
            if self.random.random() <= self.p:
                factor = self._draw_factor()
                cut = getattr(cut, self._method)(factor=factor, affix_id=not self.preserve_id)
            out.append(cut)
        return CutSet.from_cuts(out)

    def _draw_factor(self) -> float:
        return self.random.choice(self.factors)


class PerturbSpeed(FactorPerturbation):
    """Speed perturbation (:meth:`Cut.perturb_speed`; supervisions are rescaled too)."""

    _method = "perturb_speed"
