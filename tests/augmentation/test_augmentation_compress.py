"""Lossy-codec round trips, checked with independent measurements and against lhotse."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from nuptse.audio import AudioTransform, Recording
from nuptse.augmentation import Compress, Resample
from nuptse.augmentation.compress import (
    MP3_SUPPORTED_SAMPLING_RATES,
    OPUS_SUPPORTED_SAMPLING_RATES,
)

SPEECH = "libri/libri-1088-134315-0000.wav"  # 16 kHz


@pytest.fixture(scope="module")
def speech(fixtures_dir) -> np.ndarray:
    x, _ = sf.read(fixtures_dir / SPEECH, dtype="float32", frames=32000)
    return x[None, :]


def band_energy(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    spec = np.abs(np.fft.rfft(x[0])) ** 2
    f = np.fft.rfftfreq(x.shape[1], 1 / sr)
    return float(spec[(f >= lo) & (f <= hi)].sum())


@pytest.mark.parametrize("codec", ["mp3", "opus", "vorbis", "gsm"])
def test_round_trip_changes_samples_but_keeps_the_speech_band(speech, codec):
    out = Compress(codec, 0.5)(speech, 16000)
    assert out.dtype == np.float32 and out.shape[0] == 1
    n = min(out.shape[1], speech.shape[1])
    assert abs(out.shape[1] - speech.shape[1]) < 0.1 * 16000
    assert not np.array_equal(out[:, :n], speech[:, :n])
    # Energy in 300-3400 Hz (telephone band, which even GSM keeps) within 25%.
    ratio = band_energy(out[:, :n], 16000, 300, 3400) / band_energy(speech[:, :n], 16000, 300, 3400)
    assert 0.75 < ratio < 1.25


def test_higher_compression_loses_more(speech):
    def error(level):
        out = Compress("mp3", level)(speech, 16000)
        n = min(out.shape[1], speech.shape[1])
        return float(np.mean((out[:, :n] - speech[:, :n]) ** 2))

    assert error(0.9) > error(0.1)


def test_same_samples_as_a_direct_libsndfile_round_trip(speech, tmp_path):
    path = tmp_path / "x.ogg"
    sf.write(path, speech[0], 16000, format="OGG", subtype="VORBIS", compression_level=0.3)
    expected, _ = sf.read(path, dtype="float32")
    np.testing.assert_array_equal(Compress("vorbis", 0.3)(speech, 16000)[0], expected)


def test_unsupported_rate_fails_with_libsndfile_error():
    x = np.zeros((1, 12345), dtype=np.float32)
    assert 12345 not in MP3_SUPPORTED_SAMPLING_RATES
    assert 22050 not in OPUS_SUPPORTED_SAMPLING_RATES
    with pytest.raises(sf.LibsndfileError):
        Compress("mp3", 0.5)(x, 12345)


@pytest.mark.parametrize("bad", [dict(codec="aac"), dict(codec="mp3", compression_level=1.5)])
def test_invalid_settings_raise_value_error(bad):
    with pytest.raises(ValueError):
        Compress(**bad)


def test_recording_compress_records_the_transform(fixtures_dir):
    rec = Recording.from_file(fixtures_dir / SPEECH)
    mp3 = rec.compress("mp3", 0.9)
    assert mp3.transforms == [Compress("mp3", 0.9)]
    assert (mp3.id, mp3.duration, mp3.sampling_rate) == (rec.id, rec.duration, rec.sampling_rate)
    assert mp3.load_audio(duration=1.0).shape == (1, 16000)
    gsm = rec.compress("gsm")
    assert gsm.transforms == [Resample(16000, 8000), Compress("gsm", 0.99), Resample(8000, 16000)]
    assert gsm.load_audio(offset=1.0, duration=0.5).shape == (1, 8000)
    with pytest.raises(ValueError):
        rec.compress("flac")
    with pytest.raises(ValueError):
        rec.compress("opus", -0.1)
    # The manifest form is lhotse's and reads back.
    assert Recording.from_dict(gsm.to_dict()) == gsm
    assert gsm.to_dict()["transforms"][1] == {
        "name": "Compress",
        "kwargs": {"codec": "gsm", "compression_level": 0.99},
    }


def test_same_output_as_lhotse(speech):
    lhotse_aug = pytest.importorskip("lhotse.augmentation")
    for codec in ("opus", "mp3", "vorbis"):
        ours = Compress(codec, 0.6)
        theirs = lhotse_aug.AudioTransform.from_dict(ours.to_dict())
        np.testing.assert_array_equal(ours(speech, 16000), theirs(speech, 16000))
    assert isinstance(AudioTransform.from_dict(theirs.to_dict()), Compress)
