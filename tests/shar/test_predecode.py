"""Decode-ahead: samples decoded in a thread equal a plain load, and are taken once."""

from __future__ import annotations

import io

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")

from nuptse.audio import Recording  # noqa: E402
from nuptse.shar.readers.predecode import decode_memory_audio  # noqa: E402


def _memory_recording(data: bytes) -> Recording:
    with sf.SoundFile(io.BytesIO(data)) as f:
        rate, frames, channels = f.samplerate, f.frames, f.channels
    from nuptse.audio import AudioSource

    return Recording(
        id="r",
        sources=[AudioSource(type="memory", channels=list(range(channels)), source=data)],
        sampling_rate=rate,
        num_samples=frames,
        duration=frames / rate,
    )


def test_decoded_samples_equal_libsndfile(fixtures_dir):
    data = (fixtures_dir / "mini_corpus/dev-clean-2/9001/500/9001-500-0001.flac").read_bytes()
    samples, rate = decode_memory_audio(data)
    ref, ref_rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    assert rate == ref_rate
    np.testing.assert_array_equal(samples, ref.T)


def test_24_bit_stereo_decodes_as_a_plain_read():
    rng = np.random.default_rng(1)
    x = (rng.integers(-(2**23), 2**23, size=(800, 2)) / 2**23).astype(np.float64)
    buf = io.BytesIO()
    sf.write(buf, x, 16000, format="FLAC", subtype="PCM_24")
    samples, rate = decode_memory_audio(buf.getvalue())
    ref, _ = sf.read(io.BytesIO(buf.getvalue()), dtype="float32")
    assert rate == 16000 and samples.shape == (2, 800)
    np.testing.assert_array_equal(samples, ref.T)


def test_undecodable_bytes_are_left_to_load_audio():
    assert decode_memory_audio(b"fLaC" + b"\0" * 200) is None


def test_attached_samples_are_taken_by_the_first_whole_load(fixtures_dir):
    data = (fixtures_dir / "mini_corpus/dev-clean-2/9001/500/9001-500-0001.flac").read_bytes()
    rec = _memory_recording(data)
    plain = rec.load_audio()
    marker = np.full_like(plain, 0.25)  # not what the bytes decode to: shows which was used
    rec.sources[0].attach_decoded(marker, rec.sampling_rate)
    assert rec.to_dict() == _memory_recording(data).to_dict()  # never serialised
    assert rec.sources[0] == _memory_recording(data).sources[0]  # nor compared
    np.testing.assert_array_equal(rec.load_audio(), marker)
    np.testing.assert_array_equal(rec.load_audio(), plain)  # taken: decoded again


def test_a_partial_read_decodes_and_releases_the_samples(fixtures_dir):
    data = (fixtures_dir / "mini_corpus/dev-clean-2/9001/500/9001-500-0001.flac").read_bytes()
    rec = _memory_recording(data)
    plain = rec.load_audio()
    rec.sources[0].attach_decoded(np.zeros_like(plain), rec.sampling_rate)
    part = rec.load_audio(offset=0.5, duration=1.0)
    np.testing.assert_array_equal(part, plain[:, 8000:24000])
    assert rec.sources[0].take_decoded() is None
