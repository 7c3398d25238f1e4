"""nuptse.audio.flac: FFmpeg's FLAC decoder must give libsndfile's samples or step aside."""

from __future__ import annotations

import io

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")
pytest.importorskip("av")

from nuptse.audio.flac import decode_flac16  # noqa: E402


def _libsndfile_int16(data: bytes) -> np.ndarray:
    return sf.read(io.BytesIO(data), dtype="int16", always_2d=True)[0].T


def _flac(samples: np.ndarray, subtype: str = "PCM_16", rate: int = 16000) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, samples, rate, format="FLAC", subtype=subtype)
    return buf.getvalue()


def test_fixture_flacs_match_libsndfile(fixtures_dir):
    paths = sorted(fixtures_dir.rglob("*.flac"))
    assert len(paths) >= 20
    for path in paths:
        data = path.read_bytes()
        got = decode_flac16(data)
        assert got is not None, path
        samples, rate = got
        assert rate == sf.info(str(path)).samplerate
        assert samples.dtype == np.int16
        np.testing.assert_array_equal(samples, _libsndfile_int16(data), err_msg=str(path))


def test_float_scaling_is_libsndfile_float(fixtures_dir):
    data = (fixtures_dir / "mini_corpus/dev-clean-2/9001/500/9001-500-0000.flac").read_bytes()
    ints, _ = decode_flac16(data)
    ref = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)[0].T
    np.testing.assert_array_equal(np.multiply(ints, np.float32(2**-15), dtype=np.float32), ref)


@pytest.mark.parametrize("channels", [2, 3])
def test_multichannel_matches_libsndfile(channels):
    rng = np.random.default_rng(channels)
    x = rng.integers(-32768, 32768, size=(20000, channels)).astype(np.int16)
    data = _flac(x)
    samples, rate = decode_flac16(data)
    assert rate == 16000 and samples.shape == (channels, 20000)
    assert samples.flags.c_contiguous
    np.testing.assert_array_equal(samples, x.T)


def test_other_inputs_fall_back(fixtures_dir):
    good = (fixtures_dir / "mini_corpus/dev-clean-2/9001/500/9001-500-0000.flac").read_bytes()
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x55
    x = np.random.default_rng(0).integers(-(2**23), 2**23, size=(800, 1)) / 2**23
    for bad in [
        b"",
        b"RIFF0000WAVEfmt ",
        (fixtures_dir / "mono_c0.wav").read_bytes(),
        good[:60],  # metadata only
        good[: len(good) // 2],  # truncated: fewer samples than STREAMINFO promises
        bytes(flipped),  # frame CRC mismatch
        _flac(x, "PCM_24"),  # not 16-bit
    ]:
        assert decode_flac16(bad) is None


def test_whole_flac_reads_take_the_checking_decoder_and_match_libsndfile(fixtures_dir, tmp_path):
    """In memory and from a file, a whole read decodes once (CRC-checked) and equals libsndfile."""
    from nuptse.audio import decoders
    from nuptse.audio.backend import read_audio

    path = fixtures_dir / "mini_corpus/dev-clean-2/9001/500/9001-500-0001.flac"
    data = path.read_bytes()
    expected, expected_rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    for src in (io.BytesIO(data), path, str(path)):
        assert decoders._read_whole_flac(src, 0, None) is not None
        got, rate = read_audio(io.BytesIO(data) if isinstance(src, io.BytesIO) else src)
        assert rate == expected_rate
        np.testing.assert_array_equal(got, expected.T)
    # a partial read, or a file not named .flac, goes to libsndfile
    assert decoders._read_whole_flac(io.BytesIO(data), 100, 50) is None
    assert decoders._read_whole_flac(path, 100, None) is None
    other = tmp_path / "speech.bin"
    other.write_bytes(data)
    assert decoders._read_whole_flac(other, 0, None) is None
