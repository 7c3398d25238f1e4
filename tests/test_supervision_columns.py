"""The compact column store behind eager SupervisionSets loaded from files."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nuptse.manifest import DuplicateIdError
from nuptse.serialization import WrongManifestTypeError
from nuptse.supervision import AlignmentItem, SupervisionSegment, SupervisionSet
from nuptse.supervision.columns import SupervisionColumns


def _write_jsonl(path, dicts):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt") as f:
        for d in dicts:
            f.write(json.dumps(d) + "\n")


def _segments(n):
    return [
        SupervisionSegment(
            id=f"rec{i % 7}-sup{i:06d}",
            recording_id=f"rec{i % 7}",
            start=i * 0.25,
            duration=1.0 + (i % 5) * 0.125,
            channel=i % 2,
            text=f"words number {i} with ünïcödé" if i % 3 else None,
            language="English" if i % 4 else None,
            speaker=f"spk{i % 11}",
            gender="F" if i % 2 else None,
        )
        for i in range(n)
    ]


def test_file_load_uses_columns_and_equals_the_objects(tmp_path):
    segs = _segments(20_000)  # more than one packing chunk
    path = tmp_path / "s.jsonl.gz"
    SupervisionSet.from_segments(segs).to_file(path)
    loaded = SupervisionSet.from_file(path)
    assert isinstance(loaded.data, SupervisionColumns)
    assert not loaded.is_lazy
    assert len(loaded) == len(segs)
    assert list(loaded) == segs
    assert list(loaded.ids) == [s.id for s in segs]
    assert loaded[segs[12345].id] == segs[12345]
    assert segs[77].id in loaded and "missing" not in loaded
    with pytest.raises(KeyError, match="missing"):
        loaded["missing"]
    assert [s.to_dict() for s in loaded] == [s.to_dict() for s in segs]
    assert list(loaded.to_dicts()) == [s.to_dict() for s in segs]


def test_rows_that_do_not_fit_are_kept_as_objects(tmp_path):
    odd = [
        SupervisionSegment("a", "r", 0.0, 1.0, custom={"emotion": "happy"}),
        SupervisionSegment("b", "r", 1.0, 1.0, channel=[0, 1]),
        SupervisionSegment("c", "r", 2.0, 1.0, alignment={"word": [AlignmentItem("HI", 2.0, 1.0)]}),
        SupervisionSegment("d", "d", 0, 2, text=""),
    ]
    path = tmp_path / "s.jsonl"
    dicts = [s.to_dict() for s in odd]
    dicts.append({"id": "e", "recording_id": "r", "start": 3.0, "duration": 1.0, "channel": None})
    odd.append(SupervisionSegment("e", "r", 3.0, 1.0, channel=None))
    _write_jsonl(path, dicts)
    loaded = SupervisionSet.from_file(path)
    assert list(loaded) == odd
    assert loaded["a"].emotion == "happy"
    assert loaded["b"].channel == [0, 1]
    assert loaded["c"].alignment["word"][0].symbol == "HI"
    assert loaded["d"].recording_id == "d" and loaded["d"].text == ""
    assert loaded["e"].channel is None
    assert list(loaded.to_dicts()) == [s.to_dict() for s in odd]


def test_duplicate_id_names_the_later_line(tmp_path):
    dicts = [s.to_dict() for s in _segments(10_000)]
    dicts.insert(9_000, dict(dicts[42]))
    path = tmp_path / "dup.jsonl.gz"
    _write_jsonl(path, dicts)
    with pytest.raises(DuplicateIdError, match="line 9001"):
        SupervisionSet.from_file(path)


def _drop_start(d):
    del d["start"]


@pytest.mark.parametrize(
    "num, row, spoil, message",
    [
        (10_000, 9_500, _drop_start, r"line 9501"),  # deep in a packing chunk
        (100, 57, lambda d: d.update(colour="blue"), r"line 58.*colour"),
    ],
)
def test_bad_row_names_its_line(tmp_path, num, row, spoil, message):
    dicts = [s.to_dict() for s in _segments(num)]
    spoil(dicts[row])
    path = tmp_path / "bad.jsonl.gz"
    _write_jsonl(path, dicts)
    with pytest.raises(WrongManifestTypeError, match=message):
        SupervisionSet.from_file(path)


def test_segments_are_fresh_objects_and_derived_sets_change(tmp_path):
    path = tmp_path / "s.jsonl"
    SupervisionSet.from_segments(_segments(10)).to_file(path)
    loaded = SupervisionSet.from_file(path)
    sid = loaded[1].id
    assert loaded[sid] == loaded[sid]
    upper = loaded.transform_text(lambda t: t.upper())
    assert upper[sid].text == loaded[sid].text.upper()


def test_set_operations_on_columns(tmp_path):
    segs = _segments(300)
    path = tmp_path / "s.jsonl"
    SupervisionSet.from_segments(segs).to_file(path)
    loaded = SupervisionSet.from_file(path)
    assert list(loaded.filter(lambda s: s.channel == 1)) == [s for s in segs if s.channel == 1]
    assert list(loaded.subset(first=5)) == segs[:5]
    assert list(loaded.subset(last=5)) == segs[-5:]
    assert sorted(s.id for s in loaded.shuffle()) == sorted(s.id for s in segs)
    assert sum(len(p) for p in loaded.split(4)) == 300
    extra = SupervisionSet.from_segments([SupervisionSegment("new", "r", 0.0, 1.0)])
    assert len(loaded + extra) == 301
    doubled = loaded + loaded  # shared ids: a lazy chain, as lhotse's +
    assert doubled.is_lazy and len(list(doubled)) == 600
    found = list(loaded.find("rec3", start_after=0.0, end_before=30.0))
    assert found == [s for s in segs if s.recording_id == "rec3" and s.end <= 30.0]
    assert loaded == SupervisionSet.from_segments(segs)
    assert set(loaded.ids) & {segs[0].id, "x"} == {segs[0].id}


def test_selections_stay_columns(tmp_path):
    segs = _segments(500)
    segs[7] = SupervisionSegment("odd", "r", 1.0, 2.0, custom={"k": 1})
    path = tmp_path / "s.jsonl.gz"
    SupervisionSet.from_segments(segs).to_file(path)
    loaded = SupervisionSet.from_file(path)
    picked = loaded.filter(lambda s: s.channel == 1 or s.id == "odd")
    assert isinstance(picked.data, SupervisionColumns)
    assert list(picked) == [s for s in segs if s.channel == 1 or s.id == "odd"]
    assert picked["odd"].custom == {"k": 1} and segs[9].id in picked
    assert "missing" not in picked and segs[2].id not in picked
    assert list(loaded.subset(last=3)) == segs[-3:]
    shuffled = loaded.shuffle(rng=random.Random(3))
    assert isinstance(shuffled.data, SupervisionColumns)
    assert sorted(s.id for s in shuffled) == sorted(s.id for s in segs)
    assert shuffled[segs[123].id] == segs[123]
    parts = loaded.split(3, shuffle=True)
    assert all(isinstance(p.data, SupervisionColumns) for p in parts)
    assert sorted(s.id for p in parts for s in p) == sorted(s.id for s in segs)
    back = pickle.loads(pickle.dumps(picked))
    assert list(back) == list(picked) and back["odd"] == picked["odd"]
    assert len(loaded.subset(first=0)) == 0


def test_lazy_to_eager_packs_columns(tmp_path):
    segs = _segments(50)
    path = tmp_path / "s.jsonl.gz"
    SupervisionSet.from_segments(segs).to_file(path)
    eager = SupervisionSet.from_jsonl_lazy(path).to_eager()
    assert isinstance(eager.data, SupervisionColumns)
    assert list(eager) == segs


def test_pickle_into_a_process_with_another_hash_seed(tmp_path):
    # str hashes differ between processes; the lookup must be rebuilt there
    segs = _segments(1000)
    store = SupervisionColumns.from_segments(segs)
    blob = tmp_path / "store.pkl"
    blob.write_bytes(pickle.dumps(SupervisionSet(store)))
    code = (
        "import pickle, sys; s = pickle.load(open(sys.argv[1], 'rb'));"
        "print(s[sys.argv[2]].text, sys.argv[2] in s, 'nope' in s)"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run(
        [sys.executable, "-c", code, str(blob), segs[500].id],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.split()
    assert out[-2:] == ["True", "False"]
    assert " ".join(out[:-2]) == segs[500].text


_text = st.one_of(st.none(), st.text(max_size=20))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=1e5, allow_nan=False),
            st.floats(min_value=0, max_value=100, allow_nan=False),
            st.integers(min_value=0, max_value=8),
            _text,
            _text,
        ),
        max_size=40,
    )
)
def test_columns_round_trip_any_values(rows):
    segs = [
        SupervisionSegment(f"s{i}", f"r{i % 3}", start, dur, ch, text, speaker=spk)
        for i, (start, dur, ch, text, spk) in enumerate(rows)
    ]
    store = SupervisionColumns.from_segments(segs)
    assert list(store.values()) == segs
    assert all(store[s.id] == s for s in segs)
    assert pickle.loads(pickle.dumps(store)) == store


def test_lazy_reading_decodes_blocks_and_still_names_bad_lines(tmp_path):
    from nuptse.serialization import ManifestParseError

    segs = _segments(30_000)  # over 4 MiB of JSON: several blocks
    segs[10] = SupervisionSegment("odd", "r", 1.0, 2.0, custom={"k": 1}, channel=[0, 1])
    path = tmp_path / "s.jsonl.gz"
    SupervisionSet.from_segments(segs).to_file(path)
    assert list(SupervisionSet.from_jsonl_lazy(path)) == segs
    lines = gzip.open(path, "rt").read().splitlines()
    lines[25_000] = lines[25_000][:-5] + "oops"
    bad = tmp_path / "bad.jsonl.gz"
    with gzip.open(bad, "wt") as f:
        f.write("\n".join(lines) + "\n")
    got = []
    with pytest.raises(ManifestParseError, match="line 25001"):
        for s in SupervisionSet.from_jsonl_lazy(bad):
            got.append(s)
    assert got == segs[:25_000]
