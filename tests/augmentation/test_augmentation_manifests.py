"""Transforms in manifests: written as lhotse writes them, read both ways."""

from __future__ import annotations

import numpy as np
import pytest

from nuptse.audio import Recording
from nuptse.audio.transforms import UnknownTransformError
from nuptse.augmentation import (
    AudioTransform,
    Clipping,
    Compress,
    DereverbWPE,
    LoudnessNormalization,
    Resample,
    Speed,
    Tempo,
    Volume,
)

TRANSFORMS = [
    Speed(factor=1.1),
    Tempo(factor=0.9),
    Volume(factor=0.5),
    Resample(source_sampling_rate=16000, target_sampling_rate=8000),
    Clipping(hard=True, gain_db=6.0, normalize=False),
    Compress(codec="opus", compression_level=0.8),
    LoudnessNormalization(target=-23.0),
    DereverbWPE(taps=5),
]


@pytest.mark.parametrize("t", TRANSFORMS, ids=lambda t: type(t).__name__)
def test_round_trip_and_pickle(t):
    import pickle

    d = t.to_dict()
    assert set(d) == {"name", "kwargs"} and d["name"] == type(t).__name__
    assert AudioTransform.from_dict(d) == t
    assert pickle.loads(pickle.dumps(t)) == t


def test_unknown_name_is_named():
    with pytest.raises(UnknownTransformError, match="Nope"):
        AudioTransform.from_dict({"name": "Nope", "kwargs": {}})


@pytest.mark.parametrize("t", TRANSFORMS, ids=lambda t: type(t).__name__)
def test_lhotse_reads_ours_and_we_read_lhotse(t):
    lhotse_aug = pytest.importorskip("lhotse.augmentation")
    theirs = lhotse_aug.AudioTransform.from_dict(t.to_dict())
    assert type(theirs).__name__ == type(t).__name__
    assert AudioTransform.from_dict(theirs.to_dict()) == t


def test_recording_manifest_with_transforms_round_trips_through_lhotse(fixtures_dir):
    lhotse = pytest.importorskip("lhotse")
    rec = Recording.from_file(fixtures_dir / "libri/libri-1088-134315-0000.wav")
    rec = rec.perturb_volume(0.5).compress("mp3", 0.3).clip_amplitude(gain_db=3.0).resample(8000)
    theirs = lhotse.Recording.from_dict(rec.to_dict())
    again = Recording.from_dict(theirs.to_dict())
    assert again == rec
    # Both load the same number of samples from the same recipe.
    assert theirs.load_audio(duration=0.5).shape == rec.load_audio(duration=0.5).shape == (1, 4000)


def test_speed_matches_lhotse_on_speech(fixtures_dir):
    lhotse = pytest.importorskip("lhotse")
    path = fixtures_dir / "ljspeech/storage/LJ002-0020.wav"
    ours = Recording.from_file(path).perturb_speed(0.9).load_audio()
    theirs = lhotse.Recording.from_file(path).perturb_speed(0.9).load_audio()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
