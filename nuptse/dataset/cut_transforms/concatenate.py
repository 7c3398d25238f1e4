"""Packing the short cuts of a batch together to reduce padding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from nuptse.cut import CutSet
from nuptse.cut.base import Cut


class CutConcatenate:
    """Append short cuts to longer ones (with ``gap`` s of silence) where they fit.

    The limit is ``max_duration`` if given, else the longest cut's duration
    times ``duration_factor``.
    """

    def __init__(self, gap: float = 1.0, duration_factor: float = 1.0, max_duration: Optional[float] = None) -> None:
        self.gap = gap
        self.duration_factor = duration_factor
        self.max_duration = max_duration

    def __call__(self, cuts: CutSet) -> CutSet:
        cuts = sorted(cuts, key=lambda c: c.duration, reverse=True)
        if not cuts:
            return CutSet.from_cuts([])
        limit = self.max_duration if self.max_duration else cuts[0].duration * self.duration_factor
        return concat_cuts(cuts, gap=self.gap, max_duration=limit)


def concat_cuts(cuts: Sequence[Cut], gap: float = 1.0, max_duration: Optional[float] = None) -> CutSet:
    """Greedy packing: the shortest remaining cut goes after the first (longest-first) cut with room.

    Each packed example is ``cut + silence(gap) + shortest``, never longer
    than ``max_duration`` (by default the longest cut's duration).
    """
    cuts = sorted(cuts, key=lambda c: c.duration, reverse=True)
    if len(cuts) <= 1:
        return CutSet.from_cuts(cuts)
    limit = cuts[0].duration if max_duration is None else max_duration
    host = 0
    while host < len(cuts) - 1:
        shortest = cuts[-1]
        cut = cuts[host]
        if cut.duration + gap + shortest.duration <= limit:
            cuts[host] = cut.pad(duration=cut.duration + gap).append(shortest)
            cuts.pop()
        else:
            host += 1
    return CutSet.from_cuts(cuts)
