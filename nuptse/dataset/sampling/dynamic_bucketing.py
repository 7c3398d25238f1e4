"""DynamicBucketingSampler: batches of similar-length cuts from a streaming buffer.

Cuts are read into ``buffer_size`` slots spread over duration buckets (bin
edges estimated from the first cuts, or given).  Each step picks a bucket
that holds a full batch, takes a batch from it (in random order when
``shuffle``) and refills the buffer with as many new cuts.  Batches of
similar durations waste little on padding.

Bucket choice follows lhotse 1.33 draw for draw, so the same seed gives the
same batches: with ``sync_buckets`` (default) a separate RNG seeded 1234
picks a bucket index (the same one for ``world_size`` consecutive batches,
so that all ranks collate the same shapes), searching neighbouring buckets
outward when the drawn one is not ready; without it the main RNG chooses
among the ready buckets.

Resuming is exact and does not replay the epoch: the state holds the
input's position, the keys (byte offsets or indexes) of the buffered cuts
and both RNG states.  For plain JSON-lines input the buffer only holds each
cut's offset and duration; full cuts are decoded when their batch is emitted.
"""

from __future__ import annotations

import random
import warnings
from bisect import bisect_left
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal

from nuptse.dataset.sampling.base import (
    CutSampler,
    SamplerStateError,
    SamplingConstraint,
    SamplingDiagnostics,
    TimeConstraint,
    _KeepAll,
    check_constraint,
    resolve_sampler_seed,
)
from nuptse.dataset.sampling.cursor import (
    Cursor,
    IterCursor,
    Stub,
    ZipCursor,
    _rng_from,
    pack_keys,
    resolve_stubs,
    unpack_keys,
)
from nuptse.dataset.sampling.dynamic import check_consistent_ids
from nuptse.dataset.sampling.sources import open_cursor
from nuptse.dataset.sampling.stream import to_batch


def pick_at_random(bucket, rng: random.Random, out_indexes_used: list):
    """Yield the items of ``bucket`` (a sequence or ``queue.Queue``) in a random order
    drawn from ``rng``, appending each yielded item's index to ``out_indexes_used``."""
    items = list(bucket.queue) if hasattr(bucket, "queue") else list(bucket)
    order = list(range(len(items)))
    rng.shuffle(order)
    for i in order:
        out_indexes_used.append(i)
        yield items[i]


def _first(item):
    return item[0] if type(item) is tuple else item


def estimate_duration_buckets(
    cuts, num_buckets: int, constraint: SamplingConstraint | None = None
) -> list[float]:
    """Bin edges that split ``cuts`` into ``num_buckets`` buckets of about equal total size.

    Returns ``num_buckets - 1`` sizes (durations by default, or whatever
    ``constraint.measure_length`` measures); bucket ``i`` takes sizes in
    ``(bins[i-1], bins[i]]``.

    >>> from nuptse.cut import CutSet
    >>> from nuptse.testing.dummies import DummyManifest
    >>> cuts = DummyManifest(CutSet, begin_id=0, end_id=4)
    >>> estimate_duration_buckets(cuts, num_buckets=2)
    [1.0]
    """
    import numpy as np

    if num_buckets < 2:
        raise ValueError(f"num_buckets must be > 1, got {num_buckets}")
    if constraint is None:
        constraint = TimeConstraint()
    sizes = np.array([constraint.measure_length(c) for c in cuts], dtype=np.float64)
    sizes.sort()
    if num_buckets > sizes.shape[0]:
        raise ValueError(
            f"cannot make {num_buckets} buckets from {sizes.shape[0]} cuts "
            "(num_buckets must not exceed the number of cuts)"
        )
    per_bucket = sizes.sum() / num_buckets
    bins: list[float] = []
    acc = 0.0
    for size in sizes.tolist():
        if acc > per_bucket:
            bins.append(size)
            acc = 0.0
        acc += size
    return bins


