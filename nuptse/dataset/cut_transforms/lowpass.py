"""Low-pass filtering of a batch of cuts by resampling down and back up."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Optional, Union

from nuptse.cut import CutSet
from nuptse.dataset.cut_transforms._random import make_rng


@dataclass
class LowpassUsingResampling:
    """With probability ``p`` per cut, resample to ``2 * cutoff`` and back.

    The cutoff is drawn log-uniformly from ``frequencies_interval`` (Hz); the
    two :class:`Resample` transforms are recorded on the recording.
    """

    p: float = 0.5
    frequencies_interval: tuple[float, float] = (3500, 8000)
    seed: Union[int, str, None] = 42
    rng: Optional[random.Random] = None
    preserve_id: bool = False

    def __post_init__(self) -> None:
        self.rng = make_rng(self.seed, self.rng)

    def __call__(self, cuts: CutSet) -> CutSet:
        out = []
        for cut in cuts:
            if self.rng.random() <= self.p:
                low, high = self.frequencies_interval
                if high > cut.sampling_rate // 2:
                    raise ValueError(
                        f"cut {cut.id!r}: upper cutoff {high} Hz is above its Nyquist "
                        f"frequency ({cut.sampling_rate // 2} Hz)"
                    )
                cutoff = int(math.exp(self.rng.uniform(math.log(low), math.log(high))))
                new = cut.resample(cutoff * 2).resample(cut.sampling_rate)
                if not self.preserve_id:
                    new.id = f"{cut.id}_lowpassed{cutoff}"
                cut = new
            out.append(cut)
        return CutSet.from_cuts(out)
