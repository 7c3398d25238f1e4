import dataclasses

import pytest

from nuptse.qa import (
    ManifestValidationError,
    fix_manifests,
    validate,
    validate_recordings_and_supervisions,
)


@pytest.fixture
def manifests(fixtures_dir, monkeypatch):
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    monkeypatch.chdir(fixtures_dir)
    recs = RecordingSet.from_file("lhotse_written/recordings.jsonl.gz")
    sups = SupervisionSet.from_file("lhotse_written/supervisions.jsonl.gz")
    return recs, sups


def test_fixture_manifests_are_valid(manifests):
    recs, sups = manifests
    assert validate(recs).ok
    assert validate(sups).ok
    report = validate_recordings_and_supervisions(recs, sups)
    assert report.ok and report.num_checked == 25 + 44


def test_read_data_checks_audio(manifests):
    recs, _ = manifests
    small = recs.subset(first=3)
    assert validate(small, read_data=True).ok
    first = next(iter(small))
    bad = dataclasses.replace(
        first, num_samples=first.num_samples + 4000, duration=first.duration + 0.25
    )
    report = validate(bad, read_data=True, raise_on_error=False)
    assert any("samples" in p.message for p in report.problems)


def test_reports_every_problem_with_ids(manifests):
    from nuptse.supervision import SupervisionSet

    recs, sups = manifests
    items = list(sups)
    items[0] = dataclasses.replace(items[0], duration=0.0)
    items[1] = dataclasses.replace(items[1], duration=items[1].duration + 5.0)
    items[2] = dataclasses.replace(items[2], recording_id="nope")
    broken = SupervisionSet.from_items(items)
    report = validate_recordings_and_supervisions(recs, broken, raise_on_error=False)
    ids = {p.id for p in report.problems}
    assert {items[0].id, items[1].id, items[2].id} <= ids
    with pytest.raises(ManifestValidationError) as e:
        validate_recordings_and_supervisions(recs, broken)
    assert len(e.value.report.problems) == len(report.problems)
    assert items[2].id in str(e.value)
    # AssertionError compatibility for code written against lhotse.
    assert isinstance(e.value, AssertionError)


def test_recording_problems(manifests, tmp_path):
    from nuptse.audio import RecordingSet

    recs, _ = manifests
    items = list(recs)
    items[0] = dataclasses.replace(items[0], num_samples=items[0].num_samples + 1000)
    src = dataclasses.replace(items[1].sources[0], source=str(tmp_path / "missing.flac"))
    items[1] = dataclasses.replace(items[1], sources=[src])
    report = validate(RecordingSet.from_items(items), raise_on_error=False)
    msgs = {p.id: p.message for p in report.problems}
    assert "num_samples" in msgs[items[0].id]
    assert "not found" in msgs[items[1].id]
    assert len(report.problems) == 2
    assert "2 problem(s)" in report.summary()


def test_features_and_cuts(fixtures_dir, monkeypatch):
    from nuptse.cut import CutSet
    from nuptse.features import FeatureSet

    monkeypatch.chdir(fixtures_dir)
    feats = FeatureSet.from_file("lhotse_written/features_lilcom_chunky.jsonl.gz")
    assert validate(feats, read_data=True).ok
    bad = dataclasses.replace(next(iter(feats)), num_frames=500)
    report = validate(bad, raise_on_error=False)
    assert any("num_frames" in p.message for p in report.problems)
    cuts = CutSet.from_file("lhotse_written/cuts.jsonl.gz").subset(first=4)
    assert validate(cuts, read_data=True).ok
    c = next(iter(cuts))
    report = validate(dataclasses.replace(c, duration=c.duration + 3.0), raise_on_error=False)
    assert any("after its recording" in p.message for p in report.problems)


def test_fix_manifests_trims_and_drops(manifests):
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    recs, sups = manifests
    items = [s for s in sups if not s.id.startswith("dialogue")]
    items[0] = dataclasses.replace(items[0], duration=items[0].duration + 1.0)
    items[1] = dataclasses.replace(items[1], recording_id="ghost")
    items[2] = dataclasses.replace(items[2], start=50.0)
    recs2, sups2, report = fix_manifests(recs, SupervisionSet.from_items(items), return_report=True)
    assert report.trimmed_supervisions == [items[0].id]
    assert set(report.removed_supervisions) == {items[1].id, items[2].id}
    assert "dialogue" in report.removed_recordings and items[1].id in report.removed_recordings
    assert sups2[items[0].id].duration == recs[items[0].recording_id].duration
    assert isinstance(recs2, RecordingSet)
    assert validate_recordings_and_supervisions(recs2, sups2).ok
    r2, s2 = fix_manifests(recs2, sups2)
    assert list(r2) == list(recs2) and list(s2) == list(sups2)