@dataclass
class FixedBucketBatchSizeConstraint(SamplingConstraint):
    """A fixed number of examples per batch, chosen by bucket (``batch_sizes[i]``
    for examples up to ``max_seq_len_buckets[i]`` long).

    >>> c = FixedBucketBatchSizeConstraint(max_seq_len_buckets=[2.0, 4.0], batch_sizes=[2, 1])
    >>> c.select_bucket(c.max_seq_len_buckets, example_len=2.0)
    0
    """

    max_seq_len_buckets: list[float]
    batch_sizes: list[int]
    current_bucket: int | None = None
    num_cuts: int = 0

    def __post_init__(self):
        if sorted(self.max_seq_len_buckets) != list(self.max_seq_len_buckets):
            raise ValueError(f"max_seq_len_buckets must be sorted: {self.max_seq_len_buckets}")
        if len(self.batch_sizes) != len(self.max_seq_len_buckets):
            raise ValueError("batch_sizes and max_seq_len_buckets must have the same length")

    def is_active(self) -> bool:
        return True

    def add(self, example) -> None:
        size = self.measure_length(example)
        idx = bisect_left(self.max_seq_len_buckets, size)
        if idx >= len(self.max_seq_len_buckets):
            raise AssertionError(
                f"example {getattr(example, 'id', example)!r} has length {size}, above the "
                f"longest allowed {self.max_seq_len_buckets[-1]}"
            )
        if self.current_bucket is None:
            self.current_bucket = idx
        elif self.current_bucket != idx:
            raise AssertionError(
                f"example of length {size} belongs to bucket {idx}, but this batch is "
                f"for bucket {self.current_bucket} (bins {self.max_seq_len_buckets})"
            )
        self.num_cuts += 1

    def exceeded(self) -> bool:
        if self.current_bucket is None:
            return False
        return self.num_cuts > self.batch_sizes[self.current_bucket]

    def close_to_exceeding(self) -> bool:
        if self.current_bucket is None:
            return False
        return self.num_cuts >= self.batch_sizes[self.current_bucket]

    def reset(self) -> None:
        self.current_bucket = None
        self.num_cuts = 0

    def measure_length(self, example) -> float:
        return example.duration

    def copy(self) -> FixedBucketBatchSizeConstraint:
        return FixedBucketBatchSizeConstraint(
            list(self.max_seq_len_buckets), list(self.batch_sizes), self.current_bucket, self.num_cuts
        )


class BucketsDontHaveEnoughData(Exception):
    """No bucket within reach satisfies the readiness test."""


class BucketSelectionState:
    """The synchronized bucket choice: one draw of ``bucket_rng`` serves ``world_size`` batches."""

    def __init__(self, bucket_rng: random.Random, num_buckets: int, world_size: int) -> None:
        self._bucket_rng = bucket_rng
        self._num_buckets = num_buckets
        self._world_size = world_size
        self._usage_count = 0
        self._bucket_idx: int | None = None

    def select_bucket_idx(self) -> int:
        if self._bucket_idx is None or self._usage_count == self._world_size:
            self._bucket_idx = self._bucket_rng.randrange(self._num_buckets)
            self._usage_count = 0
        self._usage_count += 1
        return self._bucket_idx

    def save(self) -> dict[str, Any]:
        return {
            "_bucket_rng": self._bucket_rng.getstate(),
            "_bucket_idx": self._bucket_idx,
            "_usage_count": self._usage_count,
        }

    def restore(self, ckpt: dict[str, Any]) -> None:
        self._bucket_rng.setstate(_rng_from(ckpt["_bucket_rng"]).getstate())
        self._bucket_idx = ckpt["_bucket_idx"]
        self._usage_count = ckpt["_usage_count"]


