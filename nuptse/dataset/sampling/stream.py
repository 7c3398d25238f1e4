"""Samplers that read cuts in order and cut the stream into batches.

:class:`StreamSampler` is the shared engine of ``SimpleCutSampler``,
``DynamicCutSampler`` and ``CutPairsSampler``: open a cursor over the input
(zipped when several cut sets are given), shuffle it when asked (a full
permutation for eager input, a buffered shuffle for lazy input), drop what
the filter rejects, and close each batch as soon as a constraint says that
one more cut would overflow it.  Nothing is held between batches, so the
position is the cursor's position plus a few counters.
"""

from __future__ import annotations

import random
from typing import Any

from nuptse.cut import CutSet
from nuptse.dataset.sampling.base import (
    CutSampler,
    SamplerStateError,
    SamplingConstraint,
    Seed,
    resolve_sampler_seed,
)
from nuptse.dataset.sampling.cursor import (
    Cursor,
    ListCursor,
    ShuffleCursor,
    ZipCursor,
    eager_items,
)
from nuptse.dataset.sampling.sources import open_cursor


def is_eager(source: Any) -> bool:
    """Whether ``source`` is an in-memory cut set (or list)."""
    if isinstance(source, (list, tuple)):
        return True
    return isinstance(source, CutSet) and not source.is_lazy


def to_batch(items: list) -> CutSet | tuple[CutSet, ...]:
    """A CutSet of single items, or a tuple of CutSets for zipped items."""
    if items and isinstance(items[0], tuple):
        return tuple(CutSet.from_cuts(list(col)) for col in zip(*items))
    return CutSet.from_cuts(items)


def open_epoch_cursor(
    sources: tuple, shuffle: bool, seed: int, buffer_size: int, light: bool = False
) -> Cursor:
    """A cursor over ``sources`` (zipped when several) in this epoch's order.

    Eager input is permuted in full with ``random.Random(seed)``; lazy input
    goes through a shuffle buffer of ``buffer_size`` items seeded with ``seed``.
    """
    if shuffle and all(is_eager(s) for s in sources):
        cursors = []
        order = None
        for s in sources:
            items = eager_items(s)
            if order is None:
                order = list(range(len(items)))
                random.Random(seed).shuffle(order)
            cursors.append(ListCursor(items, order))
        return cursors[0] if len(cursors) == 1 else ZipCursor(cursors)
    cursors = [open_cursor(s, light=light) for s in sources]
    cursor = cursors[0] if len(cursors) == 1 else ZipCursor(cursors)
    if shuffle:
        cursor = ShuffleCursor(cursor, buffer_size, seed)
    return cursor


