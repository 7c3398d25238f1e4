"""Clipping (saturation): numbers checked against the formula written out in numpy."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from nuptse.audio import Recording
from nuptse.augmentation import AudioTransform, Clipping


@pytest.fixture(scope="module")
def speech(fixtures_dir) -> np.ndarray:
    x, _ = sf.read(fixtures_dir / "ljspeech/storage/LJ002-0020.wav", dtype="float32")
    return x[None, :]


def reference(x: np.ndarray, hard: bool, gain_db: float, normalize: bool) -> np.ndarray:
    """Normalise to a unit peak, drive by the gain, limit, and undo gain and normalisation."""
    x = x.astype(np.float64)
    peak = np.abs(x).max() if normalize else 1.0
    g = 10 ** (gain_db / 20)
    y = x / peak * g
    y = np.clip(y, -1, 1) if hard else np.tanh(y)
    return y / g * peak


@pytest.mark.parametrize("hard", [True, False])
@pytest.mark.parametrize("gain_db", [0.0, 6.0, 20.0])
@pytest.mark.parametrize("normalize", [True, False])
def test_matches_the_formula_on_speech(speech, hard, gain_db, normalize):
    out = Clipping(hard=hard, gain_db=gain_db, normalize=normalize)(speech, 22050)
    assert out.dtype == np.float32 and out.shape == speech.shape
    np.testing.assert_allclose(out, reference(speech, hard, gain_db, normalize), atol=1e-6)


def test_hard_clipping_bounds_the_peak(speech):
    out = Clipping(hard=True, gain_db=12.0)(speech, 22050)
    peak = np.abs(speech).max()
    assert np.abs(out).max() <= peak * 10 ** (-12 / 20) + 1e-6
    # Quiet parts (below the clip level) pass unchanged.
    quiet = np.abs(speech) < peak * 10 ** (-12 / 20) * 0.99
    np.testing.assert_allclose(out[quiet], speech[quiet], rtol=1e-5, atol=1e-7)


def test_silence_and_near_silence_pass_through():
    for level in (0.0, 1e-6):
        x = np.full((1, 100), level, dtype=np.float32)
        np.testing.assert_array_equal(Clipping(gain_db=20.0)(x, 16000), x)


def test_serialised_as_lhotse_writes_it():
    c = Clipping(hard=True, gain_db=3.0, normalize=False)
    d = c.to_dict()
    assert d == {"name": "Clipping", "kwargs": {"hard": True, "gain_db": 3.0, "normalize": False}}
    assert AudioTransform.from_dict(d) == c
    assert c.reverse_timestamps(1.5, 3.0, 16000) == (1.5, 3.0)


def test_recording_clip_amplitude_oversamples(fixtures_dir):
    rec = Recording.from_file(fixtures_dir / "ljspeech/storage/LJ002-0020.wav")
    clipped = rec.clip_amplitude(hard=True, gain_db=10.0, affix_id=True)
    names = [t.to_dict()["name"] for t in clipped.transforms]
    assert names == ["Resample", "Clipping", "Resample"]
    assert clipped.transforms[0].target_sampling_rate == 4 * 22050
    assert clipped.id == f"{rec.id}_cl10.0"
    audio = clipped.load_audio()
    assert audio.shape == (1, rec.num_samples)
    # Saturated, so quieter at the peaks than the original ...
    assert np.abs(audio).max() < np.abs(rec.load_audio()).max()
    # ... and without oversampling the chain is the clipping alone.
    plain = rec.clip_amplitude(hard=True, gain_db=10.0, oversampling=None)
    np.testing.assert_allclose(
        plain.load_audio(), reference(rec.load_audio(), True, 10.0, True), atol=1e-6
    )


def test_same_output_as_lhotse(speech):
    lhotse_aug = pytest.importorskip("lhotse.augmentation")
    ours = Clipping(hard=False, gain_db=6.0)
    theirs = lhotse_aug.AudioTransform.from_dict(ours.to_dict())
    np.testing.assert_allclose(ours(speech, 22050), theirs(speech, 22050), atol=1e-6)