class DynamicBucketer:
    """The bucketing engine: buffered cuts in duration buckets, one batch per call.

    Iterating it yields batches; :meth:`next_batch`, :meth:`position` and
    :meth:`restore` let the sampler stop and resume anywhere.
    """

    def __init__(
        self,
        cuts,
        duration_bins: list[float],
        world_size: int,
        max_duration: float | None = None,
        max_cuts: int | None = None,
        constraint: SamplingConstraint | None = None,
        drop_last: bool = False,
        buffer_size: int = 10000,
        quadratic_duration: float | None = None,
        shuffle: bool = False,
        rng: random.Random | None = None,
        bucket_rng: random.Random | None = None,
        concurrent: bool = False,
        diagnostics: SamplingDiagnostics | None = None,
        filter_fn=None,
    ) -> None:
        if list(duration_bins) != sorted(duration_bins):
            raise ValueError(f"duration_bins must be sorted ascendingly, got {duration_bins}")
        check_constraint(constraint, max_duration, max_cuts)
        if constraint is None:
            constraint = TimeConstraint(
                max_duration=max_duration, max_cuts=max_cuts, quadratic_duration=quadratic_duration
            )
        self.cursor: Cursor = cuts if isinstance(cuts, Cursor) else IterCursor(cuts)
        self.duration_bins = list(duration_bins)
        self.world_size = world_size
        self.constraint = constraint
        self.drop_last = drop_last
        self.buffer_size = buffer_size
        self.shuffle = shuffle
        self.rng = rng if rng is not None else random.Random()
        self.bucket_rng = bucket_rng
        self.concurrent = concurrent
        self.diagnostics = diagnostics if diagnostics is not None else SamplingDiagnostics()
        self.filter_fn = filter_fn
        self.buckets: list[list] = [[] for _ in range(len(self.duration_bins) + 1)]
        # Readiness per bucket (None: not known).  Buckets only grow at the end
        # between batches, so a bucket found not ready keeps the constraint it
        # accumulated and checks only the new cuts (see _is_ready).
        self._ready: list[bool | None] = [None] * len(self.buckets)
        self._partial: list[SamplingConstraint | None] = [None] * len(self.buckets)
        self.state = (
            BucketSelectionState(bucket_rng, len(self.buckets), world_size)
            if bucket_rng is not None
            else None
        )
        self.started = False
        self.exhausted = False

    # --- reading input --------------------------------------------------------------

    def _fill(self, n: int) -> None:
        if self.exhausted:
            return
        cursor, buckets, bins = self.cursor, self.buckets, self.duration_bins
        keep = self.filter_fn
        select = self.constraint.select_bucket
        plain_time = type(self.constraint) is TimeConstraint
        got = 0
        while got < n:
            try:
                key, item = cursor.next()
            except StopIteration:
                self.exhausted = True
                return
            if keep is not None:
                ok = all(keep(x) for x in item) if type(item) is tuple else keep(item)
                if not ok:
                    self.diagnostics.discard_single(item)
                    continue
            first = _first(item)
            idx = bisect_left(bins, first.duration) if plain_time else select(bins, example=first)
            buckets[idx].append((key, item))
            if self._ready[idx] is False:
                partial = self._partial[idx]
                partial.add(first)
                if partial.close_to_exceeding():
                    self._ready[idx], self._partial[idx] = True, None
            got += 1

    # --- choosing a bucket ----------------------------------------------------------

    def _is_ready(self, idx: int) -> bool:
        """Whether some prefix of bucket ``idx`` fills a batch (what lhotse checks)."""
        known = self._ready[idx]
        if known is not None:
            return known
        c = self.constraint.copy()
        c.reset()
        for _, item in self.buckets[idx]:
            c.add(_first(item))
            if c.close_to_exceeding():
                self._ready[idx] = True
                return True
        self._ready[idx], self._partial[idx] = False, c
        return False

    def _non_empty(self, idx: int) -> bool:
        return bool(self.buckets[idx])

    def _scan(self, predicate) -> int:
        n = len(self.buckets)
        idx = self.state.select_bucket_idx()
        attempts = 0
        lo = hi = idx
        while not (0 <= idx < n and predicate(idx)):
            if lo < 0 and hi >= n:
                raise BucketsDontHaveEnoughData()
            attempts += 1
            idx += attempts if attempts % 2 == 0 else -attempts
            lo, hi = min(lo, idx), max(hi, idx)
        return idx

    def _select(self) -> int:
        if self.state is None:
            ready = [i for i in range(len(self.buckets)) if self._is_ready(i)]
            if not ready:
                non_empty = [i for i, b in enumerate(self.buckets) if b]
                if self.drop_last or not non_empty:
                    raise StopIteration
                ready = non_empty
            return self.rng.choice(ready)
        ckpt = self.state.save()
        try:
            return self._scan(self._is_ready)
        except BucketsDontHaveEnoughData:
            if self.drop_last:
                raise StopIteration from None
        try:
            self.state.restore(ckpt)
            return self._scan(self._non_empty)
        except BucketsDontHaveEnoughData:
            raise StopIteration from None

    # --- batches ------------------------------------------------------------------------

    def next_batch(self):
        """The next batch (CutSet or tuple of CutSets); StopIteration at the end."""
        if not self.started:
            self.started = True
            self._fill(self.buffer_size)
        chosen = self._select()
        bucket = self.buckets[chosen]
        self._ready[chosen] = self._partial[chosen] = None  # it loses cuts
        c = self.constraint.copy()
        c.reset()
        if self.shuffle:
            order = list(range(len(bucket)))
            self.rng.shuffle(order)
        else:
            order = range(len(bucket))
        picked = []
        for i in order:
            picked.append(i)
            c.add(_first(bucket[i][1]))
            if c.close_to_exceeding():
                if len(picked) == 1 and c.exceeded():
                    warnings.warn(
                        "a single cut exceeds the batch limit (max_duration too low, or very long cuts)",
                        stacklevel=2,
                    )
                break
        entries = [bucket[i] for i in picked]
        if self.shuffle:
            for i in sorted(picked, reverse=True):
                del bucket[i]
        else:
            del bucket[: len(picked)]
        self._fill(len(picked))
        return to_batch(resolve_stubs(self.cursor, entries))

    def __iter__(self):
        while True:
            try:
                batch = self.next_batch()
            except StopIteration:
                return
            yield batch

    # --- position ------------------------------------------------------------------------

    def position(self) -> dict[str, Any]:
        return {
            "cursor": self.cursor.tell(),
            "buckets": [pack_keys([k for k, _ in b]) for b in self.buckets],
            "rng": self.rng.getstate(),
            "selection": None if self.state is None else self.state.save(),
            "started": self.started,
            "exhausted": self.exhausted,
        }

    def restore(self, pos: dict[str, Any]) -> None:
        self.rng.setstate(_rng_from(pos["rng"]).getstate())
        if pos["selection"] is not None:
            if self.state is None:
                raise SamplerStateError("the state has synchronized buckets, this sampler not")
            self.state.restore(pos["selection"])
        if len(pos["buckets"]) != len(self.buckets):
            raise SamplerStateError(
                f"the state has {len(pos['buckets'])} buckets, this sampler {len(self.buckets)}"
            )
        per_bucket = [unpack_keys(packed) for packed in pos["buckets"]]
        # one fetch for all buckets: sequential sources read forward once
        items = iter(self.cursor.fetch_many([k for keys in per_bucket for k in keys], light=True))
        for bucket, keys in zip(self.buckets, per_bucket):
            bucket[:] = [(k, next(items)) for k in keys]
        self._ready = [None] * len(self.buckets)
        self._partial = [None] * len(self.buckets)
        self.cursor.seek(pos["cursor"])
        self.started, self.exhausted = pos["started"], pos["exhausted"]


