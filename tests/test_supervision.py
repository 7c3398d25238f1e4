"""AlignmentItem, SupervisionSegment, SupervisionSet and find()."""

from __future__ import annotations

import copy
import dataclasses
import gzip
import json
import math
import pickle
import random
import shutil
from itertools import islice

import pytest

from nuptse.manifest import DuplicateIdError, load_manifest, load_manifest_lazy
from nuptse.supervision import (
    AlignmentItem,
    InvalidSupervisionError,
    SupervisionSegment,
    SupervisionSet,
    validate_supervision,
    validate_supervision_set,
)
from nuptse.supervision.validation import supervision_problems, validate

# --- AlignmentItem ------------------------------------------------------------------------


def test_alignment_item_fields_and_end():
    item = AlignmentItem("HI", 0.1, 0.2)
    assert item.symbol == "HI" and item.start == 0.1 and item.duration == 0.2
    assert item.score is None
    assert item.end == 0.3  # rounded, not 0.30000000000000004
    assert item.count(0.1) == 1 and item.index(0.2) == 2
    assert tuple(AlignmentItem("A", 1.0, 2.0, 0.5)) == ("A", 1.0, 2.0, 0.5)


def test_alignment_item_serialization_forms():
    item = AlignmentItem("A", 1.0, 2.0, 0.5)
    assert item.serialize() == ["A", 1.0, 2.0, 0.5]
    assert AlignmentItem.deserialize(["A", 1.0, 2.0, 0.5]) == item
    assert AlignmentItem.deserialize(["A", 1.0, 2.0]) == AlignmentItem("A", 1.0, 2.0)
    # the dict form written before lhotse 1.8
    assert AlignmentItem.deserialize({"symbol": "A", "start": 1.0, "duration": 2.0}) == (
        AlignmentItem("A", 1.0, 2.0)
    )
    assert AlignmentItem.deserialize(
        {"symbol": "A", "start": 1.0, "duration": 2.0, "score": 0.5}
    ) == (item)


def test_alignment_item_with_offset_and_transform():
    item = AlignmentItem("hi", 0.1, 0.2, 0.9)
    assert item.with_offset(0.3) == AlignmentItem("hi", 0.4, 0.2, 0.9)
    assert item.with_offset(-0.1).start == 0.0
    assert item.transform(str.upper) == AlignmentItem("HI", 0.1, 0.2, 0.9)


def test_alignment_item_perturb_speed_goes_through_samples():
    # 0.1 s = 1600 samples -> 1455 (half up of 1454.54..), 0.5 s = 8000 -> 7273
    item = AlignmentItem("A", 0.1, 0.5, 0.7).perturb_speed(1.1, 16000)
    assert item == AlignmentItem("A", 1455 / 16000, 7273 / 16000, 0.7)


def test_alignment_item_trim():
    item = AlignmentItem("A", 0.1, 0.5, 0.7)
    assert item.trim(end=1.0) == AlignmentItem("A", 0.1, 0.5, 0.7)
    assert item.trim(end=0.4, start=0.2) == AlignmentItem("A", 0.2, 0.2, 0.7)
    # entirely outside: zero length at the bound, never negative
    assert item.trim(end=0.05) == AlignmentItem("A", 0.05, 0.0, 0.7)
    assert item.trim(end=2.0, start=1.0) == AlignmentItem("A", 1.0, 0.0, 0.7)
    with pytest.raises(ValueError, match="start must be >= 0"):
        item.trim(end=1.0, start=-1.0)


# --- SupervisionSegment -------------------------------------------------------------------


def seg(sid="s", rid="r", start=0.0, duration=1.0, **kw) -> SupervisionSegment:
    return SupervisionSegment(sid, rid, start, duration, **kw)


def full_segment() -> SupervisionSegment:
    return SupervisionSegment(
        id="utt1",
        recording_id="rec1",
        start=0.1,
        duration=1.2345,
        channel=[0, 1],
        text="hello world",
        language="English",
        speaker="spk1",
        gender="F",
        custom={"emotion": "happy", "snr": 12.5},
        alignment={
            "word": [AlignmentItem("hello", 0.1, 0.5), AlignmentItem("world", 0.6, 0.7345, 0.5)],
            "phone": [AlignmentItem("h", 0.1, 0.1)],
        },
    )


