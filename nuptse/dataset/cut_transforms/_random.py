"""The random generator a cut transform draws from."""

from __future__ import annotations

import random
from typing import Optional, Union


def make_rng(seed: Union[int, str, None, random.Random], rng: Optional[random.Random] = None) -> random.Random:
    """``rng`` if given, else a generator seeded from ``seed`` (see ``resolve_seed``)."""
    if rng is not None:
        if seed is not None:
            raise ValueError("give either rng or seed, not both")
        return rng
    if isinstance(seed, random.Random):
        return seed
    from nuptse.dataset.dataloading import resolve_seed

    return random.Random(resolve_seed(seed))
