"""Mux weights changed in place during training change what the sampler draws next."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nuptse.cut import CutSet
from nuptse.dataset import DynamicCutSampler


def _source(cuts, tag: int) -> CutSet:
    return CutSet.from_cuts(c.with_id(f"{tag}-{c.id}") for c in cuts).repeat()


@pytest.mark.parametrize("make", [list, np.array, torch.tensor])
def test_mux_weights_are_read_at_every_draw(cuts, make):
    weights = make([1.0, 0.0, 0.0])
    muxed = CutSet.mux(_source(cuts, 0), _source(cuts, 1), _source(cuts, 2), weights=weights)
    batches = iter(DynamicCutSampler(muxed, max_cuts=2))
    assert {c.id[0] for c in next(batches)} == {"0"}
    weights[0], weights[1] = 0.0, 1.0
    assert {c.id[0] for c in next(batches)} == {"1"}
    weights[1], weights[2] = 0.0, 1.0
    assert {c.id[0] for c in next(batches)} == {"2"}


def test_mux_with_fixed_weights_ends_when_positive_sources_end(cuts):
    muxed = CutSet.mux(cuts, CutSet.from_cuts(c.with_id("x" + c.id) for c in cuts), weights=[1.0, 0.0])
    assert [c.id for c in muxed] == [c.id for c in cuts]