class StreamSampler(CutSampler):
    """Sequential batching over one or more (zipped) cut sources; see the module docstring."""

    #: shuffle buffer for lazy input
    shuffle_buffer_size: int = 10000
    #: close a batch when a cut overflows it, keeping that cut for the next
    #: batch (lhotse's SimpleCutSampler/CutPairsSampler); otherwise close it as
    #: soon as one more cut as long as the longest would overflow (DynamicCutSampler)
    take_back_on_exceed: bool = False

    def __init__(
        self,
        *cuts: Any,
        shuffle: bool = False,
        drop_last: bool = False,
        world_size: int | None = None,
        rank: int | None = None,
        seed: Seed = 0,
    ) -> None:
        super().__init__(
            shuffle=shuffle, drop_last=drop_last, world_size=world_size, rank=rank, seed=seed
        )
        if not cuts:
            raise ValueError(f"{type(self).__name__} needs at least one cut source")
        self.cuts = cuts
        self._cursor: Cursor | None = None
        self._epoch_seed: int | None = None
        self._consumed = 0
        self._consumed_duration = 0.0
        self._exhausted = False
        self._pending: dict | None = None  # a loaded position, applied by the next iter()
        self._carry: tuple | None = None  # (key, item) taken back for the next batch
        self._totals: tuple[int, float] | None = None

    # --- what subclasses define ------------------------------------------------------

    def _constraints(self) -> list[SamplingConstraint]:
        """Fresh constraints, one per zipped element that is measured (at least the first)."""
        raise NotImplementedError

    # --- sizes ---------------------------------------------------------------------------

    def _compute_totals(self) -> tuple[int, float] | None:
        if self._totals is None and is_eager(self.cuts[0]):
            first = self.cuts[0]
            self._totals = (len(first), sum(c.duration for c in first))
        return self._totals

    @property
    def num_cuts(self) -> int | None:
        totals = self._compute_totals()
        return None if totals is None else totals[0]

    @property
    def remaining_cuts(self) -> int | None:
        totals = self._compute_totals()
        return None if totals is None else totals[0] - self._consumed

    @property
    def remaining_duration(self) -> float | None:
        totals = self._compute_totals()
        return None if totals is None else max(0.0, totals[1] - self._consumed_duration)

    # --- iteration -----------------------------------------------------------------------

    def _open(self) -> Cursor:
        return open_epoch_cursor(
            self.cuts, self.shuffle, self._epoch_seed, self.shuffle_buffer_size
        )

    def __iter__(self):
        if self._just_restored_state:
            if self._pending is not None:
                self._apply_position(self._pending)
                self._pending = None
            return self
        self._epoch_seed = resolve_sampler_seed(self.seed) + self.epoch
        self.diagnostics.reset_current_epoch()
        self._compute_totals()
        self._cursor = self._open()
        self._consumed, self._consumed_duration = 0, 0.0
        self._exhausted = False
        self._carry = None
        self._round = 0
        return self

    def _count(self, item, sign: int) -> None:
        self._consumed += sign
        if self._totals is not None:  # eager input: remaining_duration is known
            first = item[0] if type(item) is tuple else item
            self._consumed_duration += sign * first.duration

    def _pull(self):
        """The next ``(key, item)`` that passes the filter (StopIteration at the end)."""
        if self._carry is not None:
            entry, self._carry = self._carry, None
            self._count(entry[1], +1)
            return entry
        keep = self._filter_fn
        while True:
            key, item = self._cursor.next()
            self._count(item, +1)
            if type(item) is tuple:
                ok = all(keep(x) for x in item)
            else:
                ok = keep(item)
            if ok:
                return key, item
            self.diagnostics.discard_single(item)

    def _take_back(self, entry) -> None:
        """Keep ``entry`` for the next batch (lhotse's rule for the simple samplers)."""
        self._carry = entry
        self._count(entry[1], -1)

    def _next_batch(self):
        if self._cursor is None:
            iter(self)
        if self._exhausted:
            raise StopIteration
        constraints = self._constraints()
        items: list = []
        while True:
            try:
                key, item = self._pull()
            except StopIteration:
                self._exhausted = True
                if items and (
                    not self.drop_last or any(c.close_to_exceeding() for c in constraints)
                ):
                    return to_batch(items)
                if items:
                    self.diagnostics.discard(items)
                raise
            if type(item) is tuple:
                for c, x in zip(constraints, item):
                    c.add(x)
            else:
                constraints[0].add(item)
            if self.take_back_on_exceed:
                # lhotse's simple samplers: fill until a cut overflows, then keep it for later
                if any(c.exceeded() for c in constraints) and items:
                    self._take_back((key, item))
                    return to_batch(items)
                items.append(item)
            else:
                items.append(item)
                if any(c.close_to_exceeding() for c in constraints):
                    return to_batch(items)

    # --- state ---------------------------------------------------------------------------

    def _position(self) -> dict | None:
        if self._pending is not None:
            return dict(self._pending)
        if self._cursor is None:
            return None
        return {
            "epoch_seed": self._epoch_seed,
            "cursor": self._cursor.tell(),
            "consumed": self._consumed,
            "consumed_duration": self._consumed_duration,
            "exhausted": self._exhausted,
            "round": self._round,
            "carry": None if self._carry is None else [self._carry[0]],
        }

    def _apply_position(self, pos: dict) -> None:
        self._epoch_seed = pos["epoch_seed"]
        self._compute_totals()
        self._cursor = self._open()
        self._carry = None
        if pos.get("carry"):  # fetched before seeking: sequential sources read forward
            (key,) = pos["carry"]
            self._carry = (key, self._cursor.fetch_many([key])[0])
        self._cursor.seek(pos["cursor"])
        self._consumed = pos["consumed"]
        self._consumed_duration = pos["consumed_duration"]
        self._exhausted = pos["exhausted"]
        self._round = pos["round"]

    def state_dict(self) -> dict[str, Any]:
        sd = super().state_dict()
        sd["position"] = self._position()
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if "position" not in state_dict:
            raise SamplerStateError(
                f"{type(self).__name__} state has no 'position' (not written by nuptse?)"
            )
        pos = state_dict.pop("position")
        super().load_state_dict(state_dict)
        self._pending = pos
        if pos is None:
            self._just_restored_state = False
