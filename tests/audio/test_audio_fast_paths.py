"""The int16 read path: 16-bit PCM read as integers and scaled in numpy.

The reference is libsndfile through soundfile's public API (an independent
path): full decodes must equal it bit for bit, ranged reads must equal the
full decode, and Ogg Opus (read through libsndfile) equals it too.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from nuptse.audio.backend import clear_audio_handle_cache, read_audio_samples


def _reference(path) -> np.ndarray:
    return sf.read(path, dtype="float32", always_2d=True)[0].T


@pytest.mark.parametrize("rel", ["stereo.opus", "mono_c0.opus"])
def test_opus_full_decode_equals_libsndfile(fixtures_dir, rel):
    clear_audio_handle_cache()
    path = fixtures_dir / rel
    audio, sr = read_audio_samples(path)
    assert sr == sf.info(path).samplerate
    np.testing.assert_array_equal(audio, _reference(path))


@pytest.mark.parametrize(
    "rel",
    ["stereo.wav", "rir/real_8ch.wav", "mix_cut_test/audio/storage/2412-153948-0000.flac"],
)
def test_int16_path_equals_libsndfile_float(fixtures_dir, rel):
    clear_audio_handle_cache()
    path = fixtures_dir / rel
    assert sf.info(path).subtype == "PCM_16"
    ref = _reference(path)
    full, _ = read_audio_samples(path)
    assert full.dtype == np.float32 and full.flags.c_contiguous
    np.testing.assert_array_equal(full, ref)
    part, _ = read_audio_samples(path, 17, 301)
    np.testing.assert_array_equal(part, ref[:, 17:318])


def test_float_wav_keeps_values(tmp_path):
    x = np.linspace(-0.9, 0.9, 999, dtype=np.float32)[None, :]
    path = tmp_path / "f.wav"
    sf.write(path, x.T, 8000, subtype="FLOAT")
    full, _ = read_audio_samples(path)
    np.testing.assert_array_equal(full, x)
    part, _ = read_audio_samples(path, 100, 50)
    np.testing.assert_array_equal(part, x[:, 100:150])
