import multiprocessing as mp
import pickle
import random
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from manifest_items import Thing, ThingSet, make_things

from nuptse.manifest import (
    DuplicateIdError,
    SequentialJsonlWriter,
    load_manifest,
    load_manifest_lazy,
)
from nuptse.serialization import TruncatedManifestError, WrongManifestTypeError


@pytest.fixture
def things():
    return make_things(20)


@pytest.fixture
def lazy_things(tmp_path, things):
    path = tmp_path / "things.jsonl.gz"
    things.to_file(path)
    return ThingSet.from_jsonl_lazy(path)


def test_container_protocol(things):
    assert len(things) == 20
    assert "t00003" in things and "nope" not in things
    assert things["t00003"].value == 3.0
    assert list(things.ids)[:2] == ["t00000", "t00001"]
    assert [t.id for t in things][-1] == "t00019"
    assert things.data["t00000"].label == "label 0"
    with pytest.raises(KeyError, match="nope"):
        things["nope"]


def test_lazy_container_protocol(lazy_things, things):
    assert lazy_things.is_lazy and not things.is_lazy
    assert len(lazy_things) == 20
    assert "t00003" in lazy_things
    assert lazy_things["t00007"] == things["t00007"]
    assert lazy_things.to_eager() == things


@pytest.mark.parametrize("ext", ["json", "jsonl", "yaml", "json.gz", "jsonl.gz", "yaml.gz"])
def test_file_round_trips(tmp_path, things, ext):
    path = tmp_path / f"t.{ext}"
    things.to_file(path)
    assert ThingSet.from_file(path) == things
    assert load_manifest(path) == things
    fmt = ext.split(".")[0]
    getattr(things, f"to_{fmt}")(tmp_path / f"u.{ext}")
    assert getattr(ThingSet, f"from_{fmt}")(tmp_path / f"u.{ext}") == things


def test_load_manifest_lazy_detects_type(tmp_path, things):
    things.to_file(tmp_path / "t.jsonl")
    lazy = load_manifest_lazy(tmp_path / "t.jsonl")
    assert isinstance(lazy, ThingSet) and lazy.is_lazy and lazy.to_eager() == things


def test_fsspec_memory_url(things):
    things.to_file("memory://manifest-test/t.jsonl.gz")
    assert ThingSet.from_file("memory://manifest-test/t.jsonl.gz") == things
    assert ThingSet.from_jsonl_lazy("memory://manifest-test/t.jsonl.gz").to_eager() == things


def test_wrong_item_type_names_expected(tmp_path):
    path = tmp_path / "other.jsonl"
    path.write_text('{"id": "a", "something": 1}\n')
    with pytest.raises(WrongManifestTypeError, match="Thing"):
        ThingSet.from_file(path)
    with pytest.raises(WrongManifestTypeError, match="line 1"):
        ThingSet.from_jsonl_lazy(path)


def test_bad_item_names_line(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"id": "a", "value": 1, "label": ""}\n{"id": "b", "value": 1, "label": "", "x": 2}\n'
    )
    with pytest.raises(WrongManifestTypeError, match="line 2"):
        ThingSet.from_file(path)


def test_duplicate_ids_rejected():
    with pytest.raises(DuplicateIdError, match="t1"):
        ThingSet.from_items([Thing("t1", 1), Thing("t1", 2)])


def test_from_dicts_to_dicts(things):
    assert ThingSet.from_dicts(things.to_dicts()) == things


def test_add(things, lazy_things):
    a, b = things.subset(first=5), things.subset(last=5)
    assert len(a + b) == 10
    assert not (a + b).is_lazy
    assert (lazy_things + lazy_things).is_lazy
    # Shared ids: a lazy chain, as lhotse's ``+`` (no error, both copies kept).
    doubled = a + a
    assert doubled.is_lazy and [t.id for t in doubled] == 2 * [t.id for t in a]