def test_unknown_type():
    with pytest.raises(TypeError, match="int"):
        validate(3)


# --- lhotse's per-type validators ----------------------------------------------------------


def _features(num_frames, duration=1.0):
    from nuptse import Features

    return Features(
        type="fbank", num_frames=num_frames, num_features=40, frame_shift=0.01,
        sampling_rate=16000, start=0.0, duration=duration, storage_type="numpy_files",
        storage_path="nowhere", storage_key="k.npy",
    )


def test_validate_features_is_exact_like_lhotse():
    import numpy as np

    from nuptse.qa import ManifestValidationError, validate, validate_features

    validate_features(_features(100))
    # validate() allows one frame of slack (Kaldi edge conventions); validate_features does not
    validate(_features(101))
    with pytest.raises(AssertionError, match="100 frames, but num_frames is 101"):
        validate_features(_features(101))
    with pytest.raises(ManifestValidationError, match=r"\(99, 40\)"):
        validate_features(_features(100), feats_data=np.zeros((99, 40)))


def test_validate_supervision_against_recording():
    from nuptse.qa import validate_supervision
    from nuptse.testing.dummies import dummy_recording, dummy_supervision

    rec = dummy_recording(0, duration=1.0)
    validate_supervision(dummy_supervision(0, duration=1.0), recording=rec)
    with pytest.raises(AssertionError, match="outside"):
        validate_supervision(dummy_supervision(0, start=0.5, duration=1.0), recording=rec)
    with pytest.raises(AssertionError, match="channel 3"):
        validate_supervision(dummy_supervision(0, channel=3), recording=rec)


def test_temporal_array_checks():
    from nuptse.array import Array, TemporalArray
    from nuptse.qa import validate_temporal_array

    arr = Array("numpy_files", "d", "k.npy", [10, 4])
    validate_temporal_array(TemporalArray(arr, temporal_dim=0, frame_shift=0.01, start=0.0))
    with pytest.raises(AssertionError, match="temporal_dim 2"):
        validate_temporal_array(TemporalArray(arr, temporal_dim=2, frame_shift=0.01, start=0.0))


def test_register_validator_and_unknown_types():
    from nuptse.qa import _USER_VALIDATORS, register_validator, validate

    class Thing:
        pass

    seen = []

    @register_validator
    def check_thing(t: Thing, read_data: bool = False) -> None:
        seen.append(read_data)

    try:
        validate(Thing(), read_data=True)
        assert seen == [True]
    finally:
        _USER_VALIDATORS.pop(Thing)
    with pytest.raises(ValueError, match="Thing"):
        validate(Thing())


def test_custom_temporal_array_of_another_length_is_logged_not_reported(tmp_path, caplog):
    import logging

    import numpy as np

    from nuptse import MonoCut, NumpyFilesWriter
    from nuptse.qa import validate
    from nuptse.testing.dummies import dummy_recording

    rec = dummy_recording(1, duration=10.0)
    with NumpyFilesWriter(tmp_path) as writer:
        cut = MonoCut(id="c1", start=0, duration=4.9, channel=0, recording=rec)
        # 131 frames of 0.4 s cover 52.4 s, not the cut's 4.9 s.
        cut.alignment = writer.store_array(
            key="u1", value=np.arange(131), frame_shift=0.4, temporal_dim=0
        )
        with caplog.at_level(logging.WARNING, logger="nuptse.qa"):
            validate(cut)
    assert "c1: possibly mismatched duration" in caplog.text
    assert "'alignment'" in caplog.text and "num_frames=131" in caplog.text
    # A cut that ends after its recording is a problem (lhotse does not check it).
    long_cut = MonoCut(id="c2", start=0, duration=4.9, channel=0, recording=dummy_recording(2))
    with pytest.raises(ValueError, match="after its recording"):
        validate(long_cut)
