"""Recording: from_file, ranged/channel reads, multi-source, sources, errors, lhotse interchange."""

from __future__ import annotations

import gzip
import json
import pickle
import shutil

import numpy as np
import pytest
import soundfile as sf

from nuptse.audio import (
    AudioSource,
    ChannelNotFoundError,
    CommandNotAllowedError,
    DurationMismatchError,
    OffsetOutOfRangeError,
    Recording,
    allow_commands,
)
from nuptse.timing import compute_num_samples


def _sf(path):
    x, _ = sf.read(path, dtype="float32", always_2d=True)
    return x.T


def _lines(path):
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in f]


def test_from_file_matches_lhotse_written_manifest(fixtures_dir):
    for d in _lines(fixtures_dir / "lhotse_written/recordings.jsonl.gz"):
        theirs = Recording.from_dict(d)
        ours = Recording.from_file(fixtures_dir / d["sources"][0]["source"], recording_id=d["id"])
        assert ours == theirs.with_path_prefix(fixtures_dir)
        assert ours.num_samples == theirs.num_samples and ours.duration == theirs.duration


def test_from_file_ids_and_relative_depth(fixtures_dir):
    p = fixtures_dir / "mini_corpus/dev-clean-2/9001/500/9001-500-0000.flac"
    assert Recording.from_file(p).id == "9001-500-0000"
    assert Recording.from_file(p, recording_id=lambda q: q.parent.name + "_x").id == "500_x"
    r = Recording.from_file(p, relative_path_depth=2)
    assert r.sources[0].source == "500/9001-500-0000.flac"


@pytest.mark.parametrize(
    "rel",
    ["mini_corpus/longform/dialogue.wav", "stereo.opus", "rir/real_8ch.wav", "stereo.mp3"],
)
def test_offset_duration_channel_reads(fixtures_dir, rel):
    rec = Recording.from_file(fixtures_dir / rel)
    full = rec.load_audio()
    assert full.shape == (rec.num_channels, rec.num_samples)
    sr = rec.sampling_rate
    exact = rel.endswith(".wav")
    for offset, duration in [(0.0, 0.05), (0.0123, 0.0377), (rec.duration / 3, 0.02)]:
        start = compute_num_samples(offset, sr)
        n = compute_num_samples(duration, sr)
        for ch in [None, rec.channel_ids[-1], rec.channel_ids[:2]]:
            part = rec.load_audio(channels=ch, offset=offset, duration=duration)
            rows = rec.channel_ids if ch is None else ([ch] if isinstance(ch, int) else ch)
            ref = full[rows, start : start + n]
            assert part.shape == ref.shape == (len(rows), n)
            if exact:
                np.testing.assert_array_equal(part, ref)
            else:
                np.testing.assert_allclose(part, ref, atol=1e-4)
    # Reading to the end without a duration
    tail = rec.load_audio(offset=rec.duration / 2)
    assert tail.shape[1] == rec.num_samples - compute_num_samples(rec.duration / 2, sr)


def test_multi_source_recording(fixtures_dir):
    rec = Recording(
        id="two",
        sources=[
            AudioSource("file", [0], str(fixtures_dir / "mono_c0.wav")),
            AudioSource("file", [1], str(fixtures_dir / "mono_c1.wav")),
        ],
        sampling_rate=8000,
        num_samples=4000,
        duration=0.5,
    )
    assert rec.channel_ids == [0, 1] and rec.num_channels == 2
    c0, c1 = _sf(fixtures_dir / "mono_c0.wav"), _sf(fixtures_dir / "mono_c1.wav")
    np.testing.assert_array_equal(rec.load_audio(), np.concatenate([c0, c1]))
    np.testing.assert_array_equal(rec.load_audio(channels=1), c1)
    np.testing.assert_array_equal(
        rec.load_audio(channels=[0], offset=0.1, duration=0.2), c0[:, 800:2400]
    )


def _command_recording(fixtures_dir):
    c1 = fixtures_dir / "mono_c1.wav"
    return Recording(
        id="cmd",
        sources=[
            AudioSource("file", [0], str(fixtures_dir / "mono_c0.wav")),
            AudioSource("command", [1], f"cat '{c1}' | cat"),
        ],
        sampling_rate=8000,
        num_samples=4000,
        duration=0.5,
    )


