"""A pytest fixture that seeds every random generator for one test.

Use it by importing the fixture into a test module (or a ``conftest.py``):

>>> from nuptse.testing.random import deterministic_rng
>>> callable(deterministic_rng)
True

A test that takes ``deterministic_rng`` as an argument runs with ``random``,
numpy and torch seeded with 0 (or with N under ``@pytest.mark.seed(N)``) and
gets the seed as the fixture's value; their previous states are restored
afterwards.
"""

from __future__ import annotations

import random

import pytest

__all__ = ["deterministic_rng"]


@pytest.fixture
def deterministic_rng(request):
    marker = request.node.get_closest_marker("seed")
    seed = 0 if marker is None else marker.args[0]

    import numpy as np
    import torch

    saved = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    try:
        yield seed
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])
