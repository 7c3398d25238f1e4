"""LibrosaFbank, WhisperFbank and the Slaney mel bank they share (no librosa or whisper needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nuptse.features import LibrosaFbank, LibrosaFbankConfig, WhisperFbank, WhisperFbankConfig
from nuptse.features.librosa_fbank import logmelfilterbank, pad_or_truncate_features
from nuptse.features.slaney import (
    centred_stft_magnitude,
    hz_to_slaney_mel,
    slaney_mel_filters,
    slaney_mel_to_hz,
)


def test_slaney_scale_hand_values():
    # linear below 1 kHz (3 mel per 200 Hz), 27 mel per factor 6.4 above
    assert hz_to_slaney_mel(500.0) == pytest.approx(7.5)
    assert hz_to_slaney_mel(1000.0) == pytest.approx(15.0)
    assert hz_to_slaney_mel(6400.0) == pytest.approx(42.0)
    f = np.array([0.0, 300.0, 999.0, 1000.0, 4321.0, 8000.0])
    np.testing.assert_allclose(slaney_mel_to_hz(hz_to_slaney_mel(f)), f, rtol=1e-12, atol=1e-9)


def test_slaney_filters_are_unit_area_triangles():
    sr, n_fft, n_mels = 16000, 4096, 40  # fine bins: sampled triangles are accurate
    bank = slaney_mel_filters(sr, n_fft, n_mels, 0.0, 8000.0).astype(np.float64)
    assert bank.shape == (n_mels, n_fft // 2 + 1)
    bin_hz = sr / n_fft
    np.testing.assert_allclose(bank.sum(axis=1) * bin_hz, 1.0, rtol=0.02)
    edges = slaney_mel_to_hz(np.linspace(0.0, hz_to_slaney_mel(8000.0), n_mels + 2))
    peaks = bank.argmax(axis=1) * bin_hz
    assert np.all(np.abs(peaks - edges[1:-1]) <= bin_hz)
    # each filter is zero outside its two neighbours' centres
    freqs = np.arange(n_fft // 2 + 1) * bin_hz
    for i in range(n_mels):
        outside = (freqs <= edges[i]) | (freqs >= edges[i + 2])
        assert not bank[i, outside].any()


@pytest.mark.parametrize("n", [1000, 1024, 22050])
def test_centred_stft_equals_torch_stft(n):
    x = np.random.default_rng(n).standard_normal(n)
    ours = centred_stft_magnitude(x, 1024, 256)
    ref = (
        torch.stft(
            torch.from_numpy(x),
            1024,
            256,
            window=torch.hann_window(1024, dtype=torch.float64),
            center=True,
            pad_mode="reflect",
            return_complex=True,
        )
        .abs()
        .T.numpy()
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-9)
    short = centred_stft_magnitude(x, 1024, 256, win_length=512)
    ref = (
        torch.stft(
            torch.from_numpy(x),
            1024,
            256,
            win_length=512,
            window=torch.hann_window(512, dtype=torch.float64),
            center=True,
            pad_mode="reflect",
            return_complex=True,
        )
        .abs()
        .T.numpy()
    )
    np.testing.assert_allclose(short, ref, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n", [22050, 11025, 1024, 512, 24000, 16000])
def test_librosa_fbank_frame_counts(n):
    fe = LibrosaFbank()
    feats = fe.extract(np.zeros(n, dtype=np.float32), 22050)
    # centred frames: ceil((n - fft + 2 * hop) / hop + 1), within one frame
    expected = math.ceil((n - 1024 + 2 * 256) / 256 + 1)
    assert abs(feats.shape[0] - expected) <= 1 and feats.shape[1] == 80
    assert fe.frame_shift == 256 / 22050


def test_librosa_fbank_values():
    sr = 22050
    t = np.arange(sr) / sr
    x = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    feats = logmelfilterbank(x, sr)
    bank = slaney_mel_filters(sr, 1024, 80, 80, 7600)
    mags = centred_stft_magnitude(x, 1024, 256)
    want = np.log10(np.maximum(1e-10, mags @ bank.T.astype(np.float64)))
    np.testing.assert_allclose(feats, want[: feats.shape[0]], rtol=1e-6)
    # the band holding 1 kHz is the loudest
    centers = slaney_mel_to_hz(np.linspace(hz_to_slaney_mel(80), hz_to_slaney_mel(7600), 82))[1:-1]
    assert abs(centers[feats[40].argmax()] - 1000) < 100
    with pytest.raises(ValueError, match="44100"):
        LibrosaFbank(LibrosaFbankConfig()).extract(x, 44100)


@pytest.mark.parametrize(
    "n,expected,tol,ok",
    [(5, 5, 0, True), (5, 4, 1, True), (5, 7, 2, True), (5, 4, 0, False), (5, 8, 2, False)],
)
def test_pad_or_truncate(n, expected, tol, ok):
    feats = np.ones((n, 3))
    if not ok:
        with pytest.raises(ValueError, match=str(expected)):
            pad_or_truncate_features(feats, expected, tol)
        return
    out = pad_or_truncate_features(feats, expected, tol, pad_value=-5.0)
    assert out.shape == (expected, 3)
    assert (out[n:] == -5.0).all()


def test_whisper_fbank_against_numpy():
    rng = np.random.default_rng(0)
    x = (0.1 * rng.standard_normal(16000)).astype(np.float32)
    fe = WhisperFbank(WhisperFbankConfig(num_filters=80))
    feats = fe.extract(x, 16000)
    assert feats.shape == (100, 80) and feats.dtype == np.float32
    power = centred_stft_magnitude(x, 400, 160)[:-1] ** 2  # the last frame is dropped
    mel = power @ slaney_mel_filters(16000, 400, 80).T.astype(np.float64)
    log = np.log10(np.maximum(mel, 1e-10))
    log = np.maximum(log, log.max() - 8.0)
    np.testing.assert_allclose(feats, (log + 4.0) / 4.0, atol=1e-4)
    as_tensor = fe.extract(torch.from_numpy(x), 16000)
    assert isinstance(as_tensor, torch.Tensor)
    np.testing.assert_allclose(as_tensor.numpy(), feats)


@pytest.mark.parametrize("n", [22050, 11025, 1024, 512, 24000, 16000, 100])
def test_whisper_fbank_frame_counts(n):
    feats = WhisperFbank().extract(np.zeros(n, dtype=np.float32), 16000)
    assert abs(feats.shape[0] - math.ceil((n - 400 + 2 * 160) / 160 + 1)) <= 1
    with pytest.raises(ValueError, match="16000"):
        WhisperFbank().extract(np.zeros(n, dtype=np.float32), 8000)
