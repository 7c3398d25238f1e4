"""ZipSampler: one batch from each of several samplers per step."""

from __future__ import annotations

from typing import Any

from nuptse.cut import CutSet
from nuptse.dataset.sampling.base import CutSampler
from nuptse.dataset.sampling.composite import CompositeSampler


class ZipSampler(CompositeSampler):
    """Takes the next batch of every sampler at each step; stops when any of them ends.

    With ``merge_batches`` (default) the batches are concatenated into one
    CutSet (element-wise for tuple batches); otherwise the step yields the
    tuple of batches.  The inner samplers handle ranks and shuffling.

    >>> from nuptse.dataset.sampling import SimpleCutSampler
    >>> from nuptse.testing.dummies import DummyManifest
    >>> a = SimpleCutSampler(DummyManifest(CutSet, begin_id=0, end_id=4), max_cuts=2)
    >>> b = SimpleCutSampler(DummyManifest(CutSet, begin_id=10, end_id=14), max_cuts=1)
    >>> [len(batch) for batch in ZipSampler(a, b)]
    [3, 3]
    """

    def __init__(self, *samplers: CutSampler, merge_batches: bool = True) -> None:
        super().__init__(rank=0, world_size=1)
        self.samplers = list(samplers)
        self.merge_batches = merge_batches

    @property
    def remaining_duration(self) -> float | None:
        return self._sum_or_none("remaining_duration", min)

    @property
    def remaining_cuts(self) -> int | None:
        return self._sum_or_none("remaining_cuts", min)

    @property
    def num_cuts(self) -> int | None:
        return self._sum_or_none("num_cuts", min)

    def state_dict(self) -> dict[str, Any]:
        sd = super().state_dict()
        sd["merge_batches"] = self.merge_batches
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.merge_batches = state_dict.pop("merge_batches")
        super().load_state_dict(state_dict)

    def __iter__(self):
        for s in self.samplers:
            iter(s)
        if not self._just_restored_state:
            self._round = 0
        return self

    def _next_batch(self):
        self.allow_iter_to_reset_state()
        batches = [next(s) for s in self.samplers]
        if not self.merge_batches:
            return tuple(batches)
        if isinstance(batches[0], tuple):
            return tuple(
                CutSet.from_cuts([c for b in batches for c in b[i]]) for i in range(len(batches[0]))
            )
        return CutSet.from_cuts([c for b in batches for c in b])