def test_segment_defaults_and_slots():
    s = seg()
    assert s.channel == 0
    assert (s.text, s.language, s.speaker, s.gender, s.custom, s.alignment) == (None,) * 6
    assert not hasattr(s, "__dict__")
    assert [f.name for f in dataclasses.fields(s)] == [
        "id",
        "recording_id",
        "start",
        "duration",
        "channel",
        "text",
        "language",
        "speaker",
        "gender",
        "custom",
        "alignment",
    ]


def test_segment_end_rounds():
    assert seg(start=0.1, duration=0.2).end == 0.3
    assert seg(start=1.0, duration=0.0).end == 1.0


def test_dataclasses_replace_pickle_copy():
    s = full_segment()
    r = dataclasses.replace(s, text="other")
    assert r.text == "other" and s.text == "hello world" and r.alignment == s.alignment
    assert pickle.loads(pickle.dumps(s)) == s
    assert copy.copy(s) == s
    deep = copy.deepcopy(s)
    assert deep == s and deep.custom is not s.custom
    assert s != r


def test_with_id_and_with_alignment_do_not_mutate():
    s = full_segment()
    before = copy.deepcopy(s)
    t = s.with_alignment("char", [AlignmentItem("h", 0.1, 0.05)])
    assert set(t.alignment) == {"word", "phone", "char"}
    assert s == before
    assert seg().with_alignment("word", []).alignment == {"word": []}
    assert s.with_id("new").id == "new" and s.id == "utt1"


def test_with_offset_keeps_alignment():
    s = full_segment()
    t = s.with_offset(1.0)
    assert t.start == 1.1 and t.duration == s.duration
    assert t.alignment == s.alignment
    assert seg(start=0.3).with_offset(-0.1).start == 0.2


def test_perturb_speed_and_tempo():
    s = full_segment()
    p = s.perturb_speed(1.1, 16000)
    assert (p.id, p.recording_id) == ("utt1_sp1.1", "rec1_sp1.1")
    assert p.start == 1455 / 16000  # 1600 samples / 1.1, half up
    assert p.duration == 17956 / 16000  # 19752 samples / 1.1 = 17956.36
    assert p.alignment["word"][1] == AlignmentItem("world", 8727 / 16000, 10684 / 16000, 0.5)
    assert p.text == s.text and p.custom == s.custom
    q = s.perturb_speed(1.1, 16000, affix_id=False)
    assert (q.id, q.recording_id) == ("utt1", "rec1")
    t = s.perturb_tempo(0.9, 16000)
    assert (t.id, t.recording_id) == ("utt1_tp0.9", "rec1_tp0.9")
    sp = s.perturb_speed(0.9, 16000)
    assert (t.start, t.duration, t.alignment) == (sp.start, sp.duration, sp.alignment)
    assert s.perturb_tempo(0.9, 16000, affix_id=False).id == "utt1"
    assert seg().perturb_speed(0.9, 8000).alignment is None


def test_perturb_volume_reverb_narrowband():
    s = full_segment()
    assert s.perturb_volume(0.5).id == "utt1_vp0.5"
    assert s.perturb_volume(2).recording_id == "rec1_vp2"
    assert s.perturb_volume(2, affix_id=False).id == "utt1"
    r = s.reverb_rir()
    assert (r.id, r.recording_id, r.channel) == ("utt1_rvb", "rec1_rvb", [0, 1])
    assert s.reverb_rir(affix_id=False, channel=3).channel == 3
    assert s.reverb_rir(affix_id=False).id == "utt1"
    assert s.narrowband("mulaw").id == "utt1_nb_mulaw"
    assert (s.start, s.duration) == (r.start, r.duration)


def test_trim():
    s = seg(start=-0.5, duration=3.0, alignment={"word": [AlignmentItem("a", -0.5, 1.0)]})
    t = s.trim(end=2.0)
    assert (t.start, t.duration) == (0, 2.0)
    assert t.alignment["word"] == [AlignmentItem("a", 0, 0.5)]
    inside = seg(start=0.5, duration=1.0).trim(end=10.0)
    assert (inside.start, inside.duration) == (0.5, 1.0)
    left = seg(start=0.5, duration=1.0).trim(end=10.0, start=1.0)
    assert (left.start, left.duration) == (1.0, 0.5)
    outside = seg(start=5.0, duration=1.0).trim(end=2.0)
    assert (outside.start, outside.duration) == (2.0, 0.0)
    with pytest.raises(ValueError):
        seg().trim(end=1.0, start=-0.1)


