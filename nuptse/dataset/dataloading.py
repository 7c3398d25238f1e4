"""Seeds for DataLoader workers and distributed ranks.

``make_worker_init_fn`` gives every worker (and every rank) its own seed, so
that random augmentation differs between workers yet repeats between runs;
``resolve_seed`` turns the seed values that transforms accept (an int,
``"trng"``, ``"randomized"`` or None) into an int.
"""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import Callable
from functools import partial
from typing import Literal, Optional, Union

#: Environment variable holding the seed that ``worker_init_fn`` assigned.
PROCESS_SEED_VARIABLE = "LHOTSE_PROCESS_SEED"


def _fix_random_seed(seed: int) -> None:
    from nuptse.utils import fix_random_seed

    fix_random_seed(seed)


def worker_init_fn(
    worker_id: int,
    rank: Optional[int] = None,
    world_size: Optional[int] = None,
    set_different_node_and_worker_seeds: bool = True,
    seed: Optional[int] = 42,
) -> None:
    """Seed this worker with ``seed + 100 * worker_id + 100000 * rank``; export RANK/WORLD_SIZE."""
    if set_different_node_and_worker_seeds:
        process_seed = seed + 100 * worker_id + (100000 * rank if rank is not None else 0)
        _fix_random_seed(process_seed)
        os.environ[PROCESS_SEED_VARIABLE] = str(process_seed)
    if rank is None and world_size is None:
        return
    if rank is None or world_size is None:
        raise ValueError(f"rank and world_size go together; got rank={rank}, world_size={world_size}")
    os.environ["RANK"] = str(rank)
    os.environ["WORLD_SIZE"] = str(world_size)


def make_worker_init_fn(
    rank: Optional[int] = None,
    world_size: Optional[int] = None,
    set_different_node_and_worker_seeds: bool = True,
    seed: Optional[int] = 42,
) -> Optional[Callable[[int], None]]:
    """A ``worker_init_fn`` for :class:`torch.utils.data.DataLoader` (see :func:`worker_init_fn`)."""
    return partial(
        worker_init_fn,
        rank=rank,
        world_size=world_size,
        set_different_node_and_worker_seeds=set_different_node_and_worker_seeds,
        seed=seed,
    )


def resolve_seed(seed: Union[int, Literal["trng", "randomized"], None]) -> int:
    """An int seed for ``seed``.

    An int is returned as is; None gives Python's global generator's seed
    word; ``"randomized"`` the seed :func:`worker_init_fn` gave this worker
    (the global one outside workers); ``"trng"`` a fresh value from the OS.

    >>> resolve_seed(7)
    7
    """
    if isinstance(seed, int):
        return seed
    if seed is None:
        return random.getstate()[1][0]
    if seed == "randomized":
        import torch.utils.data

        if torch.utils.data.get_worker_info() is None:
            return random.getstate()[1][0]
        if PROCESS_SEED_VARIABLE not in os.environ:
            raise RuntimeError(
                "seed='randomized' in a DataLoader worker needs "
                "worker_init_fn=make_worker_init_fn(...) on the DataLoader"
            )
        return int(os.environ[PROCESS_SEED_VARIABLE])
    if seed == "trng":
        return secrets.randbelow(2**31)
    raise ValueError(f"seed must be an int, None, 'trng' or 'randomized'; got {seed!r}")


def get_world_size() -> int:
    """Number of distributed processes (``WORLD_SIZE``, else torch.distributed, else 1)."""
    if "WORLD_SIZE" in os.environ:
        return int(os.environ["WORLD_SIZE"])
    import torch.distributed as dist

    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def get_rank() -> int:
    """This process's rank (``RANK``, else torch.distributed, else 0)."""
    if "RANK" in os.environ:
        return int(os.environ["RANK"])
    import torch.distributed as dist

    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
