"""SimpleCutSampler: batches of consecutive cuts under a duration/count limit."""

from __future__ import annotations

from typing import Any

from nuptse.cut import CutSet
from nuptse.dataset.sampling.base import TimeConstraint
from nuptse.dataset.sampling.stream import StreamSampler


class SimpleCutSampler(StreamSampler):
    """Yields batches (``CutSet``) of cuts in input order (or shuffled per epoch).

    A batch closes when one more cut as long as its longest cut would exceed
    ``max_duration`` (padded duration) or when it holds ``max_cuts`` cuts.
    Eager input is shuffled as a whole; lazy input through a buffer.

    >>> from nuptse.testing.dummies import DummyManifest
    >>> cuts = DummyManifest(CutSet, begin_id=0, end_id=10)
    >>> [len(b) for b in SimpleCutSampler(cuts, max_duration=4.0)]
    [4, 4, 2]
    """

    take_back_on_exceed = True

    def __init__(
        self,
        cuts: CutSet,
        max_duration: float | None = None,
        max_cuts: int | None = None,
        shuffle: bool = False,
        drop_last: bool = False,
        concatenate_cuts: bool = False,
        world_size: int | None = None,
        rank: int | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(
            cuts, shuffle=shuffle, drop_last=drop_last, world_size=world_size, rank=rank, seed=seed
        )
        self.time_constraint = TimeConstraint(
            max_duration=max_duration, max_cuts=max_cuts, concatenate_cuts=concatenate_cuts
        )

    def _constraints(self):
        return [self.time_constraint.copy()]

    def state_dict(self) -> dict[str, Any]:
        sd = super().state_dict()
        sd["time_constraint"] = self.time_constraint.state_dict()
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.time_constraint.load_state_dict(state_dict.pop("time_constraint"))
        super().load_state_dict(state_dict)