def test_command_source_needs_permission(fixtures_dir, monkeypatch):
    monkeypatch.delenv("NUPTSE_ALLOW_COMMANDS", raising=False)
    rec = _command_recording(fixtures_dir)
    with pytest.raises(CommandNotAllowedError) as e:
        rec.load_audio()
    msg = str(e.value)
    assert "allow_commands=True" in msg and "NUPTSE_ALLOW_COMMANDS" in msg and "cat" in msg
    # Channel 0 alone does not run the command.
    np.testing.assert_array_equal(rec.load_audio(channels=0), _sf(fixtures_dir / "mono_c0.wav"))
    expected = np.concatenate(
        [_sf(fixtures_dir / "mono_c0.wav"), _sf(fixtures_dir / "mono_c1.wav")]
    )
    np.testing.assert_array_equal(rec.load_audio(allow_commands=True), expected)
    with allow_commands():
        np.testing.assert_array_equal(rec.load_audio(), expected)
    with pytest.raises(CommandNotAllowedError):  # the context manager does not leak
        rec.load_audio()
    monkeypatch.setenv("NUPTSE_ALLOW_COMMANDS", "1")
    np.testing.assert_array_equal(rec.load_audio(offset=0.25), expected[:, 2000:])
    with pytest.raises(CommandNotAllowedError):  # an explicit False wins
        rec.load_audio(allow_commands=False)


def test_failing_command(monkeypatch):
    rec = Recording("bad", [AudioSource("command", [0], "exit 3")], 8000, 8000, 1.0)
    with pytest.raises(Exception, match="exit 3"):
        rec.load_audio(allow_commands=True)


def test_memory_url_and_move_to_memory(fixtures_dir, tmp_path):
    path = fixtures_dir / "stereo.wav"
    ref = _sf(path)
    mem = Recording.from_bytes(path.read_bytes(), "stereo")
    assert mem.is_in_memory and mem.num_samples == 8000
    np.testing.assert_array_equal(mem.load_audio(), ref)
    moved = Recording.from_file(path).move_to_memory()
    assert moved.sources[0].type == "memory"
    assert moved.to_dict()["sources"][0]["source"] == path.read_bytes()  # raw bytes, as lhotse
    np.testing.assert_array_equal(moved.load_audio(channels=1), ref[1:])
    part = Recording.from_file(path).move_to_memory(channels=0, offset=0.25, duration=0.5)
    assert part.num_samples == 4000 and part.channel_ids == [0]
    np.testing.assert_allclose(part.load_audio(), ref[:1, 2000:6000], atol=1 / 32768)
    assert pickle.loads(pickle.dumps(moved)) == moved
    # url sources through fsspec (file:// and the in-memory filesystem)
    url = Recording("u", [AudioSource("url", [0, 1], path.as_uri())], 8000, 8000, 1.0)
    np.testing.assert_array_equal(url.load_audio(offset=0.5), ref[:, 4000:])
    import fsspec

    with fsspec.open("memory://nuptse-test/stereo.wav", "wb") as f:
        f.write(path.read_bytes())
    url2 = Recording(
        "u2", [AudioSource("url", [0, 1], "memory://nuptse-test/stereo.wav")], 8000, 8000, 1.0
    )
    np.testing.assert_array_equal(url2.load_audio(channels=0, duration=0.1), ref[:1, :800])
    missing = Recording(
        "m", [AudioSource("url", [0], "memory://nuptse-test/none.wav")], 8000, 1, 1.0
    )
    with pytest.raises(FileNotFoundError, match="none.wav"):
        missing.load_audio()


def test_opus_with_spaces_in_name(fixtures_dir, tmp_path):
    p = tmp_path / "mono c0 copy.opus"
    shutil.copy(fixtures_dir / "mono_c0.opus", p)
    rec = Recording.from_file(p)
    assert (rec.sampling_rate, rec.num_samples, rec.duration) == (8000, 4043, 0.505375)
    assert rec.load_audio().shape == (1, 4043)


