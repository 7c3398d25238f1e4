"""AudioMixer on real speech: offsets, SNR gains and channel handling, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from nuptse.audio.mixer import AudioMixer, audio_energy


@pytest.fixture(scope="module")
def two_utterances(fixtures_dir):
    a, _ = sf.read(
        fixtures_dir / "mix_cut_test/audio/storage/2412-153948-0000.flac",
        dtype="float32",
        frames=16000,
    )
    b, _ = sf.read(
        fixtures_dir / "mix_cut_test/audio/storage/2412-153948-0001.flac",
        dtype="float32",
        frames=8000,
    )
    return a[None, :], b[None, :]


def test_mix_at_offset_and_snr(two_utterances):
    a, b = two_utterances
    m = AudioMixer(a, sampling_rate=16000)
    m.add_to_mix(b, snr=5.0, offset=0.75)
    # The added track is scaled so that power(a) / power(scaled b) = 10 ** (5 / 10).
    gain = np.sqrt(
        np.mean(a.astype(np.float64) ** 2) / np.mean(b.astype(np.float64) ** 2) / 10**0.5
    )
    expected = np.zeros((1, 12000 + 8000), dtype=np.float64)
    expected[:, :16000] += a
    expected[:, 12000:] += gain * b
    np.testing.assert_allclose(m.mixed_audio, expected, atol=1e-6)
    assert m.mixed_audio.dtype == np.float32
    tracks = m.unmixed_audio
    assert [t.shape for t in tracks] == [(1, 20000), (1, 20000)]
    snr = 10 * np.log10(audio_energy(a) / audio_energy(tracks[1][:, 12000:]))
    assert snr == pytest.approx(5.0, abs=1e-4)


def test_mono_track_into_stereo_and_mono_downmix(two_utterances):
    a, b = two_utterances
    stereo = np.vstack([a, 0.5 * a])
    m = AudioMixer(stereo, sampling_rate=16000)
    m.add_to_mix(b)
    expected = stereo.copy()
    expected[:, :8000] += b
    np.testing.assert_allclose(m.mixed_audio, expected, atol=1e-7)
    np.testing.assert_allclose(
        m.mixed_mono_audio, expected.sum(axis=0, keepdims=True) - b_pad(b, 16000), atol=1e-6
    )
    with pytest.raises(ValueError, match="3-channel"):
        m.add_to_mix(np.zeros((3, 10), dtype=np.float32))


def b_pad(b, n):
    # The mono downmix adds the mono track once, not once per channel.
    out = np.zeros((1, n), dtype=np.float64)
    out[:, : b.shape[1]] = b
    return out


def test_empty_and_negative_offset(two_utterances):
    a, _ = two_utterances
    m = AudioMixer(a, sampling_rate=16000)
    m.add_to_mix(np.array([]), offset=2.0)
    np.testing.assert_array_equal(m.mixed_audio, a)
    with pytest.raises(ValueError):
        m.add_to_mix(a, offset=-0.1)
