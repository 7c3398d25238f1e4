"""CutPairsSampler: batches of (source, target) cut pairs, limited on both sides."""

from __future__ import annotations

from typing import Any

from nuptse.cut import CutSet
from nuptse.dataset.sampling.base import TimeConstraint
from nuptse.dataset.sampling.stream import StreamSampler


class CutPairsSampler(StreamSampler):
    """Yields ``(source_batch, target_batch)`` tuples of CutSets with matching order.

    The i-th source cut goes with the i-th target cut.  A batch closes when
    either side would exceed its limit (``max_source_duration``,
    ``max_target_duration``, ``max_cuts`` on both).
    """

    take_back_on_exceed = True

    def __init__(
        self,
        source_cuts: CutSet,
        target_cuts: CutSet,
        max_source_duration: float | None = None,
        max_target_duration: float | None = None,
        max_cuts: int | None = None,
        shuffle: bool = False,
        drop_last: bool = False,
        world_size: int | None = None,
        rank: int | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(
            source_cuts,
            target_cuts,
            shuffle=shuffle,
            drop_last=drop_last,
            world_size=world_size,
            rank=rank,
            seed=seed,
        )
        self.source_constraints = TimeConstraint(
            max_duration=max_source_duration, max_cuts=max_cuts
        )
        self.target_constraints = TimeConstraint(
            max_duration=max_target_duration, max_cuts=max_cuts
        )

    def _constraints(self):
        return [self.source_constraints.copy(), self.target_constraints.copy()]

    def state_dict(self) -> dict[str, Any]:
        sd = super().state_dict()
        sd["source_constraints"] = self.source_constraints.state_dict()
        sd["target_constraints"] = self.target_constraints.state_dict()
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.source_constraints.load_state_dict(state_dict.pop("source_constraints"))
        self.target_constraints.load_state_dict(state_dict.pop("target_constraints"))
        super().load_state_dict(state_dict)
