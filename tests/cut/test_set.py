"""CutSet: construction from manifests (eager and streamed), set operations, describe()."""

import io

import numpy as np
import pytest

from nuptse.audio import RecordingSet
from nuptse.cut import CutSet, CutStatistics, MixedCut, MonoCut
from nuptse.cut.base import CutError
from nuptse.manifest import load_manifest, load_manifest_lazy
from nuptse.supervision import SupervisionSet

LW = "lhotse_written"


@pytest.fixture(scope="module")
def manifests(fixtures_dir):
    recs = RecordingSet.from_file(fixtures_dir / LW / "recordings.jsonl.gz")
    sups = SupervisionSet.from_file(fixtures_dir / LW / "supervisions.jsonl.gz")
    return recs, sups


def test_lazy_from_manifests_streams_sorted_files(manifests, tmp_path):
    recs, sups = manifests
    recs.to_file(tmp_path / "recs.jsonl.gz")
    sorted_sups = SupervisionSet(sorted(sups, key=lambda s: (s.recording_id, s.start)))
    sorted_sups.to_file(tmp_path / "sups.jsonl.gz")
    lazy_recs = RecordingSet.from_jsonl_lazy(tmp_path / "recs.jsonl.gz")
    lazy_sups = SupervisionSet.from_jsonl_lazy(tmp_path / "sups.jsonl.gz")
    eager = CutSet.from_manifests(recordings=recs, supervisions=sups)
    streamed = CutSet.from_manifests(recordings=lazy_recs, supervisions=lazy_sups, lazy=True)
    assert streamed.is_lazy
    assert [c.to_dict() for c in streamed] == [c.to_dict() for c in eager]
    written = CutSet.from_manifests(
        recordings=lazy_recs,
        supervisions=lazy_sups,
        lazy=True,
        output_path=tmp_path / "cuts.jsonl.gz",
    )
    assert written.is_lazy
    assert [c.id for c in written] == [c.id for c in eager]
    assert isinstance(load_manifest(tmp_path / "cuts.jsonl.gz"), CutSet)
    assert isinstance(load_manifest_lazy(tmp_path / "cuts.jsonl.gz"), CutSet)


def test_lazy_from_manifests_rejects_unsorted(manifests):
    recs, sups = manifests
    shuffled = list(reversed(list(sups)))
    with pytest.raises(CutError, match="sorted by recording id"):
        list(CutSet.from_manifests(recordings=recs, supervisions=shuffled, lazy=True))


def test_from_manifests_with_features_only(fixtures_dir):
    from nuptse.features import FeatureSet

    feats = FeatureSet.from_file(fixtures_dir / LW / "features_lilcom_chunky.jsonl.gz")
    cuts = CutSet.from_manifests(features=feats.with_path_prefix(fixtures_dir))
    assert len(cuts) == 3
    for c in cuts:
        assert not c.has_recording and c.has_features
        assert c.load_features().shape == (c.num_frames, 80)


def test_set_operations(fixture_cuts):
    cuts = fixture_cuts
    longest = cuts.sort_by_duration()[next(iter(cuts.sort_by_duration().ids))]
    assert longest.duration == max(c.duration for c in cuts)
    trunc = cuts.truncate(max_duration=2.0, offset_type="end", preserve_id=True)
    assert all(c.duration <= 2.0 + 1e-9 for c in trunc)
    assert all(c.load_audio().shape[1] == c.num_samples for c in trunc.subset(first=3))
    padded = cuts.subset(first=4).pad()
    durations = {round(c.duration, 6) for c in padded}
    assert len(durations) == 1
    windows = cuts.subset(first=2).cut_into_windows(1.0)
    assert all(c.duration <= 1.0 + 1e-9 for c in windows)
    assert cuts.subset(cut_ids=["9001-500-0003-3"])["9001-500-0003-3"].id == "9001-500-0003-3"
    no_sups = cuts.filter_supervisions(lambda s: False)
    assert all(not c.supervisions for c in no_sups)
    assert cuts.speakers == frozenset({"9001", "9002", "9003"})


