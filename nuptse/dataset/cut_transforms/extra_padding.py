"""Extra padding around every cut of a batch (e.g. context for a convolutional front end)."""

from __future__ import annotations

import random
from typing import Optional

from nuptse.cut import CutSet
from nuptse.cut.base import LOG_EPSILON


class ExtraPadding:
    """Pad each cut by ``extra_frames``, ``extra_samples`` or ``extra_seconds`` in total.

    With ``direction="both"`` half goes on each side.  With ``randomized``
    the amount for each cut is drawn uniformly from ``[0, extra]``.
    """

    def __init__(
        self,
        extra_frames: Optional[int] = None,
        extra_samples: Optional[int] = None,
        extra_seconds: Optional[float] = None,
        pad_feat_value: float = LOG_EPSILON,
        randomized: bool = False,
        preserve_id: bool = False,
        direction: str = "both",
    ) -> None:
        given = [v is not None for v in (extra_frames, extra_samples, extra_seconds)]
        if sum(given) != 1:
            raise ValueError(
                "ExtraPadding needs exactly one of extra_frames, extra_samples, extra_seconds; "
                f"got {extra_frames=}, {extra_samples=}, {extra_seconds=}"
            )
        if direction not in ("both", "left", "right"):
            raise ValueError(f"direction must be both, left or right; got {direction!r}")
        self.extra_frames = extra_frames
        self.extra_samples = extra_samples
        self.extra_seconds = extra_seconds
        self.pad_feat_value = pad_feat_value
        self.randomized = randomized
        self.preserve_id = preserve_id
        self.direction = direction

    def _int(self, value: int) -> int:
        return random.randint(0, value) if self.randomized else value

    def _float(self, value: float) -> float:
        return random.uniform(0, value) if self.randomized else value

    def __call__(self, cuts: CutSet) -> CutSet:
        common = {"direction": self.direction, "preserve_id": self.preserve_id}
        out = []
        for c in cuts:
            if self.extra_frames is not None:
                c = c.pad(
                    num_frames=c.num_frames + self._int(self.extra_frames),
                    pad_feat_value=self.pad_feat_value,
                    **common,
                )
            elif self.extra_samples is not None:
                c = c.pad(num_samples=c.num_samples + self._int(self.extra_samples), **common)
            else:
                c = c.pad(
                    duration=c.duration + self._float(self.extra_seconds),
                    pad_feat_value=self.pad_feat_value,
                    **common,
                )
            out.append(c)
        return CutSet.from_cuts(out)