def test_filter_map_subset_eager_and_lazy(things, lazy_things):
    for s in (things, lazy_things):
        assert [t.id for t in s.filter(lambda t: t.value > 17)] == ["t00018", "t00019"]
        assert s.map(lambda t: t.with_id(t.id + "x"))["t00001x"].value == 1.0
        assert [t.id for t in s.subset(first=2)] == ["t00000", "t00001"]
        assert [t.id for t in s.subset(last=2)] == ["t00018", "t00019"]
        assert s.filter(lambda t: True).is_lazy == s.is_lazy
    with pytest.raises(ValueError):
        things.subset(first=1, last=1)


def test_split_lazy(tmp_path, things):
    parts = things.split_lazy(tmp_path / "parts", chunk_size=6, prefix="th")
    assert [len(p) for p in parts] == [6, 6, 6, 2]
    assert (tmp_path / "parts" / "th.00000003.jsonl.gz").exists()
    assert sum((p.to_eager() for p in parts[1:]), parts[0].to_eager()) == things


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 60), k=st.integers(1, 10), drop_last=st.booleans(), shuffle=st.booleans())
def test_split_keeps_every_item_once(n, k, drop_last, shuffle):
    s = make_things(n)
    if k > n:
        with pytest.raises(ValueError):
            s.split(k)
        return
    parts = s.split(k, shuffle=shuffle, drop_last=drop_last)
    ids = [t.id for p in parts for t in p]
    assert len(set(ids)) == len(ids)
    if drop_last:
        assert {len(p) for p in parts} == {n // k}
    else:
        assert sorted(ids) == sorted(s.ids)
        assert max(map(len, parts)) - min(map(len, parts)) <= 1


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 80), buf=st.integers(1, 100), seed=st.integers(0, 2**32))
def test_shuffle_is_a_permutation(n, buf, seed):
    s = make_things(n)
    eager = s.shuffle(random.Random(seed))
    assert sorted(eager.ids) == sorted(s.ids)
    lazy = ThingSet(s.repeat(1, preserve_id=True).data).shuffle(
        random.Random(seed), buffer_size=buf
    )
    first, second = [t.id for t in lazy], [t.id for t in lazy]
    assert sorted(first) == sorted(s.ids)
    assert first == second  # deterministic for a given seed


@settings(max_examples=20, deadline=None)
@given(n=st.integers(0, 30), times=st.integers(0, 4), preserve=st.booleans())
def test_repeat_counts(n, times, preserve):
    s = make_things(n)
    out = list(s.repeat(times, preserve_id=preserve))
    counts = Counter(t.id for t in out)
    assert len(out) == n * times
    if preserve:
        assert all(c == times for c in counts.values())
    else:
        assert all(c == 1 for c in counts.values())


@settings(max_examples=30, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 30), min_size=1, max_size=4),
    seed=st.integers(0, 1000),
    use_weights=st.booleans(),
)
def test_mux_yields_each_item_once(sizes, seed, use_weights):
    sets = [
        ThingSet.from_items(Thing(f"s{j}-{i}", i) for i in range(n)) for j, n in enumerate(sizes)
    ]
    weights = [j + 1 for j in range(len(sizes))] if use_weights else None
    muxed = ThingSet.mux(*sets, weights=weights, seed=seed)
    ids = [t.id for t in muxed]
    assert sorted(ids) == sorted(i for s in sets for i in s.ids)
    assert ids == [t.id for t in muxed]
    assert len(muxed) == sum(sizes)


def test_mux_stop_early_and_trng():
    a, b = make_things(5), ThingSet.from_items(Thing(f"b{i}", i) for i in range(100))
    assert len(list(ThingSet.mux(a, b, stop_early=True, seed=0))) < 105
    x = [t.id for t in ThingSet.mux(a, b, seed="trng")]
    assert sorted(x) == sorted(list(a.ids) + list(b.ids))