def test_map_transform_text_transform_alignment():
    s = full_segment()
    assert s.map(lambda x: x.with_id("z")).id == "z"
    assert s.transform_text(str.upper).text == "HELLO WORLD"
    no_text = seg()
    assert no_text.transform_text(str.upper) is no_text
    t = s.transform_alignment(str.upper)
    assert [i.symbol for i in t.alignment["word"]] == ["HELLO", "WORLD"]
    assert t.alignment["phone"] == s.alignment["phone"]
    t2 = s.transform_alignment(str.upper, type="phone")
    assert t2.alignment["phone"][0].symbol == "H" and t2.alignment["word"] == s.alignment["word"]
    assert seg().transform_alignment(str.upper).alignment is None


def test_to_dict_omits_unset_fields_and_round_trips():
    s = seg("rec00001-sup00000", "rec00001", 0.5, 5.0)
    assert s.to_dict() == {
        "id": "rec00001-sup00000",
        "recording_id": "rec00001",
        "start": 0.5,
        "duration": 5.0,
        "channel": 0,
    }
    full = full_segment()
    d = full.to_dict()
    assert list(d) == [
        "id",
        "recording_id",
        "start",
        "duration",
        "channel",
        "text",
        "language",
        "speaker",
        "gender",
        "custom",
        "alignment",
    ]
    assert d["alignment"]["word"] == [["hello", 0.1, 0.5, None], ["world", 0.6, 0.7345, 0.5]]
    assert SupervisionSegment.from_dict(json.loads(json.dumps(d))) == full
    # to_dict output is independent of the segment
    d["custom"]["emotion"] = "sad"
    assert full.custom["emotion"] == "happy"


def test_from_dict_interns_and_does_not_mutate():
    d1 = {
        "id": "a",
        "recording_id": "".join(["rec", "1"]),
        "start": 0,
        "duration": 1,
        "speaker": "".join(["sp", "k"]),
        "language": "".join(["Eng", "lish"]),
        "gender": "".join(["F", ""]),
        "alignment": {"word": [["x", 0, 1, None]]},
    }
    d2 = dict(d1, id="b", recording_id="".join(["re", "c1"]), speaker="".join(["s", "pk"]))
    snapshot = copy.deepcopy(d1)
    a, b = SupervisionSegment.from_dict(d1), SupervisionSegment.from_dict(d2)
    assert a.recording_id is b.recording_id
    assert a.speaker is b.speaker
    assert d1 == snapshot
    assert a.start == 0 and isinstance(a.alignment["word"][0], AlignmentItem)


def test_from_dict_rejects_unknown_and_missing_fields():
    with pytest.raises(TypeError, match="bogus"):
        SupervisionSegment.from_dict(
            {"id": "a", "recording_id": "r", "start": 0, "duration": 1, "bogus": 1}
        )
    with pytest.raises((KeyError, TypeError)):
        SupervisionSegment.from_dict({"id": "a", "start": 0, "duration": 1})


def test_custom_fields():
    s = full_segment()
    assert s.emotion == "happy" and s.snr == 12.5
    assert s.has_custom("emotion") and not s.has_custom("nope")
    assert not seg().has_custom("x")
    with pytest.raises(AttributeError, match="nope"):
        _ = s.nope
    with pytest.raises(AttributeError):
        _ = seg().nope
    t = s.with_custom("age", 30)
    assert t.age == 30 and not s.has_custom("age")
    assert seg().with_custom("k", 1).custom == {"k": 1}
    assert t.drop_custom("age") is t and not t.has_custom("age")
    assert t.drop_custom("age") is None
    with pytest.raises(ValueError, match="no custom field"):
        s.load_custom("missing")
    with pytest.raises(ValueError, match="no data to load"):
        s.load_custom("emotion")

    class FakeArray:
        def load(self, **kw):
            return "loaded"

    u = s.with_custom("feats", FakeArray())
    assert u.load_feats() == "loaded"


def test_custom_manifest_values_serialize_through_to_dict():
    class Inner:
        def to_dict(self):
            return {"kind": "inner"}

    s = seg(custom={"m": Inner(), "plain": [1, 2]})
    assert s.to_dict()["custom"] == {"m": {"kind": "inner"}, "plain": [1, 2]}


