"""lhotse's audio backend classes: choosing one, what each reads, the torchaudio names."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
import soundfile as sf

import nuptse
from nuptse.audio import AudioLoadingError, Recording
from nuptse.audio import backend as B


@pytest.fixture(autouse=True)
def fresh_backend(monkeypatch):
    monkeypatch.delenv("LHOTSE_AUDIO_BACKEND", raising=False)
    monkeypatch.delenv("NUPTSE_AUDIO_BACKEND", raising=False)
    B.CURRENT_AUDIO_BACKEND = None
    yield
    B.CURRENT_AUDIO_BACKEND = None


def test_lhotse_names_are_known():
    names = nuptse.available_audio_backends()
    assert names[0] == "default" and names[1:] == sorted(names[1:])
    assert {"LibsndfileBackend", "AudioreadBackend", "TorchaudioDefaultBackend"} <= set(names)
    default = nuptse.get_current_audio_backend()
    assert isinstance(default, B.CompositeAudioBackend)
    assert default is B.get_default_audio_backend()


@pytest.mark.parametrize("how", ["LibsndfileBackend", B.LibsndfileBackend, B.LibsndfileBackend()])
def test_context_manager_restores(how):
    with nuptse.audio_backend(how) as chosen:
        assert isinstance(chosen, B.LibsndfileBackend)
        assert nuptse.get_current_audio_backend() is chosen
    assert isinstance(nuptse.get_current_audio_backend(), B.CompositeAudioBackend)


def test_environment_variable(monkeypatch):
    monkeypatch.setenv("LHOTSE_AUDIO_BACKEND", "AudioreadBackend")
    assert isinstance(nuptse.get_current_audio_backend(), B.AudioreadBackend)


def test_unknown_name():
    with pytest.raises(ValueError, match="NoSuchBackend"):
        nuptse.set_current_audio_backend("NoSuchBackend")


def test_default_falls_back_to_pyav_for_mp4(fixtures_dir):
    path = fixtures_dir / "big_buck_bunny_small.mp4"
    audio, sr = B.read_audio(path, offset=1.0, duration=0.5)
    # Independent reference: decode the whole audio track with PyAV directly.
    with av.open(str(path)) as c:
        frames = [f.to_ndarray() for f in c.decode(audio=0)]
        rate = c.streams.audio[0].rate
    ref = np.concatenate(frames, axis=1)
    assert sr == rate
    start = round(1.0 * rate)
    np.testing.assert_allclose(audio, ref[:, start : start + round(0.5 * rate)], atol=1e-6)
    with nuptse.audio_backend("LibsndfileBackend"):
        with pytest.raises(AudioLoadingError):
            B.read_audio(path)


def test_read_opus_ffmpeg_decodes_at_48k_without_a_program(fixtures_dir):
    path = fixtures_dir / "stereo.opus"
    audio, sr = B.read_opus_ffmpeg(path)
    with av.open(str(path)) as c:
        ref = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
    assert sr == 48000
    np.testing.assert_allclose(audio, ref, atol=1e-6)
    forced, sr8 = B.read_opus_ffmpeg(path, force_opus_sampling_rate=8000)
    assert sr8 == 8000 and forced.shape == (2, -(-ref.shape[1] // 6))


@pytest.mark.parametrize(
    "name",
    ["TorchaudioDefaultBackend", "TorchaudioFFMPEGBackend", "TorchcodecBackend"],
)
def test_torch_backends_say_they_are_not_used(name, fixtures_dir):
    b = B.AudioBackend.new(name)
    assert not b.is_applicable(fixtures_dir / "stereo.wav")
    with pytest.raises(B.AudioBackendUnavailableError, match="nuptse does not use"):
        b.read_audio(fixtures_dir / "stereo.wav")
    with pytest.raises(ImportError):
        B.torchaudio_load(fixtures_dir / "stereo.wav")


def test_info_from_memory_and_recording_load_match(fixtures_dir):
    data = (fixtures_dir / "mono_c0.wav").read_bytes()
    for chosen in ("default", "LibsndfileBackend"):
        with nuptse.audio_backend(chosen):
            meta = B.info(io.BytesIO(data))
            assert (meta.channels, meta.frames, meta.samplerate, meta.duration) == (
                1,
                4000,
                8000,
                0.5,
            )
            rec = Recording.from_file(fixtures_dir / "mono_c0.wav")
            expected, _ = sf.read(fixtures_dir / "mono_c0.wav", dtype="float32")
            np.testing.assert_array_equal(rec.load_audio()[0], expected)


def test_save_audio_uses_the_backend(tmp_path):
    x = (np.arange(1000, dtype=np.float32) / 1000 - 0.5)[None, :]
    B.save_audio(tmp_path / "a.flac", x, 8000)
    y, sr = sf.read(tmp_path / "a.flac", dtype="float32")
    assert sr == 8000
    np.testing.assert_allclose(y, x[0], atol=2**-15)
    B.save_audio(tmp_path / "b.wav", x, 8000, encoding="FLOAT")
    np.testing.assert_array_equal(sf.read(tmp_path / "b.wav", dtype="float32")[0], x[0])


def test_per_decoder_functions(fixtures_dir):
    wav = fixtures_dir / "stereo.wav"
    expected, _ = sf.read(wav, dtype="float32", start=800, frames=1600)
    audio, sr = B.soundfile_load(wav, offset=0.1, duration=0.2)
    np.testing.assert_array_equal(audio, expected.T)
    assert B.soundfile_info(wav).frames == 8000
    # SPHERE holds the same samples as the WAV (see the fixtures README).
    sph, rate = B.read_sph(fixtures_dir / "stereo.sph", offset=0.1, duration=0.2)
    np.testing.assert_array_equal(sph, expected.T)
    assert B.sph_info(fixtures_dir / "stereo.sph")[:3] == (2, 8000, 8000)
    mp3 = fixtures_dir / "common_voice_en_651325.mp3"
    with av.open(str(mp3)) as c:
        n = sum(f.samples for f in c.decode(audio=0))
    assert B.audioread_info(mp3).frames == n
    assert B.audioread_load(mp3, duration=0.5, dtype=np.float64)[0].dtype == np.float64
    with pytest.raises(B.AudioBackendUnavailableError):
        B.torchcodec_load(wav)
