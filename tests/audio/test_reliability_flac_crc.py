"""Damaged FLAC frames raise instead of decoding to other audio."""

import io

import numpy as np
import pytest
import soundfile as sf

from nuptse.audio import AudioSource
from nuptse.audio.errors import AudioLoadingError
from nuptse.audio.flac_crc import FlacCrcError, flac_crc_error


@pytest.fixture(scope="module")
def flac_bytes(fixtures_dir):
    data, sr = sf.read(fixtures_dir / "stereo.wav", dtype="int16")
    buf = io.BytesIO()
    sf.write(buf, data, sr, format="FLAC")
    return buf.getvalue(), data.T


def _mutations(data, n=25, seed=7):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        d = bytearray(data)
        pos = int(rng.integers(200, len(d)))  # past the header: audio frames
        d[pos] ^= 1 << int(rng.integers(0, 8))
        yield pos, bytes(d)


def _load(kind, data, tmp_path):
    if kind == "memory":
        return AudioSource(type="memory", channels=[0, 1], source=data).load_audio()
    path = tmp_path / f"x{hash(data) & 0xFFFFFF}.flac"
    path.write_bytes(data)
    return AudioSource(type="file", channels=[0, 1], source=str(path)).load_audio()


def test_clean_stream_passes(flac_bytes, tmp_path):
    data, ref = flac_bytes
    assert flac_crc_error(data) is None
    for kind in ("memory", "file"):
        np.testing.assert_array_equal(_load(kind, data, tmp_path), ref / 32768.0)


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_flipped_bits_never_decode_silently(flac_bytes, tmp_path, kind):
    data, ref = flac_bytes
    for pos, bad in _mutations(data):
        try:
            audio = _load(kind, bad, tmp_path)
        except AudioLoadingError:
            continue
        same = audio.shape == ref.shape and np.array_equal(audio, ref / 32768.0)
        assert same, f"a bit flip at byte {pos} decoded to different audio without an error"


def test_error_names_the_file(flac_bytes, tmp_path):
    data, _ = flac_bytes
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 0x10
    path = tmp_path / "damaged.flac"
    path.write_bytes(bytes(bad))
    with pytest.raises(AudioLoadingError, match="damaged.flac"):
        AudioSource(type="file", channels=[0, 1], source=str(path)).load_audio()


def test_check_can_be_turned_off(flac_bytes, tmp_path, monkeypatch):
    data, ref = flac_bytes
    monkeypatch.setenv("NUPTSE_VERIFY_FLAC", "0")
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 0x10
    path = tmp_path / "damaged_off.flac"
    path.write_bytes(bytes(bad))
    try:
        AudioSource(type="file", channels=[0, 1], source=str(path)).load_audio()
    except FlacCrcError:
        pytest.fail("NUPTSE_VERIFY_FLAC=0 should skip the CRC check")
    except AudioLoadingError:
        pass  # the decoder itself may still notice