def test_custom_deserializer_registry():
    from nuptse.supervision import custom as custom_mod

    marker = object()

    def recognise(value):
        return marker if value.get("kind") == "special" else None

    custom_mod.register_custom_deserializer(recognise)
    try:
        s = SupervisionSegment.from_dict(
            {
                "id": "a",
                "recording_id": "r",
                "start": 0,
                "duration": 1,
                "custom": {"x": {"kind": "special"}, "y": {"kind": "other"}, "z": 3},
            }
        )
        assert s.custom["x"] is marker and s.custom["y"] == {"kind": "other"}
    finally:
        custom_mod._CUSTOM_DESERIALIZERS.remove(recognise)


# --- validation ---------------------------------------------------------------------------


def test_validate_supervision_lists_all_problems():
    validate_supervision(seg())
    validate(seg(duration=0.0))  # zero length is allowed
    with pytest.raises(InvalidSupervisionError) as e:
        validate_supervision(seg("bad", start=-1.0, duration=-2.0))
    assert isinstance(e.value, ValueError)
    assert "'bad'" in str(e.value)
    assert e.value.problems == {"bad": ["start is negative (-1.0)", "duration is negative (-2.0)"]}
    assert supervision_problems(seg(start=math.nan)) == ["start is not finite (nan)"]
    assert supervision_problems(seg(channel=-1))
    assert supervision_problems(seg(channel=[0, "a"]))
    assert supervision_problems(seg(alignment={"word": [AlignmentItem("a", 0.0, -1.0)]}))
    assert supervision_problems(seg(start="0"))


def test_validate_supervision_set_reports_each_bad_segment():
    good = SupervisionSet.from_segments([seg("a"), seg("b", start=2.0)])
    validate_supervision_set(good)
    bad = SupervisionSet.from_segments([seg("a"), seg("b", start=-1.0), seg("c", duration=-0.5)])
    with pytest.raises(InvalidSupervisionError) as e:
        validate_supervision_set(bad)
    assert set(e.value.problems) == {"b", "c"}


def test_trim_keeps_segments_valid():
    rng = random.Random(0)
    for _ in range(200):
        s = seg(start=rng.uniform(-5, 5), duration=rng.uniform(0, 5))
        end = rng.uniform(0, 6)
        t = s.trim(end=end, start=rng.uniform(0, end))
        validate_supervision(t)
        # durations are computed on a 48 kHz grid, as lhotse does
        assert t.end <= max(end, 0) + 1 / 48000


# --- SupervisionSet -----------------------------------------------------------------------


def make_set(n=10) -> SupervisionSet:
    return SupervisionSet.from_segments(
        seg(f"s{i}", f"r{i % 3}", start=float(i), duration=1.5, text=f"text {i}") for i in range(n)
    )


def test_set_construction_and_dict_access():
    sups = make_set()
    assert len(sups) == 10 and not sups.is_lazy
    assert list(sups.ids) == [f"s{i}" for i in range(10)]
    assert "s3" in sups and sups["s3"] in sups and "zz" not in sups
    assert sups["s3"].start == 3.0
    assert sups[0].id == "s0" and sups[-1].id == "s9"
    with pytest.raises(IndexError):
        sups[10]
    with pytest.raises(KeyError):
        sups["zz"]
    assert isinstance(sups.data, dict) and sups.segments is sups.data
    assert SupervisionSet.from_items(list(sups)) == sups
    assert SupervisionSet(list(sups)) == sups
    assert SupervisionSet() == SupervisionSet.from_segments([])
    assert SupervisionSet.from_dicts(sups.to_dicts()) == sups
    assert repr(sups) == "SupervisionSet(len=10)"
    with pytest.raises(DuplicateIdError):
        SupervisionSet.from_segments([seg("a"), seg("a")])


