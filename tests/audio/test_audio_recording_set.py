"""RecordingSet: from_dir (parallel, skipping bad files), transforms on sets, manifest interchange."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

from nuptse.audio import Recording, RecordingSet
from nuptse.manifest import DuplicateIdError, load_manifest


@pytest.fixture
def audio_dir(fixtures_dir, tmp_path):
    root = tmp_path / "corpus"
    (root / "a").mkdir(parents=True)
    (root / "b" / "c").mkdir(parents=True)
    for rel in ["stereo.wav", "mono_c0.opus", "common_voice_en_651325.mp3"]:
        shutil.copy(fixtures_dir / rel, root / "a" / rel)
    for src in (fixtures_dir / "mini_corpus/dev-clean-2/9001/500").glob("*.flac"):
        shutil.copy(src, root / "b" / "c" / src.name)
    (root / "b" / "broken.flac").write_bytes(b"fLaC" + b"\0" * 100)
    (root / "a" / "notes.wav").write_text("not audio")
    (root / "a" / "empty.wav").write_bytes(b"")
    return root


@pytest.mark.parametrize("num_jobs,executor", [(1, "thread"), (2, "thread"), (2, "process")])
def test_from_dir_skips_and_reports(audio_dir, caplog, num_jobs, executor):
    with caplog.at_level(logging.WARNING, logger="nuptse.audio.recording_set"):
        rs = RecordingSet.from_dir(audio_dir, "*.*", num_jobs=num_jobs, executor=executor)
    assert len(rs) == 11
    assert sorted(p.rsplit("/", 1)[1] for p, _ in rs.skipped_files) == [
        "broken.flac",
        "empty.wav",
        "notes.wav",
    ]
    text = caplog.text
    assert "broken.flac" in text and "empty.wav" in text and "notes.wav" in text
    assert "skipped 3 of 14" in text
    for rec in rs:
        assert rec == Recording.from_file(rec.sources[0].source)
    assert rs["mono_c0"].num_samples == 4043
    assert rs["common_voice_en_651325"].num_samples == 114048


def test_from_dir_pattern_exclude_and_ids(audio_dir):
    rs = RecordingSet.from_dir(audio_dir, "*.flac", exclude_pattern=r"broken\..*")
    assert len(rs) == 8 and not rs.skipped_files
    rs = RecordingSet.from_dir(audio_dir / "b", "*.flac", recording_id=lambda p: "x" + p.stem)
    assert "x9001-500-0000" in rs
    rs2 = RecordingSet.from_dir(
        audio_dir / "b",
        "*.flac",
        num_jobs=2,
        executor="process",
        recording_id=lambda p: "x" + p.stem,
    )
    assert list(rs2.ids) == list(rs.ids)
    (audio_dir / "a" / "9001-500-0000.flac").write_bytes(
        (audio_dir / "b/c/9001-500-0000.flac").read_bytes()
    )
    with pytest.raises(DuplicateIdError, match="9001-500-0000"):
        RecordingSet.from_dir(audio_dir, "*.flac")


def test_set_operations_and_files(fixtures_dir, tmp_path):
    rs = RecordingSet.from_file(fixtures_dir / "lhotse_written/recordings.jsonl.gz")
    assert len(rs) == 25 and rs.num_channels("dialogue") == 2
    assert rs.sampling_rate("dialogue") == 16000 and rs.num_samples("dialogue") == 976000
    assert rs.duration("dialogue") == 61.0
    rooted = rs.with_path_prefix(fixtures_dir)
    audio = rooted.load_audio("dialogue", channels=1, offset_seconds=60.0, duration_seconds=1.0)
    expected = np.load(fixtures_dir / "lhotse_written/expected_audio/dialogue-0-6.npy")
    np.testing.assert_array_equal(audio, expected[1:])
    sp = rs.perturb_speed(1.1)
    assert "9001-500-0005_sp1.1" in sp and sp["9001-500-0005_sp1.1"].num_samples == 17877
    assert rs.perturb_tempo(0.9)["9002-501-0005_tp0.9"].num_samples == 22010
    assert rs.resample(8000)["9003-502-0002"].num_samples == 16224
    assert rs.perturb_volume(0.5, affix_id=False).ids == rs.ids
    rir = Recording.from_file(fixtures_dir / "rir/sim_1ch.wav")
    assert all(r.id.endswith("_rvb") for r in rs.reverb_rir([rir]))
    out = tmp_path / "recs.jsonl.gz"
    sp.to_file(out)
    assert load_manifest(out) == sp
    lazy = RecordingSet.from_jsonl_lazy(fixtures_dir / "lhotse_written/recordings.jsonl.gz")
    lazy_sp = lazy.perturb_speed(1.1)
    assert lazy_sp.is_lazy and list(lazy_sp) == list(sp)


def test_lhotse_loads_our_set_and_vice_versa(fixtures_dir, tmp_path):
    lhotse = pytest.importorskip("lhotse")
    ours = RecordingSet.from_file(fixtures_dir / "lhotse_written/recordings_transformed.jsonl.gz")
    path = tmp_path / "ours.jsonl.gz"
    ours.to_file(path)
    theirs = lhotse.load_manifest(path)
    assert theirs == lhotse.load_manifest(
        fixtures_dir / "lhotse_written/recordings_transformed.jsonl.gz"
    )
    their_path = tmp_path / "theirs.jsonl.gz"
    lhotse.RecordingSet.from_recordings(
        lhotse.Recording.from_file(fixtures_dir / p) for p in ["stereo.wav", "mono_c0.opus"]
    ).to_file(their_path)
    back = load_manifest(their_path)
    assert isinstance(back, RecordingSet)
    assert back["stereo"] == Recording.from_file(fixtures_dir / "stereo.wav")
