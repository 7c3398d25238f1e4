"""Decoding every fixture format: rates, channel counts, sample counts, ranged reads, errors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile as sf

from nuptse.audio import (
    AudioFileNotFoundError,
    AudioLoadingError,
    CorruptAudioError,
    OffsetOutOfRangeError,
    UnsupportedAudioFormatError,
    get_audio_backend_names,
    info,
    list_audio_backends,
    read_audio,
    read_audio_samples,
)

# (path, sampling rate, channels, samples) from the fixtures README.
FORMATS = [
    ("libri/libri-1088-134315-0000.wav", 16000, 1, 256640),
    ("libri/libri-1088-134315-0000_rvb.wav", 16000, 1, 256640),
    ("ami/ES2011a.Headset-0-40s-46s.wav", 16000, 1, 96000),
    ("ljspeech/storage/LJ002-0020.wav", 22050, 1, 33949),
    ("ljspeech/storage/LJ002-0035.wav", 22050, 1, 35229),
    ("mix_cut_test/audio/storage/2412-153948-0000.flac", 16000, 1, 186560),
    ("mix_cut_test/audio/storage/2412-153948-0001.flac", 16000, 1, 168160),
    ("rir/sim_1ch.wav", 16000, 1, 32000),
    ("rir/real_8ch.wav", 16000, 8, 1600),
    ("stereo.wav", 8000, 2, 8000),
    ("stereo.sph", 8000, 2, 8000),
    ("stereo.mp3", 8000, 2, 8000),
    ("stereo.opus", 8000, 2, 8043),
    ("mono_c0.wav", 8000, 1, 4000),
    ("mono_c1.wav", 8000, 1, 4000),
    ("mono_c0.opus", 8000, 1, 4043),
    ("common_voice_en_651325.mp3", 48000, 1, 114048),
    ("big_buck_bunny_small.mp4", 48000, 6, 254976),
    ("mini_corpus/longform/dialogue.wav", 16000, 2, 976000),
    ("mini_corpus/dev-clean-2/9001/500/9001-500-0005.flac", 16000, 1, 19665),
]


@pytest.mark.parametrize("rel,rate,channels,samples", FORMATS)
def test_info_and_full_decode_agree_with_known_values(fixtures_dir, rel, rate, channels, samples):
    path = fixtures_dir / rel
    i = info(path)
    assert (i.samplerate, i.channels, i.frames) == (rate, channels, samples)
    assert i.duration == samples / rate
    audio, sr = read_audio(path)
    assert sr == rate
    assert audio.dtype == np.float32
    assert audio.shape == (channels, samples)
    assert np.abs(audio).max() <= 1.0


def test_sphere_equals_wav(fixtures_dir):
    a, _ = read_audio(fixtures_dir / "stereo.sph")
    b, _ = read_audio(fixtures_dir / "stereo.wav")
    np.testing.assert_array_equal(a, b)


def test_pcm_matches_soundfile_int16(fixtures_dir):
    path = fixtures_dir / "mix_cut_test/audio/storage/2412-153948-0000.flac"
    ref, _ = sf.read(path, dtype="int16", always_2d=True)
    audio, _ = read_audio(path)
    np.testing.assert_array_equal(audio, ref.T.astype(np.float32) / 32768)


RANGED = [
    ("stereo.wav", 0.0),
    ("stereo.sph", 0.0),
    ("mix_cut_test/audio/storage/2412-153948-0000.flac", 0.0),
    ("rir/real_8ch.wav", 0.0),
    ("stereo.opus", 1e-4),
    ("stereo.mp3", 1e-4),
    ("common_voice_en_651325.mp3", 1e-4),
    ("big_buck_bunny_small.mp4", 1e-4),
]


@pytest.mark.parametrize("rel,atol", RANGED)
def test_ranged_reads_match_full_decode(fixtures_dir, rel, atol):
    path = fixtures_dir / rel
    full, sr = read_audio(path)
    n = full.shape[1]
    rng = np.random.default_rng(0)
    for _ in range(5):
        start = int(rng.integers(0, n - 10))
        num = int(rng.integers(1, n - start))
        part, _ = read_audio_samples(path, start, num)
        assert part.shape == (full.shape[0], num)
        np.testing.assert_allclose(part, full[:, start : start + num], atol=atol, rtol=0)
    # seconds-based reads convert with nuptse.timing
    part, _ = read_audio(path, offset=0.05, duration=0.025)
    assert part.shape[1] == round(0.025 * sr)


def test_file_like_and_bytes(fixtures_dir):
    data = (fixtures_dir / "stereo.opus").read_bytes()
    import io

    audio, sr = read_audio(io.BytesIO(data))
    assert (sr, audio.shape) == (8000, (2, 8043))


def test_backend_names():
    assert {"LibsndfileBackend", "AudioreadBackend", "CompositeAudioBackend"} <= set(
        get_audio_backend_names()
    )
    assert set(list_audio_backends()) <= set(get_audio_backend_names())
    assert {"LibsndfileBackend", "AudioreadBackend"} <= set(list_audio_backends())
    assert "TorchaudioDefaultBackend" not in list_audio_backends()


def test_missing_file(tmp_path):
    path = tmp_path / "nope.wav"
    with pytest.raises(AudioFileNotFoundError, match="nope.wav"):
        read_audio(path)
    with pytest.raises(FileNotFoundError):
        info(path)


def test_truncated_wav(fixtures_dir, tmp_path):
    data = (fixtures_dir / "stereo.wav").read_bytes()
    for n in (30, 3000):
        p = tmp_path / f"trunc{n}.wav"
        p.write_bytes(data[:n])
        with pytest.raises(CorruptAudioError, match=f"trunc{n}.wav"):
            info(p)


def test_truncated_flac(fixtures_dir, tmp_path):
    p = tmp_path / "cut.flac"
    p.write_bytes(
        (fixtures_dir / "mix_cut_test/audio/storage/2412-153948-0000.flac").read_bytes()[:5000]
    )
    with pytest.raises(CorruptAudioError, match="cut.flac"):
        info(p)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    with pytest.raises(CorruptAudioError, match="empty"):
        read_audio(p)


def test_unsupported_format(tmp_path):
    p = tmp_path / "noise.xyz"
    p.write_bytes(np.random.default_rng(0).bytes(2000))
    with pytest.raises(UnsupportedAudioFormatError, match="noise.xyz"):
        info(p)
    with pytest.raises(AudioLoadingError):
        read_audio(p)


def test_offset_past_end(fixtures_dir):
    with pytest.raises(OffsetOutOfRangeError, match=r"stereo.wav.*40000|40000.*stereo.wav"):
        read_audio(fixtures_dir / "stereo.wav", offset=5.0)


def test_video_file_audio_track_copy_with_spaces(fixtures_dir, tmp_path):
    p = tmp_path / "a video file.mp4"
    shutil.copy(fixtures_dir / "big_buck_bunny_small.mp4", p)
    audio, sr = read_audio(p, offset=1.0, duration=0.5)
    assert (sr, audio.shape) == (48000, (6, 24000))


def _read_in_child(path, queue):
    audio, _ = read_audio_samples(path, 4000, 1000)
    queue.put(audio.tobytes())


def test_handle_cache_sees_replaced_files_and_forks(fixtures_dir, tmp_path):
    import multiprocessing as mp

    from nuptse.audio.backend import clear_audio_handle_cache, set_audio_handle_cache_size

    p = tmp_path / "x.wav"
    shutil.copy(fixtures_dir / "stereo.wav", p)
    first, _ = read_audio_samples(p, 100, 50)
    full, _ = read_audio(fixtures_dir / "stereo.wav")
    np.testing.assert_array_equal(first, full[:, 100:150])
    # Parent and a forked child interleave reads on the cached handle.
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    child = ctx.Process(target=_read_in_child, args=(str(p), q))
    child.start()
    again, _ = read_audio_samples(p, 7000, 500)
    got = np.frombuffer(q.get(timeout=30), dtype=np.float32).reshape(2, 1000)
    child.join(30)
    np.testing.assert_array_equal(again, full[:, 7000:7500])
    np.testing.assert_array_equal(got, full[:, 4000:5000])
    # A replaced file is re-opened.
    shutil.copy(fixtures_dir / "mono_c0.wav", p)
    new, sr = read_audio_samples(p, 0, 10)
    assert new.shape == (1, 10)
    set_audio_handle_cache_size(0)
    try:
        np.testing.assert_array_equal(read_audio_samples(p, 0, 10)[0], new)
    finally:
        set_audio_handle_cache_size(16)
        clear_audio_handle_cache()


def test_cached_handles_are_closed_at_exit(fixtures_dir):
    # Files kept open by the handle cache are closed at interpreter exit,
    # before soundfile is torn down (otherwise their garbage-collected close
    # can print "Exception ignored" tracebacks at the end of a script).  The
    # script's own exit hook, registered first, runs after nuptse's.
    import subprocess
    import sys

    script = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stdout.write("
        "str(len(sys.modules['nuptse.audio.handles']._handles.items))))\n"
        "from nuptse.audio.backend import read_audio\n"
        f"read_audio({str(fixtures_dir / 'stereo.wav')!r}, offset=0.1, duration=0.2)\n"
        "from nuptse.audio.handles import _handles\n"
        "assert len(_handles.items) == 1\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "0"
    assert "Exception ignored" not in proc.stderr