def test_set_selection_methods(tmp_path):
    sups = make_set()
    assert [s.id for s in sups.filter(lambda s: s.start >= 8)] == ["s8", "s9"]
    assert list(sups.subset(first=2).ids) == ["s0", "s1"]
    assert list(sups.subset(last=2).ids) == ["s8", "s9"]
    parts = sups.split(3)
    assert [len(p) for p in parts] == [4, 3, 3]
    assert sum(parts[1:], parts[0]) == sups
    assert sorted(sups.shuffle(random.Random(1)).ids) == sorted(sups.ids)
    mapped = sups.map(lambda s: s.with_offset(1.0))
    assert mapped["s0"].start == 1.0
    assert sups.transform_text(str.upper)["s1"].text == "TEXT 1"
    chunks = sups.split_lazy(tmp_path / "chunks", chunk_size=4)
    assert [len(c.to_eager()) for c in chunks] == [4, 4, 2]
    assert all(isinstance(c, SupervisionSet) and c.is_lazy for c in chunks)
    rep = list(sups.repeat(2))
    assert len(rep) == 20 and rep[10].id == "s0_repeat1"


def test_transform_alignment_on_set_eager_and_lazy(tmp_path):
    sups = SupervisionSet.from_segments(
        [seg("a", alignment={"word": [AlignmentItem("x", 0, 1)]}), seg("b")]
    )
    out = sups.transform_alignment(str.upper)
    assert out["a"].alignment["word"][0].symbol == "X"
    assert out["b"].alignment is None
    path = tmp_path / "s.jsonl.gz"
    sups.to_file(path)
    lazy = (
        SupervisionSet.from_jsonl_lazy(path)
        .transform_alignment(str.upper)
        .transform_text(lambda t: t)
    )
    assert lazy.is_lazy
    assert [s.alignment for s in lazy] == [s.alignment for s in out]


@pytest.mark.parametrize("ext", ["jsonl.gz", "jsonl", "json", "yaml"])
def test_file_round_trip(tmp_path, ext):
    sups = SupervisionSet.from_segments([full_segment(), seg("plain")])
    path = tmp_path / f"sups.{ext}"
    sups.to_file(path)
    assert SupervisionSet.from_file(path) == sups
    assert load_manifest(path) == sups


def test_lazy_open_and_writer(tmp_path):
    sups = make_set()
    path = tmp_path / "sups.jsonl.gz"
    with SupervisionSet.open_writer(path) as w:
        for s in sups:
            w.write(s)
    lazy = load_manifest_lazy(path)
    assert isinstance(lazy, SupervisionSet) and lazy.is_lazy
    assert lazy.to_eager() == sups
    assert [s.id for s in lazy.find("r1", start_after=2.0, end_before=9.0)] == ["s4", "s7"]


def test_accepts_dict():
    assert SupervisionSet.accepts_dict(seg().to_dict())
    assert not SupervisionSet.accepts_dict({"id": "r", "sources": [], "sampling_rate": 16000})
    assert not SupervisionSet.accepts_dict(
        {"id": "c", "type": "MonoCut", "start": 0, "duration": 1, "recording_id": "r"}
    )


# --- lhotse interchange -------------------------------------------------------------------


def read_jsonl_gz(path):
    with gzip.open(path, "rb") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.mark.parametrize(
    "name", ["lhotse_manifests/supervisions.jsonl.gz", "lhotse_written/supervisions.jsonl.gz"]
)
def test_lhotse_written_manifests_load_unchanged(fixtures_dir, name):
    path = fixtures_dir / name
    sups = SupervisionSet.from_file(path)
    assert isinstance(load_manifest(path), SupervisionSet)
    raw = read_jsonl_gz(path)
    assert len(sups) == len(raw)
    assert list(sups.to_dicts()) == raw


def test_lhotse_written_alignments_and_dialogue(fixtures_dir):
    sups = SupervisionSet.from_file(fixtures_dir / "lhotse_written/supervisions.jsonl.gz")
    first = sups["9001-500-0000"]
    assert first.alignment["word"][0] == AlignmentItem("", 0.0, 0.2, None)
    assert first.alignment["word"][1] == AlignmentItem("THE", 0.2, 0.12, None)
    turns = list(sups.find("dialogue"))
    assert len(turns) == 20 and {t.channel for t in turns} == {0, 1}


def test_ours_load_in_lhotse(tmp_path, fixtures_dir):
    lhotse = pytest.importorskip("lhotse")
    ours = SupervisionSet.from_file(fixtures_dir / "lhotse_written/supervisions.jsonl.gz")
    extra = SupervisionSet.from_segments([full_segment(), seg("plain", channel=[0, 2])])
    both = ours + extra
    path = tmp_path / "ours.jsonl.gz"
    both.to_file(path)
    theirs = lhotse.load_manifest(path)
    assert isinstance(theirs, lhotse.SupervisionSet)
    assert [s.to_dict() for s in theirs] == read_jsonl_gz(path) == list(both.to_dicts())
    assert theirs[-2].alignment["word"][1] == lhotse.supervision.AlignmentItem(
        "world", 0.6, 0.7345, 0.5
    )


