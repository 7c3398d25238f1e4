"""BucketingSampler: eager cuts split into duration buckets, each with its own sampler."""

from __future__ import annotations

import random
from typing import Any

from nuptse.cut import CutSet
from nuptse.dataset.sampling.base import CutSampler, resolve_sampler_seed
from nuptse.dataset.sampling.composite import CompositeSampler
from nuptse.dataset.sampling.cursor import _rng_from
from nuptse.dataset.sampling.simple import SimpleCutSampler


def create_buckets_equal_duration(cuts: CutSet, num_buckets: int) -> list[CutSet]:
    """Split ``cuts`` (sorted by duration) into ``num_buckets`` buckets of about equal total duration.

    >>> from nuptse.testing.dummies import DummyManifest
    >>> [len(b) for b in create_buckets_equal_duration(DummyManifest(CutSet, begin_id=0, end_id=6), 3)]
    [2, 2, 2]
    """
    if num_buckets < 1:
        raise ValueError(f"num_buckets must be >= 1, got {num_buckets}")
    ordered = sorted(cuts, key=lambda c: c.duration)
    total = sum(c.duration for c in ordered)
    target = total / num_buckets
    buckets: list[list] = [[]]
    acc = 0.0
    for cut in ordered:
        if acc >= target * len(buckets) - 1e-9 and len(buckets) < num_buckets and buckets[-1]:
            buckets.append([])
        buckets[-1].append(cut)
        acc += cut.duration
    return [CutSet.from_cuts(b) for b in buckets if b]


class BucketingSampler(CompositeSampler):
    """Groups an eager cut set into ``num_buckets`` duration buckets and samples batches
    from a randomly chosen non-empty bucket at each step.

    Each bucket gets its own ``sampler_type`` (``SimpleCutSampler`` by
    default, ``CutPairsSampler`` for pairs) built with ``**kwargs``
    (``max_duration``, ``shuffle``, ...).  Lazy input is rejected (use
    :class:`DynamicBucketingSampler`).

    >>> from nuptse.testing.dummies import DummyManifest
    >>> s = BucketingSampler(DummyManifest(CutSet, begin_id=0, end_id=8), num_buckets=2, max_cuts=2)
    >>> sum(len(b) for b in s)
    8
    """

    def __init__(
        self,
        *cuts: CutSet,
        sampler_type: type = SimpleCutSampler,
        num_buckets: int = 10,
        drop_last: bool = False,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        world_size = kwargs.pop("world_size", None)
        rank = kwargs.pop("rank", None)
        super().__init__(
            shuffle=kwargs.get("shuffle", False),
            drop_last=drop_last,
            world_size=world_size,
            rank=rank,
            seed=seed,
        )
        if not cuts:
            raise ValueError("BucketingSampler needs at least one CutSet")
        if any(getattr(cs, "is_lazy", False) for cs in cuts):
            raise ValueError(
                "BucketingSampler needs eager CutSets (use DynamicBucketingSampler for lazy ones)"
            )
        self.num_buckets = num_buckets
        self.sampler_type = sampler_type
        self.sampler_kwargs = kwargs
        first = create_buckets_equal_duration(cuts[0], num_buckets)
        others = [{c.id: c for c in cs} for cs in cuts[1:]]
        self.buckets = [
            (b, *[CutSet.from_cuts([o[cid] for cid in b.ids]) for o in others]) for b in first
        ]
        self.samplers: list[CutSampler] = [
            sampler_type(*bucket, drop_last=drop_last, seed=seed, world_size=1, rank=0, **kwargs)
            for bucket in self.buckets
        ]
        self.bucket_rng: random.Random | None = None
        self._depleted = [False] * len(self.samplers)

    @property
    def bucket_samplers(self) -> list[CutSampler]:
        return self.samplers

    @property
    def is_depleted(self) -> bool:
        return all(self._depleted)

    def state_dict(self) -> dict[str, Any]:
        sd = super().state_dict()
        sd.update(
            {
                "num_buckets": self.num_buckets,
                "bucket_rng": None if self.bucket_rng is None else self.bucket_rng.getstate(),
                "depleted": list(self._depleted),
                "round": self._round,
            }
        )
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        num_buckets = state_dict.pop("num_buckets")
        if num_buckets != self.num_buckets:
            raise ValueError(
                f"the state has num_buckets={num_buckets}, this sampler {self.num_buckets}"
            )
        rng = state_dict.pop("bucket_rng")
        self.bucket_rng = None if rng is None else _rng_from(rng)
        self._depleted = list(state_dict.pop("depleted"))
        self._round = state_dict.pop("round")
        super().load_state_dict(state_dict)

    def __iter__(self):
        if self._just_restored_state:
            for s in self.samplers:
                iter(s)
            if self.bucket_rng is None:
                self.bucket_rng = random.Random(resolve_sampler_seed(self.seed) + self.epoch)
            return self
        self.bucket_rng = random.Random(resolve_sampler_seed(self.seed) + self.epoch)
        for s in self.samplers:
            s.set_epoch(self.epoch)
            s.allow_iter_to_reset_state()
            iter(s)
        self._depleted = [False] * len(self.samplers)
        self._round = 0
        return self

    def _next_batch(self):
        while not self.is_depleted:
            idx = self.bucket_rng.choice([i for i, d in enumerate(self._depleted) if not d])
            try:
                return next(self.samplers[idx])
            except StopIteration:
                self._depleted[idx] = True
        raise StopIteration
