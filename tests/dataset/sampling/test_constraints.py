"""TimeConstraint/TokenConstraint arithmetic and diagnostics, checked against hand-computed values."""

from __future__ import annotations

import pickle

import pytest

from nuptse import CutSet
from nuptse.dataset.sampling.base import (
    SamplingDiagnostics,
    TimeConstraint,
    TokenConstraint,
    _pool_and_split,
)
from nuptse.testing.dummies import dummy_cut


def test_time_constraint_counts_padded_duration():
    c = TimeConstraint(max_duration=100)
    for d in (30.0, 30.0, 10.0):
        c.add(dummy_cut(0, duration=d))
    # 3 cuts padded to 30 s = 90 s (not exceeded); a 4th would make 120 s.
    assert not c.exceeded()
    assert c.close_to_exceeding()
    c.add(dummy_cut(1, duration=10.0))
    assert c.exceeded()


def test_quadratic_duration_penalizes_long_cuts():
    c = TimeConstraint(max_duration=61, quadratic_duration=30)
    c.add(dummy_cut(0, duration=30.0))  # 30 + 900/30 = 60
    assert c.longest_seen == pytest.approx(60.0)
    assert c.close_to_exceeding()  # 2 * 60 > 61


def test_max_cuts():
    c = TimeConstraint(max_cuts=2)
    c.add(dummy_cut(0))
    assert not c.close_to_exceeding()
    c.add(dummy_cut(1))
    assert c.close_to_exceeding() and not c.exceeded()


def test_invalid_limits_raise():
    with pytest.raises(ValueError, match="max_duration"):
        TimeConstraint(max_duration=0)
    with pytest.raises(ValueError, match="max_tokens"):
        TokenConstraint(max_tokens=-1)


def test_select_bucket_upper_bound_inclusive():
    c = TimeConstraint(max_duration=10)
    assert c.select_bucket([2.0, 4.0], example_len=2.0) == 0
    assert c.select_bucket([2.0, 4.0], example_len=2.5) == 1
    assert c.select_bucket([2.0, 4.0], example_len=9.0) == 2


def test_diagnostics_sum_and_state_roundtrip():
    a = SamplingDiagnostics()
    a.keep([dummy_cut(0), dummy_cut(1)])
    a.discard_single(dummy_cut(2))
    b = SamplingDiagnostics()
    b.keep([dummy_cut(3)])
    total = a + b
    assert (total.kept_cuts, total.discarded_cuts, total.kept_batches) == (3, 1, 2)
    restored = SamplingDiagnostics().load_state_dict(pickle.loads(pickle.dumps(a.state_dict())))
    assert restored.state_dict() == a.state_dict()
    assert "cuts discarded 1" in a.get_report()


def test_pool_and_split_pads_with_marked_duplicates():
    batches = [CutSet.from_cuts([dummy_cut(0)]), CutSet.from_cuts([dummy_cut(1)])]
    parts = _pool_and_split(batches, 3)
    ids = [c.id for p in parts for c in p]
    assert len(parts) == 3 and all(len(p) == 1 for p in parts)
    assert ids[:2] == ["dummy-mono-cut-0000", "dummy-mono-cut-0001"]
    assert ids[2] == "dummy-mono-cut-0000_dup0"
