"""A manifest's sampling rate that differs from the file's is reported, not resampled silently."""

import dataclasses

import numpy as np
import pytest
import soundfile as sf

from nuptse import Recording
from nuptse.audio.errors import SamplingRateMismatchError


@pytest.mark.parametrize("declared", [16000, 4000])
def test_wrong_declared_rate_raises_naming_the_file(fixtures_dir, declared):
    rec = Recording.from_file(fixtures_dir / "mono_c0.wav")
    wrong = dataclasses.replace(
        rec, sampling_rate=declared, num_samples=rec.num_samples * declared // 8000
    )
    with pytest.raises(SamplingRateMismatchError) as err:
        wrong.load_audio()
    msg = str(err.value)
    assert "mono_c0.wav" in msg and "8000 Hz" in msg and f"{declared} Hz" in msg


def test_explicit_resample_still_works(fixtures_dir):
    rec = Recording.from_file(fixtures_dir / "mono_c0.wav")
    out = rec.resample(16000).load_audio()
    assert out.shape == (1, 8000)


def test_opus_declared_at_its_input_rate_loads(fixtures_dir):
    rec = Recording.from_file(fixtures_dir / "stereo.opus")
    audio = rec.load_audio()
    assert audio.shape == (2, rec.num_samples)
    ref, sr = sf.read(fixtures_dir / "stereo.wav", always_2d=True)
    assert sr == rec.sampling_rate and np.isfinite(audio).all()
