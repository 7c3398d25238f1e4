"""Audio that lost its tail never loads as silent zero padding."""

import dataclasses
import warnings

import pytest
import soundfile as sf

from nuptse import Recording
from nuptse.audio.errors import AudioLoadingError
from nuptse.audio.shortfall import AudioShortfallWarning


def _truncated(fixtures_dir, tmp_path, name, keep=0.7):
    full = fixtures_dir / name
    rec = Recording.from_file(full)
    data = full.read_bytes()
    cut = tmp_path / f"trunc_{name}"
    cut.write_bytes(data[: int(len(data) * keep)])
    sources = [dataclasses.replace(s, source=str(cut)) for s in rec.sources]
    return dataclasses.replace(rec, sources=sources), cut


def _flac(fixtures_dir, tmp_path):
    data, sr = sf.read(fixtures_dir / "stereo.wav")
    sf.write(tmp_path / "stereo.flac", data, sr)
    return tmp_path / "stereo.flac"


@pytest.mark.parametrize("name", ["stereo.wav", "stereo.mp3", "stereo.sph", "stereo.flac"])
def test_full_read_of_truncated_file_warns_or_raises(fixtures_dir, tmp_path, name):
    if name.endswith(".flac"):
        fixtures_dir = _flac(fixtures_dir, tmp_path).parent
    rec, path = _truncated(fixtures_dir, tmp_path, name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            rec.load_audio()
        except AudioLoadingError as e:
            assert str(path) in str(e)
            return
    msgs = [str(w.message) for w in caught if issubclass(w.category, AudioShortfallWarning)]
    assert msgs, f"{name}: a truncated file loaded with silent zero padding"
    assert str(path) in msgs[0] and "padded with zeros" in msgs[0]


@pytest.mark.parametrize("name", ["stereo.wav", "stereo.mp3", "stereo.sph"])
def test_offset_in_the_lost_part_raises(fixtures_dir, tmp_path, name):
    rec, path = _truncated(fixtures_dir, tmp_path, name, keep=0.5)
    with pytest.raises(AudioLoadingError) as err:
        rec.load_audio(offset=0.8, duration=0.1)
    assert str(path) in str(err.value)


def test_manifest_declaring_more_samples_warns_once(fixtures_dir, tmp_path):
    rec = Recording.from_file(fixtures_dir / "mono_c0.wav")
    longer = dataclasses.replace(
        rec, id="longer", num_samples=rec.num_samples + 800, duration=rec.duration + 0.1
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        audio = longer.load_audio()
        longer.load_audio()
    assert audio.shape[1] == rec.num_samples + 800
    msgs = [str(w.message) for w in caught if issubclass(w.category, AudioShortfallWarning)]
    assert len(msgs) == 1
    assert "mono_c0.wav" in msgs[0] and "800 samples" in msgs[0]
