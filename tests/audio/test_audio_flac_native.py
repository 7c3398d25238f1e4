"""FLAC reads through the system libFLAC (nuptse.audio.flac_native).

The reference is libsndfile through soundfile's public API: every read must
equal its samples bit for bit, and whatever the direct path does not handle
(corrupt data, missing or misbehaving libFLAC) must give what the libsndfile
path gives.
"""

from __future__ import annotations

import os
import shutil
import threading

import numpy as np
import pytest
import soundfile as sf

from nuptse.audio import flac_native, handles
from nuptse.audio.backend import clear_audio_handle_cache, read_audio, read_audio_samples
from nuptse.audio.errors import AudioLoadingError, OffsetOutOfRangeError

needs_libflac = pytest.mark.skipif(
    not flac_native.direct_flac_available(), reason="libFLAC shared library not usable"
)


def _speech(fixtures_dir, seconds: float, channels: int = 1) -> np.ndarray:
    x, sr = sf.read(fixtures_dir / "libri/libri-1088-134315-0000.wav", dtype="int16")
    n = int(seconds * sr)
    mono = np.tile(x, n // len(x) + 2)
    cols = [mono[i * 3001 : i * 3001 + n] for i in range(channels)]
    return np.stack(cols, axis=1)


@pytest.fixture(scope="module")
def long_flac(fixtures_dir, tmp_path_factory):
    """70 s of 16 kHz speech as 16-bit FLAC (274 frames: 1 and 2-byte frame numbers)."""
    path = tmp_path_factory.mktemp("flac") / "long.flac"
    sf.write(path, _speech(fixtures_dir, 70.0), 16000, subtype="PCM_16")
    return path


def _reference(path) -> np.ndarray:
    return sf.read(path, dtype="float32", always_2d=True)[0].T


def _direct(path):
    """The direct reader of ``path``'s cached handle (None if it is not used)."""
    for h in handles._handles.items.values():
        if h.path == str(path):
            return h._flac or None
    return None


@pytest.fixture
def no_direct_flac(monkeypatch):
    """Read FLAC through libsndfile only, as when libFLAC is missing."""
    monkeypatch.setattr(flac_native, "_lib", [None])
    clear_audio_handle_cache()
    yield
    clear_audio_handle_cache()


def test_self_check_result_is_recorded():
    if flac_native.direct_flac_available():
        assert flac_native._match == [True]


@needs_libflac
def test_random_reads_equal_libsndfile(long_flac):
    clear_audio_handle_cache()
    full = _reference(long_flac)
    n = full.shape[1]
    rng = np.random.default_rng(1)
    for _ in range(60):
        start = int(rng.integers(0, n))
        num = int(rng.integers(0, 50000))
        part, sr = read_audio_samples(long_flac, start, num)
        assert sr == 16000
        np.testing.assert_array_equal(part, full[:, start : start + num])
    reader = _direct(long_flac)
    assert reader is not None and not reader.closed
    # the frame search found frames with 1 and 2-byte UTF-8 frame numbers
    assert max(reader.known_frames[:-1]) >= 128


@needs_libflac
def test_reads_in_seconds_and_at_the_edges(long_flac):
    clear_audio_handle_cache()
    full = _reference(long_flac)
    n = full.shape[1]
    for start, num in [(0, 1), (0, 4096), (4095, 2), (4096, 4096), (n - 1, 5), (n - 4097, 10)]:
        part, _ = read_audio_samples(long_flac, start, num)
        np.testing.assert_array_equal(part, full[:, start : start + num])
    part, _ = read_audio(long_flac, 12.34567, 2.0)
    np.testing.assert_array_equal(part, full[:, 197531 : 197531 + 32000])
    whole, _ = read_audio(long_flac)
    np.testing.assert_array_equal(whole, full)
    assert _direct(long_flac) is not None
    with pytest.raises(OffsetOutOfRangeError):
        read_audio_samples(long_flac, n + 10, 100)
    empty, _ = read_audio_samples(long_flac, 1000, 0)
    assert empty.shape == (1, 0) and empty.dtype == np.float32


@needs_libflac
def test_consecutive_windows_join_exactly(long_flac):
    clear_audio_handle_cache()
    full = _reference(long_flac)
    parts = [read_audio_samples(long_flac, i * 7000, 7000)[0] for i in range(40)]
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), full[:, : 40 * 7000])
    # backwards, overlapping, and repeated
    for start in (100000, 95000, 95000, 96000, 3):
        part, _ = read_audio_samples(long_flac, start, 9000)
        np.testing.assert_array_equal(part, full[:, start : start + 9000])


