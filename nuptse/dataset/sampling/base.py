"""What every sampler shares: the ``CutSampler`` protocol, batch constraints and diagnostics.

A sampler turns a stream of cuts into mini-batches (``CutSet`` objects, or
tuples of them for paired data).  Subclasses only produce the *global*
sequence of batches (``_next_batch``); this base class hands them out to
distributed ranks and DataLoader workers, applies per-batch transforms and
keeps the bookkeeping that ``state_dict``/``load_state_dict`` restore.

Distribution follows lhotse's rule: every rank builds the same global
sequence and keeps every ``world_size``-th batch (rank ``r`` keeps batch
``i`` when ``i % world_size == r``), so all ranks take the same number of
steps even though batch sizes vary.  At the end of an epoch, when fewer
than ``world_size`` batches are left and ``drop_last=False``, the leftover
cuts are pooled and split over the ranks, with ``_dup{n}`` copies only
where there are fewer cuts than ranks; every input cut is still yielded
exactly once.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Literal

from nuptse.cut import CutSet
from nuptse.dataset.sampling.constraints import (  # noqa: F401  (lhotse's names live in base)
    SamplerStateError,
    SamplingConstraint,
    TimeConstraint,
    TokenConstraint,
    check_constraint,
)
from nuptse.dataset.sampling.diagnostics import EpochDiagnostics, SamplingDiagnostics  # noqa: F401

logger = logging.getLogger(__name__)

Seed = int | Literal["randomized", "trng"]

#: Environment variable a DataLoader worker_init_fn sets to the worker's own seed.
PROCESS_SEED_ENV = ("NUPTSE_PROCESS_SEED", "LHOTSE_PROCESS_SEED")


def resolve_sampler_seed(seed: Seed | None) -> int:
    """The integer seed that ``seed`` stands for in this process.

    An int is used as is; ``"trng"`` draws a fresh seed from the OS;
    ``"randomized"`` takes the seed that the DataLoader worker's init function
    stored (one per rank and worker), or the global ``random`` module's seed
    outside of workers.

    >>> resolve_sampler_seed(3)
    3
    """
    if isinstance(seed, bool):
        raise ValueError(f"seed must be an int, 'randomized' or 'trng', got {seed!r}")
    if isinstance(seed, int):
        return seed
    if seed is None:
        return random.getstate()[1][0]
    if seed == "trng":
        return secrets.randbelow(2**31)
    if seed == "randomized":
        from torch.utils.data import get_worker_info

        info = get_worker_info()
        if info is None:
            return random.getstate()[1][0]
        for name in PROCESS_SEED_ENV:
            if name in os.environ:
                return int(os.environ[name])
        return int(info.seed % 2**31)
    raise ValueError(f"seed must be an int, 'randomized' or 'trng', got {seed!r}")


# --- the sampler protocol ------------------------------------------------------------------


class _KeepAll:
    """The default filter: keeps every cut (picklable, unlike a lambda)."""

    def __call__(self, cut: Any) -> bool:
        return True


class _Both:
    """Two filters that must both accept (picklable)."""

    def __init__(self, first: Callable, second: Callable):
        self.first, self.second = first, second

    def __call__(self, cut: Any) -> bool:
        return self.first(cut) and self.second(cut)


def mark_as_duplicate(iteration: int) -> Callable[[str], str]:
    """Id transform for the padding copies made when ranks outnumber leftover cuts."""

    def rename(cut_id: str) -> str:
        return f"{cut_id}_dup{iteration}"

    return rename


def attach_dataloading_info(cuts: Iterable, rank: int, world_size: int) -> None:
    """Record ``rank``, ``world_size`` and the DataLoader ``worker_id`` on each cut
    (custom field ``dataloading_info``; ``worker_id`` is None outside workers)."""
    from torch.utils.data import get_worker_info

    info = get_worker_info()
    meta = {"rank": rank, "world_size": world_size, "worker_id": None if info is None else info.id}
    for cut in cuts:
        try:
            cut.dataloading_info = meta
        except AttributeError:  # objects without a custom field (e.g. plain tuples)
            pass


def _batch_cuts(batch) -> list:
    """The cuts of a batch (the first element of a tuple batch)."""
    first = batch[0] if isinstance(batch, tuple) else batch
    return list(first)


def _duplicate(cut, new_id: str):
    """A copy of ``cut`` under ``new_id`` that shares its custom fields (as lhotse's copies do)."""
    dup = cut.with_id(new_id)
    custom = getattr(cut, "__dict__", {}).get("custom")
    if custom is not None:
        dup.custom = custom
    return dup


def _pool_and_split(batches: list, parts: int) -> list:
    """Spread the cuts of ``batches`` (fewer than ``parts``) over ``parts`` batches.

    Copies with ``_dup{n}`` ids fill in where there are fewer cuts than parts.
    Works for plain and tuple batches (tuples are split element-wise).
    """
    paired = isinstance(batches[0], tuple)
    width = len(batches[0]) if paired else 1
    columns = [[c for b in batches for c in (b[i] if paired else b)] for i in range(width)]
    n = len(columns[0])
    rounds = 0
    while len(columns[0]) < parts:
        need = parts - len(columns[0])
        rename = mark_as_duplicate(rounds)
        for col in columns:
            col.extend(_duplicate(c, rename(c.id)) for c in col[: min(need, n)])
        rounds += 1
    out = []
    total = len(columns[0])
    for p in range(parts):
        lo, hi = p * total // parts, (p + 1) * total // parts
        sets = tuple(CutSet.from_cuts(col[lo:hi]) for col in columns)
        out.append(sets if paired else sets[0])
    return out


class CutSampler:
    """Base class of the samplers: turns cuts into batches, spread over ranks and workers.

    Subclasses implement ``_next_batch`` (the next batch of the global
    sequence, ``StopIteration`` at the end), ``__iter__`` (start an epoch, or
    resume one right after ``load_state_dict``), and extend
    ``state_dict``/``load_state_dict`` with their position.

    ``rank``/``world_size`` default to the ``RANK``/``WORLD_SIZE`` environment
    variables, then to ``torch.distributed`` when it is initialized, then to 0/1.

    >>> from nuptse.dataset.sampling import SimpleCutSampler
    >>> from nuptse.testing.dummies import DummyManifest
    >>> sampler = SimpleCutSampler(DummyManifest(CutSet, begin_id=0, end_id=4), max_cuts=2)
    >>> [len(b) for b in sampler]
    [2, 2]
    """

    def __init__(
        self,
        shuffle: bool = False,
        drop_last: bool = False,
        world_size: int | None = None,
        rank: int | None = None,
        seed: Seed = 0,
    ) -> None:
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.epoch = 0
        self._diagnostics = SamplingDiagnostics()
        self._just_restored_state = False
        self._init_distributed(world_size, rank)
        self._filter_fn: Callable[[Any], bool] = _KeepAll()
        self._transforms: list[Callable] = []
        # DataLoader worker split (set by IterableDatasetWrapper(split_across_workers=True)).
        self._worker_id, self._num_workers = 0, 1
        self._round = 0

    # --- distribution ---------------------------------------------------------------

    def _init_distributed(self, world_size: int | None, rank: int | None) -> None:
        if world_size is not None and world_size < 1:
            raise ValueError(f"world_size must be >= 1, got {world_size}")
        if rank is not None and rank < 0:
            raise ValueError(f"rank must be >= 0, got {rank}")
        if world_size is None or rank is None:
            env_ws, env_rank = _distributed_defaults()
            world_size = env_ws if world_size is None else world_size
            rank = env_rank if rank is None else rank
        if rank >= world_size:
            raise ValueError(f"rank {rank} is not below world_size {world_size}")
        self.world_size, self.rank = world_size, rank

    def _set_worker_split(self, worker_id: int, num_workers: int) -> None:
        """Make this replica yield only its share of the batches of its rank.

        Used by :class:`~nuptse.dataset.iterable_dataset.IterableDatasetWrapper`
        so that DataLoader workers, taken together, yield each batch once and in
        the same order as a single process.
        """
        if not 0 <= worker_id < num_workers:
            raise ValueError(f"worker_id {worker_id} is not in [0, {num_workers})")
        self._worker_id, self._num_workers = worker_id, num_workers

    # --- public API ---------------------------------------------------------------------

    @property
    def diagnostics(self) -> SamplingDiagnostics:
        """Counts of kept and discarded cuts and batches."""
        return self._diagnostics

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch (the shuffling order depends on it); a new epoch restarts iteration."""
        if self.epoch != epoch:
            self.allow_iter_to_reset_state()
        self.epoch = epoch
        self.diagnostics.set_epoch(epoch)

    def filter(self, predicate: Callable[[Any], bool]) -> CutSampler:
        """Only sample cuts for which ``predicate`` is true (applied while sampling)."""
        if isinstance(self._filter_fn, _KeepAll):
            self._filter_fn = predicate
        else:
            self._filter_fn = _Both(self._filter_fn, predicate)
        return self

    def map(self, fn: Callable[[CutSet], CutSet]) -> CutSampler:
        """Apply ``fn`` to every batch before it is yielded."""
        if not callable(fn):
            raise ValueError(f"map() needs a callable taking and returning a CutSet, got {fn!r}")
        self._transforms.append(fn)
        return self

    def allow_iter_to_reset_state(self) -> None:
        """Let the next ``iter()`` start the epoch from scratch even right after
        ``load_state_dict`` (which otherwise makes ``iter()`` continue)."""
        self._just_restored_state = False

    def state_dict(self) -> dict[str, Any]:
        """The sampler's settings, epoch, diagnostics and (in subclasses) position."""
        return {
            "epoch": self.epoch,
            "drop_last": self.drop_last,
            "world_size": self.world_size,
            "rank": self.rank,
            "seed": self.seed,
            "shuffle": self.shuffle,
            "diagnostics": self.diagnostics.state_dict(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict``: the next ``iter()`` continues where it was taken.

        Like lhotse, the keys are consumed (popped) from ``state_dict``.
        """
        self.drop_last = state_dict.pop("drop_last")
        world_size = state_dict.pop("world_size")
        if world_size != self.world_size:
            raise SamplerStateError(
                f"cannot restore a state of world_size={world_size} into a sampler with "
                f"world_size={self.world_size}: the batches would differ"
            )
        state_dict.pop("rank")
        seed = state_dict.pop("seed")
        if seed != self.seed:
            raise SamplerStateError(
                f"cannot restore a state of seed={seed!r} into a sampler with seed={self.seed!r}"
            )
        shuffle = state_dict.pop("shuffle")
        if shuffle != self.shuffle:
            warnings.warn(
                f"state_dict sets shuffle={shuffle} (the sampler was created with {self.shuffle})",
                stacklevel=2,
            )
        self.shuffle = shuffle
        self.epoch = state_dict.pop("epoch")
        self.diagnostics.load_state_dict(state_dict.pop("diagnostics"))
        if state_dict:
            raise SamplerStateError(
                f"{type(self).__name__}.load_state_dict: unknown keys {sorted(state_dict)}"
            )
        self._just_restored_state = True

    def __iter__(self):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__()")

    def _next_batch(self):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement _next_batch()")

    @property
    def remaining_duration(self) -> float | None:
        """Seconds of data left in this epoch (None when unknown, e.g. lazy input)."""
        return None

    @property
    def remaining_cuts(self) -> int | None:
        """Cuts left in this epoch (None when unknown)."""
        return None

    @property
    def num_cuts(self) -> int | None:
        """Cuts in an epoch (None when unknown)."""
        return None

    def _next_round(self):
        """This rank's batch of the next round of ``world_size`` global batches."""
        ws = self.world_size
        batches = []
        for _ in range(ws):
            try:
                batches.append(self._next_batch())
            except StopIteration:
                if ws == 1 or self.drop_last:
                    raise
                break
        if not batches:
            raise StopIteration
        self._round += 1
        if len(batches) < ws:
            batches = _pool_and_split(batches, ws)
        return batches[self.rank]

    def __next__(self):
        self.allow_iter_to_reset_state()
        selected = self._next_round()
        while self._num_workers > 1 and (self._round - 1) % self._num_workers != self._worker_id:
            selected = self._next_round()
        self._log_diagnostics(selected)
        for fn in self._transforms:
            selected = fn(selected)
        attach_dataloading_info(_batch_cuts(selected), rank=self.rank, world_size=self.world_size)
        return selected

    def _log_diagnostics(self, batch) -> None:
        if isinstance(batch, tuple):
            batch = batch[0]
        self.diagnostics.keep(batch)

    def get_report(self) -> str:
        """A one-line summary of what was kept and discarded so far."""
        return self.diagnostics.get_report()


def _distributed_defaults() -> tuple[int, int]:
    if "WORLD_SIZE" in os.environ and "RANK" in os.environ:
        return int(os.environ["WORLD_SIZE"]), int(os.environ["RANK"])
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    return 1, 0
