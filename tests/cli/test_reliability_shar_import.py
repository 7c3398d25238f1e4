"""``nuptse shar import``: every cut gets its own audio back, and no file lands outside OUTPUT_DIR."""

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf
from click.testing import CliRunner

from nuptse import CutSet, Recording, RecordingSet
from nuptse.cli import cli


def _import(shar_dir, out):
    result = CliRunner().invoke(cli, ["shar", "import", str(shar_dir), str(out)])
    return result


def test_windows_of_one_recording_keep_their_own_audio(fixtures_dir, tmp_path):
    wav = tmp_path / "stereo.wav"
    shutil.copy(fixtures_dir / "stereo.wav", wav)
    rec = Recording.from_file(wav)
    cuts = CutSet.from_manifests(recordings=RecordingSet.from_recordings([rec]))
    windows = cuts.cut_into_windows(duration=0.25).to_eager()
    assert len(windows) == 4
    windows.to_shar(tmp_path / "shar", fields={"recording": "flac"})
    result = _import(tmp_path / "shar", tmp_path / "out")
    assert result.exit_code == 0, result.output
    imported = CutSet.from_file(tmp_path / "out" / "cuts.jsonl.gz")
    reference, _ = sf.read(wav, dtype="float32", always_2d=True)
    assert len(imported) == len(windows)
    for cut, orig in zip(imported, windows):
        assert cut.id == orig.id
        start = round(orig.start * 8000)
        expected = reference[start : start + 2000].T
        np.testing.assert_allclose(cut.load_audio(), expected, atol=1 / 32768)


def test_hostile_ids_stay_inside_output_dir(fixtures_dir, tmp_path):
    wav = tmp_path / "mono.wav"
    shutil.copy(fixtures_dir / "mono_c0.wav", wav)
    rec = Recording.from_file(wav)
    evil = [
        "../../../x/owned",
        str(tmp_path / "abs" / "owned"),
    ]
    recs = RecordingSet.from_recordings([dataclasses.replace(rec, id=i) for i in evil])
    cuts = CutSet.from_manifests(recordings=recs)
    # Tar member names come from cut ids (the reader refuses '..' there); recording ids are free.
    cuts = CutSet.from_cuts(dataclasses.replace(c, id=f"sub/c{i}") for i, c in enumerate(cuts))
    cuts.to_shar(tmp_path / "shar", fields={"recording": "flac"})
    (tmp_path / "abs").mkdir()
    out = tmp_path / "deep" / "a" / "b" / "out"
    for d in ("deep/x", "deep/a/x", "x"):
        (tmp_path / d).mkdir(parents=True)
    before = {p for p in tmp_path.rglob("*")}
    result = _import(tmp_path / "shar", out)
    assert result.exit_code == 0, result.output
    new = {p for p in tmp_path.rglob("*")} - before
    assert new and all(p == out or out in p.parents or p in out.parents for p in new)
    imported = CutSet.from_file(out / "cuts.jsonl.gz")
    reference, _ = sf.read(wav, dtype="float32", always_2d=True)
    for cut in imported:
        path = cut.recording.sources[0].source
        assert (out / "audio").resolve() in Path(path).resolve().parents
        np.testing.assert_allclose(cut.load_audio(), reference.T, atol=1 / 32768)