@needs_libflac
@pytest.mark.parametrize(
    "rel", ["stereo.wav", "rir/real_8ch.wav", "mix_cut_test/audio/storage/2412-153948-0000.flac"]
)
def test_fixture_audio_as_flac(fixtures_dir, tmp_path, rel):
    # multi-channel FLAC made from the fixtures' WAVs (stereo, 8 channels)
    x, sr = sf.read(fixtures_dir / rel, dtype="int16", always_2d=True)
    path = tmp_path / "audio.flac"
    sf.write(path, x, sr, subtype="PCM_16")
    clear_audio_handle_cache()
    full = _reference(path)
    n = full.shape[1]
    for start, num in [(0, None), (n // 3, n // 4), (n - 7, 100), (1, n - 2)]:
        part, _ = read_audio_samples(path, start, num)
        np.testing.assert_array_equal(
            part, full[:, start:] if num is None else full[:, start : start + num]
        )
    assert _direct(path) is not None


@needs_libflac
def test_flac_cli_files_with_seektable_and_padding(fixtures_dir):
    # made by `flac -8`: SEEKTABLE, VORBIS_COMMENT and PADDING before the audio
    clear_audio_handle_cache()
    for path in sorted((fixtures_dir / "mini_corpus/dev-clean-2/9001/500").glob("*.flac"))[:3]:
        full = _reference(path)
        n = full.shape[1]
        for start, num in [(0, None), (n // 2, 5000), (n - 4100, 4100)]:
            part, _ = read_audio_samples(path, start, num)
            want = full[:, start:] if num is None else full[:, start : start + num]
            np.testing.assert_array_equal(part, want)
        assert _direct(path) is not None


@needs_libflac
@pytest.mark.parametrize("subtype", ["PCM_24", "PCM_S8"])
def test_other_sample_sizes_are_exact(fixtures_dir, tmp_path, subtype):
    rng = np.random.default_rng(2)
    x = np.clip(_speech(fixtures_dir, 3.0, 2) / 32768 + rng.normal(0, 1e-3, (48000, 2)), -1, 1)
    path = tmp_path / "audio.flac"
    sf.write(path, x, 16000, subtype=subtype)
    clear_audio_handle_cache()
    full = _reference(path)
    for start, num in [(0, None), (5000, 20000), (47000, 5000)]:
        part, _ = read_audio_samples(path, start, num)
        np.testing.assert_array_equal(
            part, full[:, start:] if num is None else full[:, start : start + num]
        )
    assert _direct(path) is not None


def _outcome(path, start, num):
    clear_audio_handle_cache()
    try:
        return read_audio_samples(path, start, num)[0]
    except AudioLoadingError as e:
        return type(e)
    except Exception as e:  # noqa: BLE001 - compared between the two paths
        return type(e)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and np.array_equal(a, b)
    return a is b


@needs_libflac
@pytest.mark.parametrize("damage", ["flipped", "truncated", "zeroed"])
def test_damaged_files_behave_as_with_libsndfile(long_flac, tmp_path, monkeypatch, damage):
    data = bytearray(long_flac.read_bytes())
    mid = len(data) // 2
    if damage == "flipped":
        for i in range(mid, mid + 4000, 97):
            data[i] ^= 0x5A
    elif damage == "truncated":
        data = data[:mid]
    else:
        data[mid : mid + 20000] = bytes(20000)
    path = tmp_path / "damaged.flac"
    path.write_bytes(bytes(data))
    n = sf.info(path).frames
    spans = [(0, 32000), (n // 2 - 16000, 32000), (n // 2 + 30000, 32000), (n - 32000, 32000)]
    spans += [(0, None), (n // 4, None)]
    ours = [_outcome(path, s, k) for s, k in spans]
    with monkeypatch.context() as m:
        m.setattr(flac_native, "_lib", [None])
        theirs = [_outcome(path, s, k) for s, k in spans]
    clear_audio_handle_cache()
    for span, a, b in zip(spans, ours, theirs):
        assert _same(a, b), (span, a, b)


@needs_libflac
def test_fallback_after_a_failed_read_keeps_serving_libsndfile(long_flac, tmp_path):
    path = tmp_path / "damaged.flac"
    data = bytearray(long_flac.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 3000, 50):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    clear_audio_handle_cache()
    full = _reference(long_flac)
    first, _ = read_audio_samples(path, 1000, 3000)  # undamaged: direct
    np.testing.assert_array_equal(first, full[:, 1000:4000])
    assert _direct(path) is not None
    n = full.shape[1]
    try:
        read_audio_samples(path, n // 2 - 20000, 40000)
    except AudioLoadingError:
        pass
    assert _direct(path) is None  # given up for this file
    again, _ = read_audio_samples(path, 1000, 3000)
    np.testing.assert_array_equal(again, first)


def test_missing_libflac_falls_back(long_flac, monkeypatch):
    monkeypatch.setattr(flac_native, "_lib", [])
    monkeypatch.setattr(flac_native.ctypes.util, "find_library", lambda name: None)
    assert not flac_native.direct_flac_available()
    assert flac_native.open_flac(str(long_flac), 16000, 1, sf.info(long_flac).frames) is None
    clear_audio_handle_cache()
    part, _ = read_audio_samples(long_flac, 50000, 20000)
    np.testing.assert_array_equal(part, _reference(long_flac)[:, 50000:70000])
    assert _direct(long_flac) is None
    clear_audio_handle_cache()


def test_disabled_by_environment(monkeypatch):
    monkeypatch.setattr(flac_native, "_lib", [])
    monkeypatch.setenv(flac_native.DIRECT_FLAC_ENV, "0")
    assert not flac_native.direct_flac_available()


def test_failing_self_check_disables_the_path(long_flac, monkeypatch):
    monkeypatch.setattr(flac_native, "_match", [])
    monkeypatch.setattr(flac_native, "_self_check", lambda: False)
    assert not flac_native.direct_flac_available()
    clear_audio_handle_cache()
    part, _ = read_audio_samples(long_flac, 5, 100)
    np.testing.assert_array_equal(part, _reference(long_flac)[:, 5:105])
    assert _direct(long_flac) is None
    clear_audio_handle_cache()


@needs_libflac
def test_stream_that_disagrees_with_libsndfile_is_not_taken(long_flac):
    n = sf.info(long_flac).frames
    assert flac_native.open_flac(str(long_flac), 16000, 1, n + 1) is None
    assert flac_native.open_flac(str(long_flac), 8000, 1, n) is None
    reader = flac_native.open_flac(str(long_flac), 16000, 1, n)
    assert reader is not None
    reader.close()
    reader.close()
    assert reader.read(0, 10) is None


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _utf8_number(v: int) -> bytes:
    if v < 0x80:
        return bytes([v])
    for extra, top in ((1, 0xC0), (2, 0xE0), (3, 0xF0), (4, 0xF8), (5, 0xFC)):
        if v < 1 << (6 * extra + 6 - extra):
            out = []
            for _ in range(extra):
                out.append(0x80 | (v & 0x3F))
                v >>= 6
            return bytes([top | v, *reversed(out)])
    raise ValueError(v)


@pytest.mark.parametrize("number", [0, 127, 128, 2047, 2048, 65535, 65536, 2**21, 2**26 + 5])
def test_frame_header_numbers(number):
    stream = flac_native._Stream(4096, 16000, 1, 16, 4096 * (number + 10))
    # sync + fixed blocking, blocksize code 12 (4096), rate code 5 (16 kHz),
    # mono, 16 bits
    head = b"\xff\xf8" + bytes([0xC5, 0x08]) + _utf8_number(number)
    frame = head + bytes([_crc8(head)])
    assert flac_native._parse_header(b"\x00" + frame + b"\x00", 1, stream) == number
    bad = frame[:-1] + bytes([frame[-1] ^ 1])
    assert flac_native._parse_header(bad, 0, stream) == -1
    wrong_rate = b"\xff\xf8" + bytes([0xC4, 0x08]) + _utf8_number(number)
    assert flac_native._parse_header(wrong_rate + bytes([_crc8(wrong_rate)]), 0, stream) == -1
    assert flac_native._parse_header(frame[:-1], 0, stream) == -1  # cut short


@needs_libflac
def test_threads_read_the_same_file(long_flac):
    full = _reference(long_flac)
    errors = []

    def work(seed):
        try:
            rng = np.random.default_rng(seed)
            for _ in range(15):
                start = int(rng.integers(0, full.shape[1] - 20000))
                part, _ = read_audio_samples(long_flac, start, 20000)
                if not np.array_equal(part, full[:, start : start + 20000]):
                    errors.append(start)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@needs_libflac
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_does_not_disturb_the_parent(long_flac):
    clear_audio_handle_cache()
    full = _reference(long_flac)
    read_audio_samples(long_flac, 10, 4000)  # the parent holds an open direct reader
    reader = _direct(long_flac)
    assert reader is not None
    pid = os.fork()
    if pid == 0:  # child: read, drop the inherited cache, exit
        code = 0
        try:
            part, _ = read_audio_samples(long_flac, 300000, 30000)
            if not np.array_equal(part, full[:, 300000:330000]):
                code = 1
            del part
            import gc

            gc.collect()
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    # the parent continues where it stopped, from its own FILE buffer and offset
    for start in (4010, 8000, 12000, 500000):
        part, _ = read_audio_samples(long_flac, start, 4000)
        np.testing.assert_array_equal(part, full[:, start : start + 4000])
    assert _direct(long_flac) is reader


def test_non_flac_and_unsupported_files_are_not_taken(fixtures_dir, tmp_path):
    wav = fixtures_dir / "stereo.wav"
    assert flac_native.open_flac(str(wav), 8000, 2, 8000) is None
    copy = tmp_path / "x.flac"
    shutil.copy(wav, copy)
    assert flac_native.open_flac(str(copy), 8000, 2, 8000) is None