def test_infinite_mux_never_ends_and_mixes():
    a = ThingSet.from_items(Thing(f"a{i}", i) for i in range(3))
    b = ThingSet.from_items(Thing(f"b{i}", i) for i in range(3))
    it = iter(ThingSet.infinite_mux(a, b, seed=1, max_open_streams=1))
    got = [next(it).id for _ in range(200)]
    assert {g[0] for g in got} == {"a", "b"}


def _ids_in_worker(manifest):
    return [t.id for t in manifest]


def test_lazy_graph_pickles_into_processes(lazy_things):
    graph = lazy_things.filter(lambda t: t.value % 2 == 0).map(lambda t: t.with_id(t.id + "!"))
    graph = graph.shuffle(random.Random(3), buffer_size=4)
    expected = [t.id for t in graph]
    restored = pickle.loads(pickle.dumps(graph))
    assert [t.id for t in restored] == expected
    with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as pool:
        results = list(pool.map(_ids_in_worker, [graph, graph]))
    assert results == [expected, expected]


def test_lazy_graph_in_dataloader_workers(lazy_things):
    torch = pytest.importorskip("torch")
    from manifest_items import IdDataset as DS

    dl = torch.utils.data.DataLoader(
        DS(lazy_things.filter(lambda t: t.value < 3)),
        batch_size=None,
        num_workers=2,
        multiprocessing_context="spawn",
    )
    ids = list(dl)
    assert Counter(ids) == Counter({"t00000": 2, "t00001": 2, "t00002": 2})


# --- writers -----------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["jsonl", "jsonl.gz"])
def test_writer_writes_and_opens(tmp_path, things, ext):
    path = tmp_path / f"w.{ext}"
    with ThingSet.open_writer(path) as w:
        for t in things:
            w.write(t)
        assert w.contains("t00004")
        assert not path.exists()  # nothing that looks complete until closed
    assert path.exists()
    assert ThingSet.from_file(path) == things
    assert w.open_manifest().to_eager() == things


def test_in_memory_writer(things):
    with ThingSet.open_writer(None) as w:
        for t in things:
            w.write(t)
    assert w.contains("t00000") and w.open_manifest() == things


@pytest.mark.parametrize("ext", ["jsonl", "jsonl.gz"])
def test_resume_after_crash_mid_line(tmp_path, things, ext, caplog):
    path = tmp_path / f"w.{ext}"
    w = SequentialJsonlWriter(path, manifest_cls=ThingSet)
    for t in things.subset(first=12):
        w.write(t, flush=True)
    w.file.flush()
    partial = tmp_path / f"w.{ext}.partial"
    raw = partial.read_bytes()
    # Simulate a crash: the process dies and the file is cut in the middle of a line.
    del w
    partial.write_bytes(raw[: len(raw) - 7] if ext == "jsonl" else raw[:-3])
    with ThingSet.open_writer(path, overwrite=False) as w2:
        done = sum(w2.contains(t.id) for t in things)
        assert 9 <= done <= 12
        for t in things:
            w2.write(t)
    assert ThingSet.from_file(path) == things


def test_resume_from_complete_file_appends(tmp_path, things):
    path = tmp_path / "w.jsonl.gz"
    things.subset(first=5).to_file(path)
    with ThingSet.open_writer(path, overwrite=False) as w:
        assert w.contains("t00004") and not w.contains("t00005")
        for t in things:
            w.write(t)
    assert ThingSet.from_file(path) == things


def test_exception_in_writer_keeps_partial_for_resume(tmp_path, things):
    path = tmp_path / "w.jsonl"
    with pytest.raises(RuntimeError):
        with ThingSet.open_writer(path) as w:
            w.write(things["t00000"])
            raise RuntimeError("job died")
    assert not path.exists() and (tmp_path / "w.jsonl.partial").exists()
    with ThingSet.open_writer(path, overwrite=False) as w:
        assert w.contains("t00000")


def test_truncated_manifest_is_not_loaded_as_complete(tmp_path, things):
    path = tmp_path / "t.jsonl.gz"
    things.to_file(path)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(TruncatedManifestError, match=str(path)):
        ThingSet.from_file(path)


