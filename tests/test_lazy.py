"""nuptse.lazy: lhotse's lazy iterator names and behaviours."""

import pickle
import random

import pytest

from nuptse.lazy import (
    LazyIteratorChain,
    LazyJsonlIterator,
    LazyManifestIterator,
    LazyRepeater,
    LazyShuffler,
    LazyTxtIterator,
    attach_repeat_idx_to_id,
    dill_enabled,
    is_dill_enabled,
    set_dill_enabled,
)
from nuptse.serialization import save_to_jsonl
from nuptse.supervision import SupervisionSegment


def test_jsonl_iterator_counts_lines_while_iterating(tmp_path):
    path = tmp_path / "x.jsonl.gz"
    save_to_jsonl([{"id": str(i)} for i in range(7)], path)
    it = LazyJsonlIterator(path)
    assert it._len is None
    assert [d["id"] for d in it] == [str(i) for i in range(7)]
    assert it._len == 7 == len(it)


def test_txt_iterator(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(" a \nb\n")
    assert list(LazyTxtIterator(path, as_text_example=False)) == ["a", "b"]
    assert [t.text for t in LazyTxtIterator(path)] == ["a", "b"]
    assert len(LazyTxtIterator(path)) == 2


def test_manifest_iterator_recognises_each_line(tmp_path):
    segs = [SupervisionSegment(f"s{i}", "r", 0.0, 1.0) for i in range(3)]
    path = tmp_path / "s.jsonl"
    save_to_jsonl([s.to_dict() for s in segs], path)
    it = LazyManifestIterator(path)
    assert list(it) == segs and len(it) == 3 and it.path == path


def test_repeat_ids_and_itemless_ids():
    seg = SupervisionSegment("s", "r", 0.0, 1.0)
    assert attach_repeat_idx_to_id(seg, 2).id == "s_repeat2"
    assert attach_repeat_idx_to_id({"no": "id"}, 1) == {"no": "id"}
    assert [s.id for s in LazyRepeater([seg], times=2)] == ["s_repeat0", "s_repeat1"]
    assert list(LazyRepeater([])) == []


def test_shuffler_with_rng_is_picklable_and_repeatable():
    shuffler = LazyShuffler(list(range(50)), buffer_size=8, rng=random.Random(1))
    first = list(shuffler)
    assert sorted(first) == list(range(50)) and first != list(range(50))
    assert list(pickle.loads(pickle.dumps(shuffler))) == first
    module_rng = LazyShuffler(list(range(5)), rng=random)
    assert sorted(pickle.loads(pickle.dumps(module_rng))) == list(range(5))


def test_chain_alias_and_dill_flag():
    assert list(LazyIteratorChain([1], [2, 3])) == [1, 2, 3]
    set_dill_enabled(False)
    with dill_enabled(True):
        assert is_dill_enabled()
    assert not is_dill_enabled() or __import__("os").environ.get("LHOTSE_DILL_ENABLED")


def test_lazy_set_exposes_path(tmp_path):
    from nuptse import SupervisionSet

    path = tmp_path / "s.jsonl.gz"
    SupervisionSet.from_segments([SupervisionSegment("a", "r", 0, 1)]).to_file(path)
    assert SupervisionSet.from_jsonl_lazy(path).data.path == path


@pytest.mark.parametrize("n", [0, 1, 5])
def test_combine_and_to_manifest(n):
    from nuptse import SupervisionSet, combine, to_manifest

    segs = [SupervisionSegment(f"s{i}", "r", 0.0, 1.0) for i in range(n)]
    built = to_manifest(segs)
    if n == 0:
        assert built is None
        return
    assert isinstance(built, SupervisionSet)
    halves = [SupervisionSet.from_segments(segs[:2]), SupervisionSet.from_segments(segs[2:])]
    assert list(combine(halves)) == list(combine(*halves)) == segs
