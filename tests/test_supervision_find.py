"""SupervisionSet.find: fixed cases, odd values, lhotse parity and a brute-force property."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nuptse.supervision import SupervisionSegment, SupervisionSet


def seg(sid="s", rid="r", start=0.0, duration=1.0, **kw) -> SupervisionSegment:
    return SupervisionSegment(sid, rid, start, duration, **kw)


def make_set(n=10) -> SupervisionSet:
    return SupervisionSet.from_segments(
        seg(f"s{i}", f"r{i % 3}", start=float(i), duration=1.5) for i in range(n)
    )


def brute_force_find(
    segments, recording_id, channel=None, start_after=0, end_before=None, tolerance=0.001
):
    def has(sc, c):
        have = set(sc) if isinstance(sc, list) else {sc}
        want = set(c) if isinstance(c, list) else {c}
        return want <= have

    return [
        s
        for s in segments
        if s.recording_id == recording_id
        and (channel is None or has(s.channel, channel))
        and s.start >= start_after - tolerance
        and (end_before is None or s.end <= end_before + tolerance)
    ]


def test_find_basic_cases():
    segs = [
        seg("a", "r", 0.0, 1.0),
        seg("b", "r", 1.0, 0.0),
        seg("c", "r", 1.0, 1.0, channel=[0, 1]),
        seg("d", "r", 2.0, 1.0, channel=1),
        seg("e", "r2", 0.0, 5.0),
    ]
    sups = SupervisionSet.from_segments(segs)
    ids = lambda it: [s.id for s in it]  # noqa: E731
    assert ids(sups.find("r")) == ["a", "b", "c", "d"]
    assert ids(sups.find("r", start_after=1.0, end_before=2.0, tolerance=0)) == ["b", "c"]
    assert ids(sups.find("r", channel=1)) == ["c", "d"]
    assert ids(sups.find("r", channel=[0, 1])) == ["c"]
    assert ids(sups.find("nothing")) == []
    # touching boundaries are inclusive; tolerance widens both sides
    assert ids(sups.find("r", start_after=1.0005, end_before=1.9995)) == ["b", "c"]
    assert ids(sups.find("r", start_after=1.0005, end_before=1.9995, tolerance=0)) == []
    shifted = list(sups.find("r", start_after=1.0, adjust_offset=True))
    assert [(s.id, s.start) for s in shifted] == [("b", 0.0), ("c", 0.0), ("d", 1.0)]
    assert sups["c"].start == 1.0  # originals untouched
    it = sups.find("r")
    assert next(it).id == "a"  # an iterator, like lhotse's generator


def test_find_keeps_set_order_when_starts_are_unsorted():
    segs = [seg("late", "r", 5.0, 1.0), seg("early", "r", 1.0, 1.0), seg("mid", "r", 3.0, 1.0)]
    sups = SupervisionSet.from_segments(segs)
    assert [s.id for s in sups.find("r", end_before=10)] == ["late", "early", "mid"]
    assert [s.id for s in sups.find("r", start_after=2.0)] == ["late", "mid"]


def test_find_negative_and_nan_and_negative_duration():
    segs = [
        seg("neg", "r", -0.5, 1.0),
        seg("backwards", "r", 3.0, -2.0),
        seg("nan", "r", math.nan, 1.0),
        seg("ok", "r", 0.0, 1.0),
    ]
    sups = SupervisionSet.from_segments(segs)
    assert [s.id for s in sups.find("r")] == ["backwards", "ok"]
    assert [s.id for s in sups.find("r", start_after=-1.0, end_before=1.0)] == [
        "neg",
        "backwards",
        "ok",
    ]


def test_find_odd_values_match_a_scan():
    segs = [
        seg("nan_dur", "r", 1.0, math.nan),
        seg("inf_dur", "r", 2.0, math.inf),
        seg("long", "r", 0.0, 100.0),
        seg("short", "r", 3.0, 0.5),
        seg("huge", "r", 1e9, 1.0),
    ]
    sups = SupervisionSet.from_segments(segs)
    for kw in [
        {},
        {"end_before": 10.0},
        {"start_after": 0.5, "end_before": 4.0},
        {"start_after": math.nan},
        {"end_before": math.nan},
        {"start_after": 1e9, "end_before": 1e9 + 1.0},
        {"start_after": -math.inf, "end_before": math.inf},
    ]:
        assert list(sups.find("r", **kw)) == brute_force_find(segs, "r", **kw), kw


def test_find_with_a_missing_duration_behaves_like_a_scan():
    sups = SupervisionSet.from_segments([seg("a", "r", 0.0, None), seg("b", "r", 1.0, 1.0)])
    assert [s.id for s in sups.find("r")] == ["a", "b"]
    assert [s.id for s in sups.find("r", start_after=0.5, end_before=3.0)] == ["b"]
    with pytest.raises(TypeError):
        list(sups.find("r", end_before=3.0))


def test_find_index_follows_changes_and_groups():
    sups = make_set(6)
    assert [s.id for s in sups.find("r0")] == ["s0", "s3"]
    sups.data["s99"] = seg("s99", "r0", 50.0, 1.0)  # a direct edit of the dict
    assert [s.id for s in sups.find("r0")] == ["s0", "s3", "s99"]
    groups = sups._index_by_recording_id_and_cache()
    assert {k: [s.id for s in v] for k, v in groups.items()} == {
        "r0": ["s0", "s3", "s99"],
        "r1": ["s1", "s4"],
        "r2": ["s2", "s5"],
    }
    empty = SupervisionSet()
    assert list(empty.find("r")) == []


def test_find_matches_lhotse_on_random_data():
    lhotse = pytest.importorskip("lhotse")
    rng = random.Random(7)
    ours, theirs = [], []
    for i in range(600):
        rid = f"r{rng.randrange(6)}"
        start = round(
            rng.choice([rng.uniform(-1, 60), float(rng.randrange(60))]), rng.choice([2, 3, 7])
        )
        dur = round(rng.choice([0.0, rng.uniform(0, 10), 1.0]), 3)
        ch = rng.choice([0, 1, 2, [0, 1], [1, 2]])
        ours.append(seg(f"s{i}", rid, start, dur, channel=ch))
        theirs.append(lhotse.SupervisionSegment(f"s{i}", rid, start, dur, channel=ch))
    mine = SupervisionSet.from_segments(ours)
    ref = lhotse.SupervisionSet.from_segments(theirs)
    for _ in range(400):
        rid = f"r{rng.randrange(7)}"
        a = round(rng.uniform(-2, 60), rng.choice([0, 2, 3]))
        b = rng.choice([None, round(a + rng.uniform(0, 20), 2), a])
        ch = rng.choice([None, 0, 1, [0, 1]])
        tol = rng.choice([0.0, 0.001, 0.5])
        adjust = rng.random() < 0.3
        kw = dict(channel=ch, start_after=a, end_before=b, tolerance=tol, adjust_offset=adjust)
        got = [s.to_dict() for s in mine.find(rid, **kw)]
        want = [s.to_dict() for s in ref.find(rid, **kw)]
        assert got == want, kw


@st.composite
def segment_lists(draw):
    n = draw(st.integers(0, 40))
    times = st.one_of(
        st.integers(0, 20).map(float),
        st.floats(0, 20, allow_nan=False).map(lambda x: round(x, 3)),
    )
    segs = []
    for i in range(n):
        segs.append(
            seg(
                f"s{i}",
                draw(st.sampled_from(["a", "b", "c"])),
                draw(times),
                draw(st.one_of(st.just(0.0), times.map(lambda x: x / 2))),
                channel=draw(st.sampled_from([0, 1, [0, 1], [1, 2]])),
            )
        )
    return segs


@settings(max_examples=150, deadline=None)
@given(
    segs=segment_lists(),
    rid=st.sampled_from(["a", "b", "z"]),
    start_after=st.one_of(
        st.integers(-1, 21).map(float), st.floats(-1, 21).map(lambda x: round(x, 3))
    ),
    length=st.one_of(st.none(), st.floats(0, 15).map(lambda x: round(x, 3))),
    channel=st.sampled_from([None, 0, 1, 2, [0, 1]]),
    tolerance=st.sampled_from([0.0, 0.001, 0.01, 0.25]),
    grouped=st.booleans(),
)
def test_find_equals_brute_force(segs, rid, start_after, length, channel, tolerance, grouped):
    if grouped:  # each recording's segments contiguous (the index's fast grouping path)
        segs = sorted(segs, key=lambda s: s.recording_id)
    sups = SupervisionSet.from_segments(segs)
    end_before = None if length is None else start_after + length
    got = list(sups.find(rid, channel, start_after, end_before, tolerance=tolerance))
    want = brute_force_find(segs, rid, channel, start_after, end_before, tolerance)
    assert got == want
