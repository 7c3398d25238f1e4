"""Cursors give the same order as iterating the source, and resume from any position."""

from __future__ import annotations

import pickle

import pytest

from nuptse import CutSet
from nuptse.dataset.sampling.cursor import (
    NotResumableError,
    Stub,
    pack_keys,
    resolve_stubs,
    unpack_keys,
)
from nuptse.dataset.sampling.sources import open_cursor

from .conftest import as_source, make_cuts

KINDS = ["eager", "jsonl", "gz", "mux", "shar"]


def _ids(entries):
    return [x.id for _, x in entries]


@pytest.mark.parametrize("kind", KINDS)
def test_cursor_order_matches_iteration(kind, tmp_path):
    source = as_source(make_cuts(30), kind, tmp_path)
    assert _ids(open_cursor(source)) == [c.id for c in source]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("stop", [0, 1, 13, 29, 30])
def test_cursor_resumes_after_pickled_position(kind, stop, tmp_path):
    source = as_source(make_cuts(30), kind, tmp_path)
    first = open_cursor(source)
    head = [first.next() for _ in range(stop)]
    pos = pickle.loads(pickle.dumps(first.tell()))
    rest = list(first)
    fresh = open_cursor(source)
    fresh.seek(pos)
    assert _ids(fresh) == _ids(rest)
    # items read before can be fetched again by key
    keys = [k for k, _ in head]
    assert [x.id for x in open_cursor(source).fetch_many(keys)] == _ids(head)


def test_lazy_graph_nodes_resume(tmp_path):
    base = as_source(make_cuts(40), "jsonl", tmp_path)
    graph = (
        base.filter(lambda c: c.duration > 3)
        .map(lambda c: c.with_id(c.id + "-m"))
        .shuffle(buffer_size=7)
        .repeat(2)
        .subset(first=50)
    )
    expected = [c.id for c in graph]
    for stop in (0, 5, 31, 49):
        cur = open_cursor(graph)
        head = [cur.next()[1].id for _ in range(stop)]
        fresh = open_cursor(graph)
        fresh.seek(pickle.loads(pickle.dumps(cur.tell())))
        assert head + _ids(fresh) == expected


def test_light_cursor_yields_stubs_and_resolves_them(tmp_path):
    source = as_source(make_cuts(12), "jsonl", tmp_path)
    entries = list(open_cursor(source, light=True))
    assert all(type(x) is Stub for _, x in entries)
    assert [x.duration for _, x in entries] == [c.duration for c in source]
    full = resolve_stubs(open_cursor(source, light=True), entries)
    assert [c.id for c in full] == [c.id for c in source]


def test_pack_keys_roundtrip_and_size():
    offsets = list(range(0, 700 * 20000, 700))
    packed = pack_keys(offsets)
    assert unpack_keys(packed) == offsets
    assert len(pickle.dumps(packed)) < 2000  # regular gaps compress well
    mixed = [(0, 5), (1, 9), (0, 12)]
    assert unpack_keys(pack_keys(mixed)) == mixed
    nested = [((0, 5), 3), ((1, 2), 4)]
    assert unpack_keys(pack_keys(nested)) == nested


def test_one_shot_generator_cannot_seek_back():
    gen = (c for c in make_cuts(5))
    cur = open_cursor(gen)
    cur.next()
    with pytest.raises(NotResumableError):
        cur.seek(0)


def test_eager_cutset_cursor_is_by_index():
    cuts = make_cuts(5)
    cur = open_cursor(cuts)
    assert [k for k, _ in cur] == [0, 1, 2, 3, 4]
    assert isinstance(cuts, CutSet)


def test_jsonl_cursor_uses_block_decoder_of_item_type(tmp_path):
    """Supervisions have a typed block decoder; cursor items equal iteration's, fetched too."""
    from nuptse import SupervisionSegment, SupervisionSet

    sups = SupervisionSet.from_segments(
        [
            SupervisionSegment(id=f"s{i}", recording_id="r", start=i, duration=1.5, text=f"T {i}")
            for i in range(20)
        ]
    )
    path = tmp_path / "sups.jsonl"
    sups.to_file(path)
    lazy = SupervisionSet.from_jsonl_lazy(path)
    entries = list(open_cursor(lazy))
    assert [x for _, x in entries] == list(lazy)
    keys = [k for k, _ in entries[5:9]]
    assert open_cursor(lazy).fetch_many(keys) == [x for _, x in entries[5:9]]


def test_light_cursor_decodes_cuts_without_top_level_duration(tmp_path):
    """Mixed cuts have no top-level duration in JSON: the light reader decodes them fully."""
    cuts = make_cuts(6)
    items = list(cuts)
    mixed = [items[0].pad(duration=30.0), items[1].append(items[2])] + items[3:]
    path = tmp_path / "mixed.jsonl"
    CutSet.from_cuts(mixed).to_file(path)
    lazy = CutSet.from_jsonl_lazy(path)
    entries = list(open_cursor(lazy, light=True))
    kinds = [type(x).__name__ for _, x in entries]
    assert kinds[:2] == ["MixedCut", "MixedCut"] and set(kinds[2:]) == {"Stub"}
    assert [x.duration for _, x in entries] == pytest.approx([c.duration for c in lazy])
    assert [c.id for c in resolve_stubs(open_cursor(lazy, light=True), entries)] == [
        c.id for c in lazy
    ]
