"""WeightedSimpleCutSampler: each epoch draws ``num_samples`` cuts by weight, then batches them."""

from __future__ import annotations

from typing import Any

from nuptse.cut import CutSet
from nuptse.dataset.sampling.cursor import ListCursor, eager_items
from nuptse.dataset.sampling.simple import SimpleCutSampler


class WeightedSimpleCutSampler(SimpleCutSampler):
    """Like :class:`SimpleCutSampler`, over ``num_samples`` cuts drawn without replacement
    with probabilities proportional to ``cuts_weight`` (a new draw every epoch).
    """

    def __init__(
        self,
        cuts: CutSet,
        cuts_weight: list,
        num_samples: int,
        max_duration: float | None = None,
        max_cuts: int | None = None,
        shuffle: bool = False,
        drop_last: bool = False,
        world_size: int | None = None,
        rank: int | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(
            cuts,
            max_duration=max_duration,
            max_cuts=max_cuts,
            shuffle=shuffle,
            drop_last=drop_last,
            world_size=world_size,
            rank=rank,
            seed=seed,
        )
        if cuts.is_lazy:
            raise ValueError("WeightedSimpleCutSampler needs an eager CutSet")
        if len(cuts_weight) != len(cuts):
            raise ValueError(f"got {len(cuts_weight)} weights for {len(cuts)} cuts")
        if any(w < 0 for w in cuts_weight) or not any(w > 0 for w in cuts_weight):
            raise ValueError("cuts_weight must be non-negative and not all zero")
        if not 0 < num_samples <= len(cuts):
            raise ValueError(f"num_samples must be in [1, {len(cuts)}], got {num_samples}")
        self.cuts_weight = list(cuts_weight)
        self.num_samples = num_samples

    def _draw(self) -> list[int]:
        import numpy as np

        weights = np.asarray(self.cuts_weight, dtype=np.float64)
        rng = np.random.default_rng(self._epoch_seed)
        positive = int((weights > 0).sum())
        n = min(self.num_samples, positive)
        return rng.choice(len(weights), size=n, replace=False, p=weights / weights.sum()).tolist()

    def _open(self):
        return ListCursor(eager_items(self.cuts[0]), self._draw())

    def _compute_totals(self):
        # the draw (and so the totals) changes every epoch
        if self._epoch_seed is not None and getattr(self, "_totals_seed", None) != self._epoch_seed:
            items = eager_items(self.cuts[0])
            order = self._draw()
            self._totals = (len(order), sum(items[i].duration for i in order))
            self._totals_seed = self._epoch_seed
        return self._totals

    def state_dict(self) -> dict[str, Any]:
        sd = super().state_dict()
        sd["num_samples"] = self.num_samples
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.num_samples = state_dict.pop("num_samples")
        super().load_state_dict(state_dict)
