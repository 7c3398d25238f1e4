"""Compatibility with the cut manifests lhotse 1.33 wrote (tests/fixtures/lhotse_written)."""

import numpy as np
import pytest
import soundfile as sf

from nuptse.audio import RecordingSet
from nuptse.cut import CutSet, MixedCut, MonoCut, MultiCut, PaddingCut
from nuptse.serialization import load_jsonl
from nuptse.supervision import SupervisionSet

LW = "lhotse_written"


def load_cuts(fixtures_dir, name: str) -> CutSet:
    cuts = CutSet.from_file(fixtures_dir / LW / name)
    return cuts.with_recording_path_prefix(fixtures_dir).with_features_path_prefix(fixtures_dir)


def test_cuts_load_and_round_trip(fixtures_dir):
    raw = load_jsonl(fixtures_dir / LW / "cuts.jsonl.gz")
    cuts = CutSet.from_file(fixtures_dir / LW / "cuts.jsonl.gz")
    assert len(cuts) == 24
    assert all(isinstance(c, MonoCut) for c in cuts)
    assert [c.to_dict() for c in cuts] == raw
    assert sum(c.num_frames for c in cuts) == 8193


def test_cut_audio_equals_flac(fixture_cuts, fixtures_dir):
    for cut in fixture_cuts.subset(first=6):
        audio = cut.load_audio()
        path = cut.recording.sources[0].source
        expected, sr = sf.read(path, dtype="float32")
        assert sr == cut.sampling_rate
        assert audio.shape == (1, cut.num_samples)
        np.testing.assert_array_equal(audio[0], expected)


def test_cut_features_match_lhotse(fixture_cuts, fixtures_dir, monkeypatch):
    lhotse = pytest.importorskip("lhotse")
    monkeypatch.chdir(fixtures_dir)
    theirs = lhotse.CutSet.from_file(fixtures_dir / LW / "cuts.jsonl.gz")
    for ours, ref in zip(fixture_cuts, theirs):
        feats = ours.load_features()
        assert feats.shape == (ours.num_frames, 80)
        np.testing.assert_array_equal(feats, ref.load_features())


def test_cut_features_near_raw_fbank(fixture_cuts, lw):
    # lhotse's raw (uncompressed) Fbank output for three of the utterances
    for entry in load_jsonl(lw / "features_numpy_files.jsonl.gz"):
        rid = entry["recording_id"]
        cut = next(c for c in fixture_cuts if c.recording_id == rid)
        raw = np.load(lw / "expected_features" / f"numpy_files-{rid}.npy")
        np.testing.assert_allclose(cut.load_features(), raw, atol=0.0157)


def test_from_manifests_matches_lhotse_cuts(fixtures_dir):
    recs = RecordingSet.from_file(fixtures_dir / LW / "recordings.jsonl.gz")
    sups = SupervisionSet.from_file(fixtures_dir / LW / "supervisions.jsonl.gz")
    ours = CutSet.from_manifests(
        recordings=recs.filter(lambda r: r.id != "dialogue"),
        supervisions=sups.filter(lambda s: s.recording_id != "dialogue"),
    )
    ref = CutSet.from_file(fixtures_dir / LW / "cuts.jsonl.gz")
    assert [(c.id, c.start, c.duration) for c in ours] == [(c.id, c.start, c.duration) for c in ref]
    assert [c.to_dict() for c in ours] == [c.drop_features().to_dict() for c in ref]


def _spans(cuts):
    return [
        (
            type(c).__name__,
            round(c.start, 6),
            round(c.duration, 6),
            c.channel,
            [(s.id, round(s.start, 6), round(s.duration, 6), s.channel) for s in c.supervisions],
        )
        for c in cuts
    ]


def test_dialogue_windows(dialogue_cut, fixtures_dir, lw):
    assert isinstance(dialogue_cut, MultiCut)
    ours = list(dialogue_cut.cut_into_windows(10.0))
    ref = list(load_cuts(fixtures_dir, "cuts_dialogue_windows.jsonl.gz"))
    assert [c.id for c in ours] == [c.id for c in ref] == [f"dialogue-0-{i}" for i in range(7)]
    assert _spans(ours) == _spans(ref)
    last = ours[-1].load_audio()
    np.testing.assert_array_equal(last, np.load(lw / "expected_audio" / "dialogue-0-6.npy"))
    # the stored windows load the same audio
    np.testing.assert_array_equal(ref[-1].load_audio(), last)


def test_dialogue_trim_without_overlaps(dialogue_cut, fixtures_dir, lw):
    ours = dialogue_cut.trim_to_supervisions(keep_overlapping=False)
    ref = load_cuts(fixtures_dir, "cuts_dialogue_trimmed.jsonl.gz")
    assert list(ours.ids) == list(ref.ids)
    assert _spans(ours) == _spans(ref)
    assert all(isinstance(c, MonoCut) for c in ours)
    backchannel = ours["dialogue-9001-010"].load_audio()
    expected = np.load(lw / "expected_audio" / "dialogue-9001-010.npy")
    assert backchannel.shape == (1, 6720)
    np.testing.assert_array_equal(backchannel, expected)


