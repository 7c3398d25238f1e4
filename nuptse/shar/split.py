"""Dividing shards among distributed ranks and DataLoader workers.

With ``R`` ranks and ``W`` workers per rank, rank ``r``'s worker ``w`` gets
the shards ``shards[r::R][w::W]``: every shard goes to exactly one
(rank, worker) pair, so each cut is read exactly once per epoch.

The rank comes from ``torch.distributed`` when it is initialised, otherwise
from the ``RANK``/``WORLD_SIZE`` environment variables (as set by
``torchrun``); the worker from ``torch.utils.data.get_worker_info()``,
otherwise from ``WORKER``/``NUM_WORKERS``.  Torch is imported only if it is
already loaded, so this module never pulls it in by itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import NamedTuple, TypeVar

from nuptse.shar.errors import SharError

T = TypeVar("T")


class WorkerInfo(NamedTuple):
    rank: int
    world_size: int
    worker: int
    num_workers: int


def _env_pair(a: str, b: str) -> tuple[int, int] | None:
    if a in os.environ and b in os.environ:
        try:
            idx, total = int(os.environ[a]), int(os.environ[b])
        except ValueError:
            raise SharError(
                f"environment variables {a}={os.environ[a]!r} and {b}={os.environ[b]!r} must be "
                "integers"
            ) from None
        if total < 1 or not 0 <= idx < total:
            raise SharError(f"invalid {a}={idx} for {b}={total}")
        return idx, total
    return None


def rank_info(group=None) -> tuple[int, int]:
    """``(rank, world_size)`` of this process."""
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        group = group or dist.group.WORLD
        return dist.get_rank(group=group), dist.get_world_size(group=group)
    env = _env_pair("RANK", "WORLD_SIZE")
    return env if env is not None else (0, 1)


def worker_info() -> tuple[int, int]:
    """``(worker id, number of workers)`` of the current DataLoader worker."""
    data = sys.modules.get("torch.utils.data")
    if data is not None:
        info = data.get_worker_info()
        if info is not None:
            return info.id, info.num_workers
    env = _env_pair("WORKER", "NUM_WORKERS")
    return env if env is not None else (0, 1)


def pytorch_worker_info(group=None) -> WorkerInfo:
    """``(rank, world_size, worker, num_workers)`` for this process.

    >>> pytorch_worker_info()  # outside any DataLoader or process group
    WorkerInfo(rank=0, world_size=1, worker=0, num_workers=1)
    """
    rank, world = rank_info(group)
    worker, workers = worker_info()
    return WorkerInfo(rank, world, worker, workers)


def split_by_node(items: Sequence[T], group=None) -> list[T]:
    """This rank's share: every ``world_size``-th item starting at ``rank``."""
    rank, world = rank_info(group)
    return list(items[rank::world])


def split_by_worker(items: Sequence[T]) -> list[T]:
    """This DataLoader worker's share of ``items``."""
    worker, workers = worker_info()
    return list(items[worker::workers])


def split_for_dataloading(items: Sequence[T], group=None) -> list[T]:
    """This (rank, worker) pair's share; the shares of all pairs partition ``items``.

    >>> split_for_dataloading(["s0", "s1", "s2"])
    ['s0', 's1', 's2']
    """
    return split_by_worker(split_by_node(items, group))