# --- lhotse-compatible access and formats ------------------------------------------------


def test_positional_and_slice_access(things, lazy_things):
    ids = [t.id for t in things]
    assert things[0].id == ids[0] and things[-1].id == ids[-1]
    assert [t.id for t in things[2:5]] == ids[2:5]
    assert [t.id for t in things[::7]] == ids[::7]
    with pytest.raises(IndexError, match="position 20"):
        things[20]
    # a lazy set reads up to a non-negative position; slices and negatives refuse clearly
    assert lazy_things[3].id == ids[3]
    from nuptse.manifest import LazyManifestPositionError

    with pytest.raises(LazyManifestPositionError, match="subset"):
        lazy_things[2:5]
    with pytest.raises(LazyManifestPositionError, match="to_eager"):
        lazy_things[-1]
    assert lazy_things["t00004"].value == 4.0


@pytest.mark.parametrize("fmt", ["json", "jsonl", "yaml"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_format_methods_accept_paths_without_extension(tmp_path, things, fmt, suffix):
    path = tmp_path / f"manifest{suffix}"
    getattr(things, f"to_{fmt}")(path)
    raw = path.read_bytes()
    assert raw[:2] == b"\x1f\x8b" if suffix else raw[:2] != b"\x1f\x8b"
    assert getattr(ThingSet, f"from_{fmt}")(path) == things


def test_format_method_refuses_another_formats_extension(tmp_path, things):
    from nuptse.serialization import UnsupportedFormatError

    with pytest.raises(UnsupportedFormatError, match="names 'yaml'"):
        things.to_json(tmp_path / "x.yaml")


def test_subset_arguments_error_is_also_assertion_error(things):
    from nuptse.manifest import ManifestArgumentError

    with pytest.raises(ManifestArgumentError):
        things.subset()
    with pytest.raises(AssertionError):
        things.subset(first=1, last=1)


def test_shuffle_with_rng_matches_lhotse_and_repeats_per_pass(things, lazy_things):
    lhotse_lazy = pytest.importorskip("lhotse.lazy")
    expected = list(lhotse_lazy.LazyShuffler(list(things), buffer_size=6, rng=random.Random(3)))
    shuffled = lazy_things.shuffle(rng=random.Random(3), buffer_size=6)
    first = [t.id for t in shuffled]
    assert first == [t.id for t in expected]
    assert [t.id for t in shuffled] == first


def test_sequential_writer_takes_plain_dicts(tmp_path):
    from nuptse.serialization import load_jsonl

    path = tmp_path / "dicts.jsonl"
    with SequentialJsonlWriter(path) as w:
        w.write({"id": "a", "x": 1})
        w.write({"id": "a", "x": 2})  # same id: skipped
        w.write({"no_id": True})
    assert load_jsonl(path) == [{"id": "a", "x": 1}, {"no_id": True}]


def test_split_lazy_names_chunks_like_lhotse(tmp_path, things):
    parts = things.split_lazy(tmp_path / "out", chunk_size=8)
    assert [len(p) for p in parts] == [8, 8, 4]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"split.{i:08d}.jsonl.gz" for i in range(3)
    ]
    named = things.split_lazy(tmp_path / "o2", chunk_size=10, prefix="th", num_digits=2, start_idx=5)
    assert sorted(p.name for p in (tmp_path / "o2").iterdir()) == ["th.05.jsonl.gz", "th.06.jsonl.gz"]
    assert [t.id for p in named for t in p] == [t.id for t in things]


def test_deserialize_item_and_resolve_class():
    from nuptse import SupervisionSegment, SupervisionSet
    from nuptse.manifest import deserialize_item, resolve_manifest_set_class

    seg = SupervisionSegment("s", "r", 0.5, 1.0, text="hi")
    assert deserialize_item(seg.to_dict()) == seg
    assert resolve_manifest_set_class(seg) is SupervisionSet
    with pytest.raises(WrongManifestTypeError, match="keys: foo"):
        deserialize_item({"foo": 1})
