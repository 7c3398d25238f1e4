"""RoundRobinSampler: batches taken in turn (or at random) from several samplers."""

from __future__ import annotations

import random
from typing import Any

from nuptse.dataset.sampling.base import CutSampler
from nuptse.dataset.sampling.composite import CompositeSampler
from nuptse.dataset.sampling.cursor import _rng_from


class RoundRobinSampler(CompositeSampler):
    """Yields the next batch of sampler 0, 1, ..., N-1, 0, ... until all are exhausted.

    ``stop_early`` ends at the first exhausted sampler.  ``randomize=True``
    (or a list of weights) picks the next sampler at random instead.  Inside
    DataLoader workers, worker ``w`` of ``W`` starts at sampler ``w`` and
    steps by ``W``, so that the interleaved output keeps the round-robin order.

    >>> from nuptse.cut import CutSet
    >>> from nuptse.dataset.sampling import SimpleCutSampler
    >>> from nuptse.testing.dummies import DummyManifest
    >>> a = SimpleCutSampler(DummyManifest(CutSet, begin_id=0, end_id=2), max_cuts=1)
    >>> b = SimpleCutSampler(DummyManifest(CutSet, begin_id=10, end_id=14), max_cuts=2)
    >>> [len(batch) for batch in RoundRobinSampler(a, b)]
    [1, 2, 1, 2]
    """

    def __init__(
        self,
        *samplers: CutSampler,
        stop_early: bool = False,
        randomize: bool | list[float] = False,
        seed: int = 0,
    ) -> None:
        super().__init__(rank=0, world_size=1, seed=seed)
        self.samplers = list(samplers)
        self.stop_early = stop_early
        if isinstance(randomize, list):
            if len(randomize) != len(self.samplers):
                raise ValueError(
                    f"randomize has {len(randomize)} weights for {len(self.samplers)} samplers"
                )
        elif randomize is True:
            randomize = [1.0 / len(self.samplers)] * len(self.samplers)
        self.randomize = randomize
        self.rng: random.Random | None = None
        self._nondepleted_samplers_indices = list(range(len(self.samplers)))
        self._cur_sampler_idx = 0
        self._num_dl_workers = 1

    def state_dict(self) -> dict[str, Any]:
        sd = super().state_dict()
        sd.update(
            {
                "stop_early": self.stop_early,
                "randomize": self.randomize,
                "_cur_sampler_idx": self._cur_sampler_idx,
                "_num_dl_workers": self._num_dl_workers,
                "_nondepleted_samplers_indices": list(self._nondepleted_samplers_indices),
                "rng": None if self.rng is None else self.rng.getstate(),
            }
        )
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.stop_early = state_dict.pop("stop_early")
        self.randomize = state_dict.pop("randomize")
        self._cur_sampler_idx = state_dict.pop("_cur_sampler_idx")
        self._num_dl_workers = state_dict.pop("_num_dl_workers")
        self._nondepleted_samplers_indices = list(state_dict.pop("_nondepleted_samplers_indices"))
        rng = state_dict.pop("rng", None)
        self.rng = None if rng is None else _rng_from(rng)
        super().load_state_dict(state_dict)

    def __iter__(self):
        for s in self.samplers:
            iter(s)
        if self._just_restored_state:
            if self.rng is None:
                self.rng = random.Random(self.seed + self.epoch)
            return self
        self.rng = random.Random(self.seed + self.epoch)
        self._nondepleted_samplers_indices = list(range(len(self.samplers)))
        self._cur_sampler_idx = 0
        self._num_dl_workers = 1
        self._round = 0
        from torch.utils.data import get_worker_info

        info = get_worker_info()
        # (with split_across_workers the base class already deals batches out to workers)
        if info is not None and self._num_workers == 1:
            self._cur_sampler_idx = info.id % len(self._nondepleted_samplers_indices)
            self._num_dl_workers = info.num_workers
        return self

    def _next_batch(self):
        while self._nondepleted_samplers_indices:
            sampler = self.samplers[self._nondepleted_samplers_indices[self._cur_sampler_idx]]
            try:
                batch = next(sampler)
            except StopIteration:
                self._nondepleted_samplers_indices.pop(self._cur_sampler_idx)
                if self.stop_early or not self._nondepleted_samplers_indices:
                    raise
                self._advance()
                continue
            self._advance()
            return batch
        raise StopIteration

    def _advance(self) -> None:
        active = self._nondepleted_samplers_indices
        if self.randomize is not False and len(active) > 1:
            weights = [self.randomize[i] for i in active]
            self._cur_sampler_idx = self.rng.choices(range(len(active)), weights=weights)[0]
        elif active:
            self._cur_sampler_idx = (self._cur_sampler_idx + self._num_dl_workers) % len(active)