def test_segment_methods_match_lhotse():
    lhotse = pytest.importorskip("lhotse")
    rng = random.Random(3)
    for i in range(200):
        start = round(rng.uniform(0, 30), rng.choice([2, 3, 6]))
        dur = round(rng.uniform(0.01, 10), rng.choice([2, 3, 6]))
        ali = {
            "word": [
                AlignmentItem("w", start, dur / 2, None),
                AlignmentItem("v", start + dur / 2, dur / 2, 0.3),
            ]
        }
        ours = seg(f"s{i}", "r", start, dur, text="t", alignment=ali)
        theirs = lhotse.SupervisionSegment.from_dict(ours.to_dict())
        factor = rng.choice([0.9, 1.1, 1.5])
        sr = rng.choice([8000, 16000, 22050])
        assert (
            ours.perturb_speed(factor, sr).to_dict() == theirs.perturb_speed(factor, sr).to_dict()
        )
        assert (
            ours.perturb_tempo(factor, sr).to_dict() == theirs.perturb_tempo(factor, sr).to_dict()
        )
        assert ours.perturb_volume(factor).to_dict() == theirs.perturb_volume(factor).to_dict()
        assert ours.reverb_rir().to_dict() == theirs.reverb_rir().to_dict()
        off = round(rng.uniform(-start, 5), 3)
        assert ours.with_offset(off).to_dict() == theirs.with_offset(off).to_dict()
        # trims that keep every item inside the window agree exactly (lhotse drops
        # scores in AlignmentItem.trim; we keep them, so compare without)
        end = round(start + dur + rng.uniform(0, 2), 3)
        a, b = ours.trim(end=end).to_dict(), theirs.trim(end=end).to_dict()
        for d in (a, b):
            d["alignment"]["word"] = [x[:3] for x in d["alignment"]["word"]]
        assert a == b
        ours_item = ali["word"][0]
        their_item = lhotse.supervision.AlignmentItem(*ours_item)
        assert ours_item.with_offset(off) == their_item.with_offset(off)


# --- the shared manifest methods, as the reference's supervision section shows them ---------