def _emit_buffer_warning() -> None:
    warnings.warn(
        "'shuffle_buffer_size' is deprecated for DynamicBucketingSampler (it shuffles within "
        "buckets); it is added to 'buffer_size'",
        DeprecationWarning,
        stacklevel=3,
    )


class DynamicBucketingSampler(CutSampler):
    """Batches cuts of similar duration from a stream (see the module docstring).

    ``*cuts`` may be one or several zipped sources (tuple batches); each can
    be eager, lazy (JSON lines, Shar, muxed) or any iterable of cuts.

    >>> from nuptse.cut import CutSet
    >>> from nuptse.testing.dummies import DummyManifest
    >>> cuts = DummyManifest(CutSet, begin_id=0, end_id=10)
    >>> sampler = DynamicBucketingSampler(cuts, max_duration=5.0, num_buckets=2)
    >>> sum(len(b) for b in sampler)
    10
    """

    def __init__(
        self,
        *cuts: Any,
        max_duration: float | None = None,
        max_cuts: int | None = None,
        constraint: SamplingConstraint | None = None,
        num_buckets: int | None = 10,
        shuffle: bool = False,
        drop_last: bool = False,
        consistent_ids: bool = True,
        duration_bins: list[float] | None = None,
        num_cuts_for_bins_estimate: int = 10000,
        buffer_size: int = 20000,
        quadratic_duration: float | None = None,
        world_size: int | None = None,
        rank: int | None = None,
        seed: int | Literal["randomized", "trng"] = 0,
        sync_buckets: bool = True,
        concurrent: bool = False,
        strict=None,
        shuffle_buffer_size=None,
    ) -> None:
        super().__init__(
            shuffle=shuffle, drop_last=drop_last, world_size=world_size, rank=rank, seed=seed
        )
        if not cuts:
            raise ValueError("DynamicBucketingSampler needs at least one cut source")
        check_constraint(constraint, max_duration, max_cuts)
        if strict is not None:
            warnings.warn("'strict' has no effect", DeprecationWarning, stacklevel=2)
        self.cuts = cuts
        self.max_duration = max_duration
        self.max_cuts = max_cuts
        self.constraint = constraint
        self.consistent_ids = consistent_ids
        self.num_cuts_for_bins_estimate = num_cuts_for_bins_estimate
        self.buffer_size = buffer_size
        self.quadratic_duration = quadratic_duration
        self.sync_buckets = sync_buckets
        self.concurrent = concurrent
        if shuffle_buffer_size is not None:
            _emit_buffer_warning()
            self.buffer_size += shuffle_buffer_size
        if duration_bins is not None:
            if list(duration_bins) != sorted(duration_bins):
                raise ValueError(f"duration_bins must be sorted ascendingly, got {duration_bins}")
            self.duration_bins = list(duration_bins)
        else:
            measure = constraint if constraint is not None else self._time_constraint()
            light = self._light_measure(measure)
            head = islice(_items(open_cursor(cuts[0], light=light)), num_cuts_for_bins_estimate)
            self.duration_bins = estimate_duration_buckets(head, num_buckets, constraint=measure)
        self.num_buckets = len(self.duration_bins) + 1
        self._bucketer: DynamicBucketer | None = None
        self._epoch_seed: int | None = None
        self._pending: dict | None = None

    def _time_constraint(self) -> TimeConstraint:
        return TimeConstraint(
            max_duration=self.max_duration,
            max_cuts=self.max_cuts,
            quadratic_duration=self.quadratic_duration,
        )

    @staticmethod
    def _light_measure(constraint) -> bool:
        return type(constraint) in (TimeConstraint, FixedBucketBatchSizeConstraint)

    def _light(self) -> bool:
        """Whether buffered cuts may be duration-only stubs (nothing needs more of them)."""
        constraint = self.constraint if self.constraint is not None else self._time_constraint()
        return (
            len(self.cuts) == 1
            and self._light_measure(constraint)
            and isinstance(self._filter_fn, _KeepAll)
        )

    def _make_bucketer(self) -> DynamicBucketer:
        light = self._light()
        cursors = [open_cursor(c, light=light) for c in self.cuts]
        cursor = cursors[0] if len(cursors) == 1 else ZipCursor(cursors)
        bucket_rng = None
        if self.sync_buckets:
            seed = 1234
            if self._num_workers == 1:
                from torch.utils.data import get_worker_info

                info = get_worker_info()
                if info is not None:
                    seed += info.id
            bucket_rng = random.Random(seed)
        return DynamicBucketer(
            cursor,
            duration_bins=self.duration_bins,
            world_size=self.world_size,
            max_duration=self.max_duration,
            max_cuts=self.max_cuts,
            constraint=self.constraint,
            drop_last=self.drop_last,
            buffer_size=self.buffer_size,
            quadratic_duration=self.quadratic_duration,
            shuffle=self.shuffle,
            rng=random.Random(self._epoch_seed),
            bucket_rng=bucket_rng,
            diagnostics=self.diagnostics,
            filter_fn=None if isinstance(self._filter_fn, _KeepAll) else self._filter_fn,
        )

    def __iter__(self):
        if self._just_restored_state:
            if self._pending is not None:
                pos, self._pending = self._pending, None
                self._epoch_seed = pos["epoch_seed"]
                self._round = pos["round"]
                self._bucketer = self._make_bucketer()
                self._bucketer.restore(pos["bucketer"])
            return self
        self._epoch_seed = resolve_sampler_seed(self.seed) + self.epoch
        self.diagnostics.reset_current_epoch()
        self._bucketer = self._make_bucketer()
        self._round = 0
        return self

    def _next_batch(self):
        if self._bucketer is None:
            iter(self)
        batch = self._bucketer.next_batch()
        if self.consistent_ids and isinstance(batch, tuple):
            check_consistent_ids(batch)
        return batch

    def state_dict(self) -> dict[str, Any]:
        if self.constraint is not None:
            raise ValueError("state_dict() is not supported with a custom constraint=")
        sd = super().state_dict()
        if self._pending is not None:
            position = dict(self._pending)
        elif self._bucketer is not None:
            position = {
                "epoch_seed": self._epoch_seed,
                "round": self._round,
                "bucketer": self._bucketer.position(),
            }
        else:
            position = None
        sd.update(
            {
                "max_duration": self.max_duration,
                "max_cuts": self.max_cuts,
                "consistent_ids": self.consistent_ids,
                "buffer_size": self.buffer_size,
                "num_cuts_for_bins_estimate": self.num_cuts_for_bins_estimate,
                "quadratic_duration": self.quadratic_duration,
                "duration_bins": list(self.duration_bins),
                "position": position,
            }
        )
        return sd

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        self.max_duration = sd.pop("max_duration")
        self.max_cuts = sd.pop("max_cuts")
        self.consistent_ids = sd.pop("consistent_ids")
        self.num_cuts_for_bins_estimate = sd.pop("num_cuts_for_bins_estimate")
        self.buffer_size = sd.pop("buffer_size")
        if "shuffle_buffer_size" in sd:
            _emit_buffer_warning()
            self.buffer_size += sd.pop("shuffle_buffer_size")
        self.quadratic_duration = sd.pop("quadratic_duration", None)
        sd.pop("strict", None)
        if "duration_bins" in sd:
            self.duration_bins = list(sd.pop("duration_bins"))
            self.num_buckets = len(self.duration_bins) + 1
        if "position" not in sd:
            raise SamplerStateError(
                "DynamicBucketingSampler state has no 'position' (a lhotse state_dict?); "
                "nuptse restores from positions, not by replaying batches"
            )
        position = sd.pop("position")
        super().load_state_dict(sd)
        self._pending = position
        if position is None:
            self._just_restored_state = False


def _items(cursor: Cursor):
    for _, item in cursor:
        yield _first(item)


__all__ = [
    "BucketSelectionState",
    "BucketsDontHaveEnoughData",
    "DynamicBucketer",
    "DynamicBucketingSampler",
    "FixedBucketBatchSizeConstraint",
    "Stub",
    "estimate_duration_buckets",
    "pick_at_random",
]
