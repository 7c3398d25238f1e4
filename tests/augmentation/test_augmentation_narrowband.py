"""Narrowband (telephone) simulation and the torch sinc resampler."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from nuptse.audio import Recording
from nuptse.audio.resampling import polyphase_resample, sinc_resample
from nuptse.augmentation import MuLawCodec, Narrowband

SPEECH = "libri/libri-1088-134315-0000.wav"


def test_mulaw_has_256_levels_and_follows_the_g711_curve():
    x = np.linspace(-1, 1, 100001, dtype=np.float32)[None, :]
    y = MuLawCodec()(x)
    assert len(np.unique(y)) == 256
    # Hand-computed: 0.5 compands to ln(1 + 127.5) / ln(256) = 0.8751, level round(0.8751 * 127.5 + 127.5) = 239,
    # which expands back to (256 ** (2 * 239 / 255 - 1) - 1) / 255.
    expected = (256 ** (2 * 239 / 255 - 1) - 1) / 255
    assert MuLawCodec()(np.array([[0.5]]))[0, 0] == pytest.approx(expected, rel=1e-6)
    # Quantisation error grows with the amplitude (logarithmic steps).
    err = np.abs(y - x)[0]
    assert err[np.abs(x[0]) < 0.01].max() < 1e-3 < err[np.abs(x[0]) > 0.9].max()


def test_recording_narrowband_keeps_or_changes_the_rate(fixtures_dir):
    rec = Recording.from_file(fixtures_dir / SPEECH)
    nb = rec.narrowband("mulaw")
    assert (nb.id, nb.sampling_rate, nb.num_samples) == (
        f"{rec.id}_nb_mulaw",
        16000,
        rec.num_samples,
    )
    audio = nb.load_audio(duration=2.0)
    assert audio.shape == (1, 32000)
    # Nothing is left above the 4 kHz Nyquist frequency of the telephone band.
    spec = np.abs(np.fft.rfft(audio[0])) ** 2
    f = np.fft.rfftfreq(32000, 1 / 16000)
    assert spec[f > 4200].sum() < 1e-3 * spec.sum()
    low = rec.narrowband("mulaw", restore_orig_sr=False, affix_id=False)
    assert (low.id, low.sampling_rate, low.num_samples) == (rec.id, 8000, rec.num_samples // 2)
    x, _ = sf.read(fixtures_dir / SPEECH, dtype="float32", frames=16000)
    expected = MuLawCodec()(polyphase_resample(x[None, :], 16000, 8000))
    np.testing.assert_allclose(low.load_audio(duration=1.0), expected, atol=1e-6)
    assert Recording.from_dict(low.to_dict()) == low


def test_unknown_codec_and_missing_spandsp():
    with pytest.raises(ValueError, match="gsm"):
        Narrowband("gsm", 16000, True)
    import ctypes.util

    if ctypes.util.find_library("spandsp") is None:
        with pytest.raises(RuntimeError, match="SpanDSP"):
            Narrowband("lpc10", 16000, True)(np.zeros((1, 1600), np.float32), 16000)


def test_resample_tensor_matches_the_numpy_resampler_and_lhotse(fixtures_dir):
    torch = pytest.importorskip("torch")
    from nuptse.augmentation import ResampleTensor, get_or_create_resampler

    x, _ = sf.read(fixtures_dir / "ljspeech/storage/LJ002-0020.wav", dtype="float32")
    batch = torch.from_numpy(np.stack([x, -x]))
    out = ResampleTensor(22050, 16000)(batch).numpy()
    np.testing.assert_allclose(out[0], sinc_resample(x[None], 22050, 16000)[0], atol=1e-6)
    np.testing.assert_allclose(out[1], -out[0], atol=1e-7)
    assert get_or_create_resampler(22050, 16000) is get_or_create_resampler(22050, 16000)
    lhotse_resample = pytest.importorskip("lhotse.augmentation.resample")
    theirs = lhotse_resample.Resample(22050, 16000)(batch).numpy()
    np.testing.assert_allclose(out, theirs, atol=1e-5)
