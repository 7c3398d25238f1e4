"""The fast read paths: direct libopus decoding with a page index, int16 PCM reads.

The reference is libsndfile through soundfile's public API (an independent
path): full decodes must equal it bit for bit, ranged reads must equal the
full decode (exactly for lossless formats; for Opus as closely as
libsndfile's own seeking gets), consecutive windows must join exactly.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from nuptse.audio import handles, opus
from nuptse.audio.backend import clear_audio_handle_cache, read_audio_samples

needs_libopus = pytest.mark.skipif(
    not opus.direct_opus_available(), reason="libopus shared library not found"
)


def _speech(fixtures_dir, seconds: float) -> np.ndarray:
    x, sr = sf.read(fixtures_dir / "libri/libri-1088-134315-0000.wav", dtype="int16")
    n = int(seconds * sr)
    return np.tile(x, n // len(x) + 1)[:n]


@pytest.fixture(scope="module")
def long_opus(fixtures_dir, tmp_path_factory):
    """40 s of 16 kHz speech as Ogg Opus (long enough that reads really seek)."""
    path = tmp_path_factory.mktemp("opus") / "long.opus"
    sf.write(path, _speech(fixtures_dir, 40.0), 16000, format="OGG", subtype="OPUS")
    return path


def _reference(path) -> np.ndarray:
    return sf.read(path, dtype="float32", always_2d=True)[0].T


def test_self_check_passes_with_the_libopus_in_use():
    # direct_opus_available() is only True after the once-per-process check
    # found libopus decoding exactly as libsndfile's built-in copy
    if opus.direct_opus_available():
        assert opus._match == [True]


def _uses_direct_decoder(path) -> bool:
    return any(h._opus for h in handles._handles.items.values() if h.path == str(path))


@needs_libopus
@pytest.mark.parametrize("rel", ["stereo.opus", "mono_c0.opus"])
def test_direct_opus_full_decode_equals_libsndfile(fixtures_dir, rel):
    clear_audio_handle_cache()
    path = fixtures_dir / rel
    audio, sr = read_audio_samples(path)
    assert _uses_direct_decoder(path)
    np.testing.assert_array_equal(audio, _reference(path))
    assert sr == sf.info(path).samplerate


@needs_libopus
def test_direct_opus_ranged_reads(long_opus):
    clear_audio_handle_cache()
    full = _reference(long_opus)
    ours_full, _ = read_audio_samples(long_opus)
    np.testing.assert_array_equal(ours_full, full)
    rng = np.random.default_rng(0)
    n = full.shape[1]
    ours_err, theirs_err = [], []
    with sf.SoundFile(long_opus) as f:
        for _ in range(12):
            start = int(rng.integers(0, n - 40000))
            num = int(rng.integers(1, 32000))
            part, _ = read_audio_samples(long_opus, start, num)
            assert part.shape == (1, num)
            f.seek(start)
            theirs = f.read(num, dtype="float32", always_2d=True).T
            ours_err.append(np.abs(part - full[:, start : start + num]).max())
            theirs_err.append(np.abs(theirs - full[:, start : start + num]).max())
    assert _uses_direct_decoder(long_opus)
    # Opus decoders converge after a seek but not always bit-exactly (libsndfile
    # neither): the errors stay at the codec's quantization level.
    assert max(ours_err) < 1e-2
    assert np.median(ours_err) <= max(np.median(theirs_err), 1e-4)


@needs_libopus
def test_direct_opus_consecutive_windows_and_end(long_opus):
    clear_audio_handle_cache()
    start, step = 123457, 4001
    windows = [read_audio_samples(long_opus, start + i * step, step)[0] for i in range(7)]
    clear_audio_handle_cache()
    whole, _ = read_audio_samples(long_opus, start, 7 * step)
    np.testing.assert_array_equal(np.concatenate(windows, axis=1), whole)
    # windows shorter than one Opus packet (20 ms = 320 samples here)
    clear_audio_handle_cache()
    tiny = [read_audio_samples(long_opus, start + i * 77, 77)[0] for i in range(30)]
    np.testing.assert_array_equal(np.concatenate(tiny, axis=1), whole[:, : 30 * 77])
    n = sf.info(long_opus).frames
    tail, _ = read_audio_samples(long_opus, n - 10, 500)
    assert tail.shape == (1, 10)
    np.testing.assert_allclose(tail, _reference(long_opus)[:, -10:], atol=1e-2)


@needs_libopus
def test_direct_opus_from_bytes(fixtures_dir, monkeypatch):
    import io

    calls = []
    real = opus.open_opus
    monkeypatch.setattr(opus, "open_opus", lambda *a: calls.append(a) or real(*a))
    path = fixtures_dir / "stereo.opus"
    data = path.read_bytes()
    audio, sr = read_audio_samples(io.BytesIO(data))
    assert calls and isinstance(calls[0][0], bytes)
    np.testing.assert_array_equal(audio, _reference(path))
    part, _ = read_audio_samples(io.BytesIO(data), 2400, 1600)
    np.testing.assert_array_equal(part, audio[:, 2400:4000])


@pytest.mark.parametrize("why", ["no libopus", "libopus decodes differently"])
def test_opus_without_a_matching_libopus_uses_libsndfile(long_opus, monkeypatch, why):
    if why == "no libopus":
        monkeypatch.setattr(opus, "_lib", [None])
    else:
        monkeypatch.setattr(opus, "_match", [False])
    assert not opus.direct_opus_available()
    clear_audio_handle_cache()
    part, _ = read_audio_samples(long_opus, 50000, 16000)
    assert not _uses_direct_decoder(long_opus)
    with sf.SoundFile(long_opus) as f:
        f.seek(50000)
        np.testing.assert_array_equal(part, f.read(16000, dtype="float32", always_2d=True).T)
    clear_audio_handle_cache()


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


def test_opus_packet_durations_add_up_to_granules(long_opus):
    """The TOC-byte durations we skip packets by agree with the pages' granules."""
    data = long_opus.read_bytes()
    import io

    index = opus._scan(io.BytesIO(data))
    assert index is not None
    total = 0
    for page in range(index.first_audio, len(index.granules)):
        total += sum(opus._packet_samples(p) for p in opus._page_packets(data, index.offsets[page]))
        g = index.granules[page]
        if page < len(index.granules) - 1 and g != -1 and index.fresh[page + 1]:
            assert total == g
    assert 0 <= total - index.granules[-1] < 5760


def test_a_damaged_page_leaves_the_file_to_libsndfile(long_opus, tmp_path):
    data = bytearray(long_opus.read_bytes())
    assert opus._scan(io.BytesIO(bytes(data))) is not None
    data[len(data) // 2] ^= 0x5A  # inside some page: its checksum no longer matches
    bad = tmp_path / "bad.opus"
    bad.write_bytes(bytes(data))
    assert opus._scan(io.BytesIO(bytes(data))) is None
    clear_audio_handle_cache()
    try:
        read_audio_samples(bad, 16000, 16000)
    except Exception:
        pass  # libsndfile may reject the damage; either way not our decoder
    assert not _uses_direct_decoder(bad)
    clear_audio_handle_cache()