def test_reference_open_writer_examples(tmp_path, fixtures_dir, monkeypatch):
    audio = pytest.importorskip("nuptse.audio")
    from pathlib import Path

    RecordingSet, Recording = audio.RecordingSet, audio.Recording
    for name in ("mono_c0.wav", "mono_c1.wav"):
        shutil.copy(fixtures_dir / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    recordings = [Recording.from_file("mono_c0.wav")]
    with RecordingSet.open_writer("recordings.jsonl.gz") as writer:
        for recording in recordings:
            writer.write(recording)
    with RecordingSet.open_writer("recordings.jsonl.gz", overwrite=False) as writer:
        for path in sorted(Path(".").rglob("*.wav")):
            recording_id = path.stem
            if writer.contains(recording_id):
                # Item already written previously - skip processing.
                continue
            recording = Recording.from_file(path, recording_id=recording_id)
            writer.write(recording)
    assert list(RecordingSet.from_file("recordings.jsonl.gz").ids) == ["mono_c0", "mono_c1"]


def test_open_writer_resume_and_mux_on_supervisions(tmp_path):
    path = tmp_path / "sups.jsonl.gz"
    with SupervisionSet.open_writer(path) as writer:
        writer.write(seg("a"))
    with SupervisionSet.open_writer(path, overwrite=False) as writer:
        assert writer.contains("a")
        writer.write(seg("a"))
        writer.write(seg("b"))
    assert list(SupervisionSet.from_file(path).ids) == ["a", "b"]
    in_memory = SupervisionSet.open_writer(None)
    in_memory.write(seg("c"))
    assert list(in_memory.open_manifest().ids) == ["c"]
    muxed = SupervisionSet.mux(make_set(3), SupervisionSet.from_segments([seg("x")]), seed=1)
    assert isinstance(muxed, SupervisionSet) and sorted(muxed.ids) == ["s0", "s1", "s2", "x"]
    inf = SupervisionSet.infinite_mux(make_set(3), seed=1, max_open_streams=1)
    assert len(list(islice(inf, 7))) == 7


def test_set_pickles_without_its_index():
    sups = make_set()
    assert [s.id for s in sups.find("r1")] == ["s1", "s4", "s7"]
    assert sups._index is not None
    copy_ = pickle.loads(pickle.dumps(sups))
    assert copy_._index is None and copy_ == sups
    assert [s.id for s in copy_.find("r1")] == ["s1", "s4", "s7"]


def test_from_dict_shares_zero_starts_but_keeps_values():
    a = SupervisionSegment.from_dict(
        json.loads(b'{"id":"a","recording_id":"r","start":0.0,"duration":1}')
    )
    b = SupervisionSegment.from_dict(
        json.loads(b'{"id":"b","recording_id":"r","start":0.0,"duration":1}')
    )
    assert a.start is b.start and a.start == 0.0
    neg = SupervisionSegment.from_dict(
        {"id": "n", "recording_id": "r", "start": -0.0, "duration": 1}
    )
    assert math.copysign(1.0, neg.start) == -1.0
    as_int = SupervisionSegment.from_dict(
        {"id": "i", "recording_id": "r", "start": 0, "duration": 1}
    )
    assert type(as_int.start) is int and as_int.to_dict()["start"] == 0


def test_from_dict_shares_id_and_equal_recording_id():
    d = json.loads(b'{"id":"utt-1","recording_id":"utt-1","start":0.0,"duration":1}')
    s = SupervisionSegment.from_dict(d)
    assert s.recording_id is s.id


def test_custom_manifest_like_values_load_even_without_a_recogniser():
    rec = {"id": "rir", "sources": [], "sampling_rate": 16000, "num_samples": 1, "duration": 1e-4}
    s = SupervisionSegment.from_dict(
        {"id": "a", "recording_id": "r", "start": 0, "duration": 1, "custom": {"rir": rec}}
    )
    value = s.custom["rir"]
    # a higher layer may have turned it into its Recording; otherwise it stays a dict
    as_dict = value if isinstance(value, dict) else value.to_dict()
    assert as_dict["id"] == "rir" and as_dict["sampling_rate"] == 16000


def test_load_custom_slices_temporal_arrays_and_recordings():
    class TemporalArray:
        def load(self, start=None, duration=None, **kw):
            return ("array", start, duration)

    class FakeRecording:
        def load_audio(self, channels=None, offset=None, duration=None, **kw):
            return ("audio", channels, offset, duration)

    s = seg(start=1.5, duration=2.0, custom={"ali": TemporalArray(), "tgt": FakeRecording()})
    assert s.load_custom("ali") == ("array", 1.5, 2.0)
    assert s.load_ali() == ("array", 1.5, 2.0)
    assert s.load_custom("tgt", channel=1) == ("audio", 1, 1.5, 2.0)
    whole = s.with_custom("tgt_unaligned", True).with_custom("tgt_channel_selector", [0])
    assert whole.load_custom("tgt") == ("audio", [0], None, None)


def test_lazy_set_positional_access_and_many_invalid(tmp_path):
    path = tmp_path / "s.jsonl"
    make_set(5).to_file(path)
    lazy = SupervisionSet.from_jsonl_lazy(path)
    assert lazy[2].id == "s2" and lazy["s3"].start == 3.0
    with pytest.raises(IndexError):
        lazy[7]
    bad = [seg(f"b{i}", start=-1.0) for i in range(30)]
    with pytest.raises(InvalidSupervisionError, match="and 10 more invalid") as e:
        validate_supervision_set(SupervisionSet.from_segments(bad))
    assert len(e.value.problems) == 20


def test_del_removes_a_custom_field_and_nothing_else():
    sup = SupervisionSegment(id="s1", recording_id="r1", start=0.0, duration=1.0)
    sup.wer = 0.25
    assert sup.custom == {"wer": 0.25}
    del sup.wer
    assert sup.custom == {}
    with pytest.raises(AttributeError):
        del sup.wer
    with pytest.raises(AttributeError):
        del sup.never_set


def test_missing_attribute_of_an_item_without_id_is_an_attribute_error():
    from nuptse.cut.text import TextExample

    with pytest.raises(AttributeError, match="duration"):
        TextExample("hello").duration  # noqa: B018
