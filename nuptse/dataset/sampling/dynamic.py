"""DynamicCutSampler: streaming batches for lazy (and eager) cut sets of any size."""

from __future__ import annotations

import warnings
from typing import Any

from nuptse.dataset.sampling.base import (
    SamplingConstraint,
    SamplingDiagnostics,
    Seed,
    TimeConstraint,
    check_constraint,
)
from nuptse.dataset.sampling.stream import StreamSampler, to_batch


class DynamicCutSampler(StreamSampler):
    """Batches a stream of cuts (or of zipped cut tuples) under a constraint.

    Unlike :class:`SimpleCutSampler` it takes any iterable of cuts (lazy
    manifests, muxes, generators), several zipped sources
    (``DynamicCutSampler(src, tgt, ...)`` yields tuples of CutSets), and a
    custom ``constraint``.  Lazy input is shuffled through a buffer of
    ``shuffle_buffer_size`` cuts; eager input as a whole.

    >>> from nuptse.cut import CutSet
    >>> from nuptse.testing.dummies import DummyManifest
    >>> cuts = DummyManifest(CutSet, begin_id=0, end_id=10)
    >>> [len(b) for b in DynamicCutSampler(cuts, max_cuts=3)]
    [3, 3, 3, 1]
    """

    def __init__(
        self,
        *cuts: Any,
        max_duration: float | None = None,
        max_cuts: int | None = None,
        constraint: SamplingConstraint | None = None,
        shuffle: bool = False,
        drop_last: bool = False,
        consistent_ids: bool = True,
        shuffle_buffer_size: int = 20000,
        quadratic_duration: float | None = None,
        world_size: int | None = None,
        rank: int | None = None,
        seed: Seed = 0,
        strict=None,
    ) -> None:
        super().__init__(
            *cuts, shuffle=shuffle, drop_last=drop_last, world_size=world_size, rank=rank, seed=seed
        )
        check_constraint(constraint, max_duration, max_cuts)
        if strict is not None:
            warnings.warn(
                "'strict' has no effect (samplers always behave as with strict=True)",
                DeprecationWarning,
                stacklevel=2,
            )
        self.max_duration = max_duration
        self.max_cuts = max_cuts
        self.constraint = constraint
        self.consistent_ids = consistent_ids
        self.shuffle_buffer_size = shuffle_buffer_size
        self.quadratic_duration = quadratic_duration

    def _constraints(self):
        if self.constraint is not None:
            c = self.constraint.copy()
            c.reset()
            return [c]
        return [
            TimeConstraint(
                max_duration=self.max_duration,
                max_cuts=self.max_cuts,
                quadratic_duration=self.quadratic_duration,
            )
        ]

    def _next_batch(self):
        batch = super()._next_batch()
        if self.consistent_ids and isinstance(batch, tuple):
            check_consistent_ids(batch)
        return batch

    def state_dict(self) -> dict[str, Any]:
        if self.constraint is not None:
            raise ValueError("state_dict() is not supported with a custom constraint=")
        sd = super().state_dict()
        sd.update(
            {
                "max_duration": self.max_duration,
                "max_cuts": self.max_cuts,
                "consistent_ids": self.consistent_ids,
                "shuffle_buffer_size": self.shuffle_buffer_size,
                "quadratic_duration": self.quadratic_duration,
            }
        )
        return sd

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        self.max_duration = sd.pop("max_duration")
        self.max_cuts = sd.pop("max_cuts")
        self.consistent_ids = sd.pop("consistent_ids")
        self.shuffle_buffer_size = sd.pop("shuffle_buffer_size")
        self.quadratic_duration = sd.pop("quadratic_duration", None)
        sd.pop("strict", None)
        super().load_state_dict(sd)


class InconsistentIdsError(AssertionError):
    """Zipped cut sets are not in the same id order."""


def check_consistent_ids(batch: tuple) -> None:
    """Raise if the zipped CutSets of a tuple batch do not share ids position by position."""
    columns = [list(cs.ids) for cs in batch]
    for i, ids in enumerate(zip(*columns)):
        if any(x != ids[0] for x in ids[1:]):
            raise InconsistentIdsError(
                f"zipped cut sets are not in the same id order: item {i} has ids {list(ids)} "
                "(pass consistent_ids=False if that is intended)"
            )


class Filter:
    """Iterates ``iterator`` keeping items that ``predicate`` accepts; rejected ones
    are counted in ``diagnostics`` (tuples count as one item)."""

    def __init__(self, iterator, predicate, diagnostics: SamplingDiagnostics | None = None):
        if not callable(predicate):
            raise ValueError(f"Filter needs a callable predicate, got {predicate!r}")
        self.iterator = iterator
        self.predicate = predicate
        self.diagnostics = diagnostics if diagnostics is not None else SamplingDiagnostics()

    def __iter__(self):
        for item in self.iterator:
            if self.predicate(item):
                yield item
            else:
                self.diagnostics.discard_single(item)


class DurationBatcher:
    """Groups an iterable of cuts (or cut tuples) into batches under a constraint.

    A batch closes as soon as one more cut as long as its longest would
    overflow it; the last partial batch is kept unless ``drop_last``.

    >>> from nuptse.cut import CutSet
    >>> from nuptse.testing.dummies import DummyManifest
    >>> [len(b) for b in DurationBatcher(DummyManifest(CutSet, begin_id=0, end_id=5), max_cuts=2)]
    [2, 2, 1]
    """

    def __init__(
        self,
        datapipe,
        max_duration: float | None = None,
        max_cuts: int | None = None,
        constraint: SamplingConstraint | None = None,
        drop_last: bool = False,
        quadratic_duration: float | None = None,
        diagnostics: SamplingDiagnostics | None = None,
    ) -> None:
        check_constraint(constraint, max_duration, max_cuts)
        self.datapipe = datapipe
        self.drop_last = drop_last
        self.diagnostics = diagnostics if diagnostics is not None else SamplingDiagnostics()
        self.constraint = constraint or TimeConstraint(
            max_duration=max_duration, max_cuts=max_cuts, quadratic_duration=quadratic_duration
        )

    def __iter__(self):
        items: list = []
        self.constraint.reset()
        for item in self.datapipe:
            items.append(item)
            self.constraint.add(item[0] if type(item) is tuple else item)
            if self.constraint.close_to_exceeding():
                yield to_batch(items)
                items = []
                self.constraint.reset()
        if items:
            if not self.drop_last or self.constraint.close_to_exceeding():
                yield to_batch(items)
            else:
                self.diagnostics.discard(items)
