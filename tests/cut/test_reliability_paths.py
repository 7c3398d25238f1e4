"""Files named after cut ids stay inside the folder they were given, whatever the ids say."""

import dataclasses

import numpy as np
import soundfile as sf

from nuptse import CutSet, Recording, RecordingSet

EVIL = ["../../../x/owned", "/tmp/abs-owned-nuptse", "a/../../b"]


def _cuts(fixtures_dir, tmp_path):
    wav = tmp_path / "in.wav"
    wav.write_bytes((fixtures_dir / "mono_c0.wav").read_bytes())
    rec = Recording.from_file(wav)
    cuts = CutSet.from_manifests(recordings=RecordingSet.from_recordings([rec]))
    base = next(iter(cuts))
    return CutSet.from_cuts(dataclasses.replace(base, id=i) for i in EVIL), wav


def _new_files(root, before):
    return {p for p in root.rglob("*") if p.is_file()} - before


def test_save_audios_stays_inside(fixtures_dir, tmp_path):
    cuts, wav = _cuts(fixtures_dir, tmp_path)
    out = tmp_path / "deep" / "a" / "b" / "audio"
    before = {p for p in tmp_path.rglob("*") if p.is_file()}
    saved = cuts.save_audios(out, progress_bar=False).to_eager()
    new = _new_files(tmp_path, before)
    assert new and all(out in p.parents for p in new), new
    ref, _ = sf.read(wav, dtype="float32")
    for c in saved:
        np.testing.assert_allclose(c.load_audio()[0], ref, atol=1 / 32768)


def test_copy_data_stays_inside(fixtures_dir, tmp_path):
    cuts, _ = _cuts(fixtures_dir, tmp_path)
    out = tmp_path / "deep" / "a" / "b" / "copy"
    before = {p for p in tmp_path.rglob("*") if p.is_file()}
    copied = list(cuts.copy_data(out, verbose=False))
    new = _new_files(tmp_path, before)
    assert new and all(out in p.parents for p in new), new
    assert [c.id for c in copied] == EVIL
