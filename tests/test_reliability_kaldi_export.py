"""export_to_kaldi: file names never become shell code, bad ids and texts are refused by name."""

import dataclasses
import os
import shlex
import shutil
import subprocess

import pytest

from nuptse import Recording, RecordingSet, SupervisionSegment, SupervisionSet
from nuptse.kaldi import KaldiFormatError, export_to_kaldi


@pytest.fixture
def hostile_flac(fixtures_dir, tmp_path):
    import soundfile as sf

    data, sr = sf.read(fixtures_dir / "mono_c0.wav")
    path = tmp_path / "x;touch pwned;#.flac"
    sf.write(path, data, sr)
    return path


def _sup(rec, **kw):
    fields = dict(id="u1", recording_id=rec.id, start=0.0, duration=0.2, text="hi", speaker="s")
    fields.update(kw)
    return SupervisionSegment(**fields)


def test_pipeline_quotes_file_names(hostile_flac, tmp_path):
    rec = Recording.from_file(hostile_flac, recording_id="r1")
    out = tmp_path / "data"
    export_to_kaldi(
        RecordingSet.from_recordings([rec]), SupervisionSet.from_segments([_sup(rec)]), out
    )
    line = (out / "wav.scp").read_text().strip()
    key, entry = line.split(" ", 1)
    assert key == "r1" and entry.endswith("|")
    words = shlex.split(entry[:-1])
    assert str(hostile_flac) in words
    # Run the pipeline as Kaldi would, with a stand-in ffmpeg: nothing else may run.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ffmpeg"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ.get('PATH', '')}")
    subprocess.run(entry[:-1], shell=True, cwd=tmp_path, env=env, check=False)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_quoted_pipeline_decodes(hostile_flac, tmp_path):
    rec = Recording.from_file(hostile_flac, recording_id="r1")
    out = tmp_path / "data"
    export_to_kaldi(
        RecordingSet.from_recordings([rec]), SupervisionSet.from_segments([_sup(rec)]), out
    )
    entry = (out / "wav.scp").read_text().strip().split(" ", 1)[1]
    wav = subprocess.run(entry[:-1], shell=True, capture_output=True, check=True).stdout
    assert wav[:4] == b"RIFF"


@pytest.mark.parametrize(
    "field,value,needle",
    [
        ("id", "utt 1", "utt 1"),
        ("text", "line one\nline two", "u1"),
        ("speaker", "spk a", "spk a"),
    ],
)
def test_ids_with_spaces_and_texts_with_newlines_are_refused(
    fixtures_dir, tmp_path, field, value, needle
):
    rec = Recording.from_file(fixtures_dir / "mono_c0.wav", recording_id="r1")
    sup = dataclasses.replace(_sup(rec), **{field: value})
    out = tmp_path / "data"
    with pytest.raises(KaldiFormatError, match=needle):
        export_to_kaldi(
            RecordingSet.from_recordings([rec]), SupervisionSet.from_segments([sup]), out
        )
    assert not any(out.iterdir())  # nothing half-written


def test_recording_id_with_space_is_refused(fixtures_dir, tmp_path):
    rec = Recording.from_file(fixtures_dir / "mono_c0.wav", recording_id="rec 1")
    with pytest.raises(KaldiFormatError, match="rec 1"):
        export_to_kaldi(
            RecordingSet.from_recordings([rec]), SupervisionSet.from_segments([_sup(rec)]), tmp_path
        )