def test_dialogue_trim_overlapping_all_channels(dialogue_cut, fixtures_dir):
    ours = list(dialogue_cut.trim_to_supervisions(keep_overlapping=True, keep_all_channels=True))
    ref = list(load_cuts(fixtures_dir, "cuts_dialogue_trimmed_overlap_allch.jsonl.gz"))
    assert _spans(ours) == _spans(ref)
    two = [c for c in ours if len(c.supervisions) == 2]
    assert len(two) == 8
    for c in ours:
        if len(c.supervisions) == 1:
            assert c.id == c.supervisions[0].id


def test_dialogue_trim_default_refuses_mixed_channels(dialogue_cut):
    # overlapping speech on the other channel would be lost: refused, as lhotse does
    with pytest.raises(AssertionError):
        dialogue_cut.trim_to_supervisions()
    cuts = dialogue_cut.trim_to_supervisions(keep_overlapping=False)
    assert len(cuts) == 20
    for c in cuts:
        assert isinstance(c, MonoCut)
        assert all(s.channel == c.channel for s in c.supervisions)


def test_mixed_cuts_load_like_lhotse(mixed_cuts, lw):
    assert [c.id for c in mixed_cuts] == [
        "mix-a-b-off0.5-snr10",
        "pad-a-right-2.0",
        "pad-c-left-1.5",
        "append-a-b",
    ]
    frames = {
        "mix-a-b-off0.5-snr10": 174,
        "pad-a-right-2.0": 200,
        "pad-c-left-1.5": 150,
        "append-a-b": 247,
    }
    for cut in mixed_cuts:
        assert isinstance(cut, MixedCut)
        audio = cut.load_audio()
        feats = cut.load_features()
        assert audio.shape == (1, cut.num_samples)
        assert feats.shape == (frames[cut.id], 80) == (cut.num_frames, 80)
        np.testing.assert_allclose(
            audio, np.load(lw / "expected_audio" / f"{cut.id}.npy"), atol=1e-6
        )
        np.testing.assert_allclose(
            feats, np.load(lw / "expected_features" / f"{cut.id}.npy"), atol=1e-4
        )


def test_mixed_cuts_round_trip(fixtures_dir):
    raw = load_jsonl(fixtures_dir / LW / "cuts_mixed_padded.jsonl.gz")
    cuts = CutSet.from_dicts(raw)
    assert [c.to_dict() for c in cuts] == raw


def _structure(cut):
    return [
        (
            t.type,
            t.cut.id if not isinstance(t.cut, PaddingCut) else "PAD",
            round(t.offset, 7),
            t.snr,
            t.is_snr_reference,
            getattr(t.cut, "num_samples", None),
            t.cut.num_frames,
        )
        for t in cut.tracks
    ]


def test_build_mixed_cuts_with_our_api(fixture_cuts, mixed_cuts):
    a = fixture_cuts["9001-500-0005-5"]
    b = fixture_cuts["9002-501-0005-13"]
    c = fixture_cuts["9003-502-0005-21"]
    built = {
        "mix-a-b-off0.5-snr10": a.mix(b, offset_other_by=0.5, snr=10),
        "pad-a-right-2.0": a.pad(duration=2.0),
        "pad-c-left-1.5": c.pad(duration=1.5, direction="left"),
        "append-a-b": a.append(b),
    }
    for ref in mixed_cuts:
        ours = built[ref.id]
        assert _structure(ours) == _structure(ref)
        assert ours.duration == pytest.approx(ref.duration, abs=1e-9)
        assert ours.num_samples == ref.num_samples
        assert ours.num_frames == ref.num_frames
        np.testing.assert_allclose(ours.load_audio(), ref.load_audio(), atol=1e-6)
        np.testing.assert_allclose(ours.load_features(), ref.load_features(), atol=1e-4)
    pad = built["pad-a-right-2.0"].tracks[1].cut
    assert (pad.num_samples, pad.num_frames) == (12335, 77)


def test_lhotse_loads_our_cuts(fixture_cuts, mixed_cuts, dialogue_cut, fixtures_dir, monkeypatch):
    lhotse = pytest.importorskip("lhotse")
    ours = [fixture_cuts["9001-500-0005-5"], *mixed_cuts, *dialogue_cut.cut_into_windows(10.0)]
    theirs = lhotse.CutSet.from_dicts([c.to_dict() for c in ours])
    for o, t in zip(ours, theirs):
        assert o.id == t.id
        assert type(o).__name__ == type(t).__name__
        assert o.num_samples == t.num_samples
        np.testing.assert_allclose(o.load_audio(), t.load_audio(), atol=1e-6)
        if o.has_features:
            np.testing.assert_allclose(o.load_features(), t.load_features(), atol=1e-4)
