"""Helper iterables and report functions of the sampling package."""

from __future__ import annotations

import random

from nuptse.dataset.sampling import (
    DynamicCutSampler,
    find_pessimistic_batches,
    report_padding_ratio_estimate,
)
from nuptse.dataset.sampling.base import SamplingDiagnostics
from nuptse.dataset.sampling.dynamic import DurationBatcher, Filter
from nuptse.dataset.sampling.dynamic_bucketing import pick_at_random
from nuptse.dataset.sampling.utils import padding_ratio

from .conftest import make_cuts


def test_duration_batcher_and_filter():
    cuts = make_cuts(30)
    diag = SamplingDiagnostics()
    kept = Filter(cuts, lambda c: c.duration > 5.0, diagnostics=diag)
    batches = list(DurationBatcher(kept, max_duration=40.0))
    ids = [c.id for b in batches for c in b]
    assert ids == [c.id for c in cuts if c.duration > 5.0]
    assert diag.discarded_cuts == sum(1 for c in cuts if c.duration <= 5.0)
    for b in batches[:-1]:
        durs = [c.duration for c in b]
        # closed at the first cut after which one more cut as long as the longest would overflow
        assert (len(durs) + 1) * max(durs) > 40.0
        assert len(durs) == 1 or len(durs) * max(durs[:-1]) <= 40.0


def test_pick_at_random_records_indexes():
    used: list = []
    out = list(pick_at_random(["a", "b", "c", "d"], random.Random(0), used))
    assert sorted(out) == ["a", "b", "c", "d"]
    assert [["a", "b", "c", "d"][i] for i in used] == out


def test_pessimistic_batches_and_padding_report():
    cuts = make_cuts(60)
    batches, values = find_pessimistic_batches(DynamicCutSampler(cuts, max_duration=50.0))
    assert values["single_longest_cut"] == max(c.duration for c in cuts)
    assert values["max_num_cuts"] == max(len(b) for b in DynamicCutSampler(cuts, max_duration=50.0))
    report = report_padding_ratio_estimate(DynamicCutSampler(cuts, max_duration=50.0))
    assert "padding" in report
    # one batch of 2 s and 4 s cuts padded to 4 s: 2 s of 8 s is padding
    two = make_cuts(2)
    items = list(two)
    items[0].duration, items[1].duration = 2.0, 4.0
    assert padding_ratio([items]) == 0.25
