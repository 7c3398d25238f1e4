"""Seeded randomness: reproducible ids, generators, string hashes and stream shuffling."""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
import sys
import uuid
from collections.abc import Callable, Generator, Iterator
from typing import Literal, Optional, Union

from nuptse.utils.env import is_module_available
from nuptse.utils.types import T

logger = logging.getLogger(__name__)

# Sentinel for exhausted iterators.
_END = object()


# Replaced by fix_random_seed(): the stdlib ``uuid.uuid4`` ignores ``random.seed``.
_uuid_source: Optional[Callable[[], uuid.UUID]] = None


def fix_random_seed(random_seed: int) -> None:
    """Seed ``random``, numpy, torch and :func:`uuid4` with ``random_seed``.

    After this call, :func:`uuid4` yields a reproducible sequence of ids.

    >>> fix_random_seed(0); a = uuid4()
    >>> fix_random_seed(0); a == uuid4()
    True
    """
    global _uuid_source
    random.seed(random_seed)
    if is_module_available("numpy"):
        import numpy as np

        np.random.seed(random_seed)
    if is_module_available("torch"):
        import torch

        torch.random.manual_seed(random_seed)
    generator = random.Random(random_seed)
    _uuid_source = lambda: uuid.UUID(int=generator.getrandbits(128))  # noqa: E731


def uuid4() -> uuid.UUID:
    """A random UUID, reproducible after :func:`fix_random_seed`."""
    if _uuid_source is not None:
        return _uuid_source()
    return uuid.uuid4()


def build_rng(seed: Union[int, Literal["trng"]]) -> random.Random:
    """A ``random.Random`` seeded with ``seed``; ``"trng"`` gives the system's true RNG.

    >>> build_rng(5).random() == build_rng(5).random()
    True
    """
    if seed == "trng":
        return secrets.SystemRandom()
    return random.Random(seed)


def hash_str_to_int(s: str, max_value: Optional[int] = None) -> int:
    """A stable integer in ``[0, max_value)`` derived from the SHA-1 of ``s``.

    Unlike ``hash()``, the answer is the same in every process.

    >>> hash_str_to_int("abc", 100)
    17
    """
    if max_value is None:
        max_value = sys.maxsize
    return int.from_bytes(hashlib.sha1(s.encode("utf-8")).digest(), "big") % max_value


def streaming_shuffle(
    data: Iterator[T],
    bufsize: int = 10000,
    rng: Optional[random.Random] = None,
) -> Generator[T, None, None]:
    """Shuffle a stream with a buffer of about ``bufsize`` items.

    Yields items as soon as the buffer is full, so the order is only locally
    random (an item moves at most about ``bufsize`` positions).  ``data`` must
    be an iterator: while filling, the buffer takes an extra item from it
    for every item read.  ``rng`` defaults to the ``random`` module; the same
    seeded ``rng`` gives the same order as lhotse.

    >>> sorted(streaming_shuffle(iter(range(10)), bufsize=4, rng=random.Random(0)))
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    """
    if rng is None:
        rng = random
    buffer: list = []
    filling = True
    for item in data:
        if len(buffer) < bufsize:
            extra = next(data, _END)
            if extra is not _END:
                buffer.append(extra)
        if buffer:
            k = rng.randint(0, len(buffer) - 1)
            item, buffer[k] = buffer[k], item
        if filling and len(buffer) < bufsize:
            buffer.append(item)
            continue
        filling = False
        yield item
    yield from buffer