def test_declared_length_tolerance(fixtures_dir):
    path = fixtures_dir / "common_voice_en_651325.mp3"
    # lhotse records the MP3 header's 114246 frames; the decoder yields 114048.
    rec = Recording("cv", [AudioSource("file", [0], str(path))], 48000, 114246, 114246 / 48000)
    audio = rec.load_audio()
    assert audio.shape == (1, 114246)
    np.testing.assert_array_equal(audio[:, 114048:], 0)
    with pytest.raises(DurationMismatchError, match="114246"):
        rec.load_audio(tolerance=0.001)
    wrong = Recording("w", [AudioSource("file", [0], str(path))], 48000, 200000, 200000 / 48000)
    with pytest.raises(DurationMismatchError, match="common_voice"):
        wrong.load_audio()


def test_error_cases_name_the_source(fixtures_dir, tmp_path):
    rec = Recording.from_file(fixtures_dir / "stereo.wav")
    with pytest.raises(ChannelNotFoundError, match=r"stereo.*\[5\]"):
        rec.load_audio(channels=[0, 5])
    with pytest.raises(OffsetOutOfRangeError, match=r"stereo.*3\.0"):
        rec.load_audio(offset=3.0)
    with pytest.raises(DurationMismatchError, match="stereo"):
        rec.load_audio(offset=0.5, duration=2.0)
    gone = rec.with_path_prefix(tmp_path)  # absolute path: prefix does not apply
    assert gone == rec
    moved = Recording("x", [AudioSource("file", [0], "missing/x.wav")], 8000, 8000, 1.0)
    with pytest.raises(FileNotFoundError, match="x.wav"):
        moved.with_path_prefix(tmp_path).load_audio()


def test_lhotse_reads_ours_and_we_read_lhotse(fixtures_dir, tmp_path):
    lhotse = pytest.importorskip("lhotse")
    for rel in ["stereo.wav", "stereo.opus", "mini_corpus/longform/dialogue.wav"]:
        ours = Recording.from_file(fixtures_dir / rel)
        theirs = lhotse.Recording.from_file(fixtures_dir / rel)
        assert theirs.to_dict() == ours.to_dict()
        back = lhotse.Recording.from_dict(json.loads(json.dumps(ours.to_dict())))
        np.testing.assert_array_equal(back.load_audio(), ours.load_audio())
        assert Recording.from_dict(theirs.to_dict()) == ours
    # Both fixture manifests load unchanged and serialize back to the same dicts.
    for rel in ["lhotse_manifests/recordings.jsonl.gz", "lhotse_written/recordings.jsonl.gz"]:
        for d in _lines(fixtures_dir / rel):
            out = Recording.from_dict(dict(d)).to_dict()
            if "channel_ids" not in d:
                out.pop("channel_ids")
            assert out == d
            assert (
                lhotse.Recording.from_dict(Recording.from_dict(d).to_dict()).num_samples
                == d["num_samples"]
            )


def test_force_opus_sampling_rate(fixtures_dir):
    signal = pytest.importorskip("scipy.signal")
    rec = Recording.from_file(fixtures_dir / "stereo.opus", force_opus_sampling_rate=16000)
    assert (rec.sampling_rate, rec.num_samples) == (16000, 16086)
    audio = rec.load_audio()
    assert audio.shape == (2, 16086)
    native = _sf(fixtures_dir / "stereo.opus")
    np.testing.assert_allclose(audio, signal.resample_poly(native, 2, 1, axis=-1), atol=1e-5)


@pytest.mark.parametrize("rel", ["stereo.opus", "mix_cut_test/audio/storage/2412-153948-0000.flac"])
def test_consecutive_windows_equal_one_read(fixtures_dir, rel):
    rec = Recording.from_file(fixtures_dir / rel)
    step = 0.125
    windows = [rec.load_audio(offset=i * step, duration=step) for i in range(6)]
    whole = rec.load_audio(offset=0.0, duration=6 * step)
    np.testing.assert_array_equal(np.concatenate(windows, axis=1), whole)