def test_set_perturb_and_resample(fixture_cuts):
    sub = fixture_cuts.subset(first=2)
    sp = sub.perturb_speed(1.1)
    assert [c.id for c in sp] == [f"{c.id}_sp1.1" for c in sub]
    assert all(not c.has_features for c in sp)
    c = next(iter(sp))
    assert c.load_audio().shape == (1, c.num_samples)
    rs = sub.resample(8000)
    r = next(iter(rs))
    assert r.sampling_rate == 8000 and r.load_audio().shape == (1, r.num_samples)
    vol = sub.perturb_volume(0.5)
    v = next(iter(vol))
    np.testing.assert_allclose(v.load_audio(), next(iter(sub)).load_audio() * 0.5, atol=1e-7)


def test_set_mix_with_noise(fixture_cuts):
    speech = fixture_cuts.subset(first=3)
    noise = fixture_cuts.subset(last=2)
    mixed = speech.mix(noise, snr=(10, 20), seed=1)
    for orig, m in zip(speech, mixed):
        assert isinstance(m, MixedCut)
        assert m.duration == pytest.approx(orig.duration, abs=1e-6)
        assert m.load_audio().shape == (1, m.num_samples)
        assert m.load_features().shape == (m.num_frames, 80)


def test_lazy_set_operations_stay_lazy(fixture_cuts, tmp_path):
    fixture_cuts.to_file(tmp_path / "cuts.jsonl.gz")
    lazy = CutSet.from_jsonl_lazy(tmp_path / "cuts.jsonl.gz")
    trimmed = lazy.trim_to_supervisions()
    assert trimmed.is_lazy
    assert [c.id for c in trimmed] == [s.id for c in fixture_cuts for s in c.supervisions]
    assert lazy.perturb_volume(2.0).is_lazy
    assert len(list(lazy.cut_into_windows(2.0))) == sum(
        len(c.cut_into_windows(2.0)) for c in fixture_cuts
    )


def test_describe_and_mergeable_statistics(fixture_cuts, dialogue_cut):
    buf = io.StringIO()
    stats = fixture_cuts.describe(file=buf)
    text = buf.getvalue()
    assert "Cuts count" in text and "24" in text
    assert stats.num_cuts == 24 and len(stats.speakers) == 3
    assert stats.total_duration == pytest.approx(sum(c.duration for c in fixture_cuts))
    # merging per-shard statistics equals describing everything at once
    parts = fixture_cuts.split(3)
    merged = CutStatistics()
    for p in parts:
        merged = merged.merge(CutStatistics.from_cuts(p))
    a, b = merged.as_dict(), stats.as_dict()
    assert a.pop("durations") == pytest.approx(b.pop("durations"))
    assert a.pop("cut_types") == b.pop("cut_types")
    assert a == pytest.approx(b)
    # the dialogue: 20 turns, 4 overlaps (about 2.02 s overlapped)
    d = CutStatistics().update(dialogue_cut)
    assert d.num_supervisions == 20
    assert d.overlap_duration == pytest.approx(2.02, abs=0.05)
    assert d.speech_duration == pytest.approx(51.05, abs=0.2)


def test_shar_round_trip(fixture_cuts, fixtures_dir, tmp_path):
    pytest.importorskip("nuptse.shar")
    cuts = CutSet.from_shar(in_dir=fixtures_dir / LW / "shar")
    ids = [c.id for c in cuts]
    assert ids == list(fixture_cuts.ids)
    sub = fixture_cuts.subset(first=2).drop_features()
    out = sub.to_shar(tmp_path / "shar", fields={"recording": "flac"}, shard_size=1)
    assert out
    back = list(CutSet.from_shar(in_dir=tmp_path / "shar"))
    assert [c.id for c in back] == list(sub.ids)
    np.testing.assert_array_equal(back[0].load_audio(), next(iter(sub)).load_audio())


def test_detects_cut_manifests(fixtures_dir):
    cuts = load_manifest(fixtures_dir / LW / "cuts_mixed_padded.jsonl.gz")
    assert isinstance(cuts, CutSet)
    assert isinstance(next(iter(load_manifest(fixtures_dir / LW / "cuts.jsonl.gz"))), MonoCut)
