"""to_shar then from_shar gives the same cuts and the same data, per field and codec."""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
import pytest

from nuptse.cut import Array, CutSet, TemporalArray
from nuptse.shar import SharLayoutError, UnsafeMemberError, export_cuts_to_shar

LILCOM_TOL = 2.0**-6  # half a tick at lilcom's tick_power=-5


def _snr_db(ref: np.ndarray, test: np.ndarray) -> float:
    noise = float(((ref - test) ** 2).sum())
    return float("inf") if noise == 0 else 10 * np.log10(float((ref**2).sum()) / noise)


def _by_id(cuts):
    return {c.id: c for c in cuts}


def _same_metadata(ours, ref):
    assert ours.id == ref.id
    assert ours.start == 0
    assert ours.duration == ref.duration
    assert ours.channel == ref.channel
    assert ours.supervisions == ref.supervisions


@pytest.mark.parametrize("fmt", ["flac", "wav"])
@pytest.mark.parametrize("copy_encoded", [True, False])
def test_lossless_audio_round_trip(lhotse_cuts, tmp_path, fmt, copy_encoded):
    cuts = lhotse_cuts.subset(first=5)
    export_cuts_to_shar(
        cuts,
        tmp_path,
        fields={"recording": fmt},
        shard_size=2,
        warn_unused_fields=False,
        copy_encoded_audio=copy_encoded,
    )
    assert sorted(os.listdir(tmp_path)) == [
        f"{f}.{i:06d}.{ext}"
        for f, ext in (("cuts", "jsonl.gz"), ("recording", "tar"))
        for i in range(3)
    ]
    back = list(CutSet.from_shar(in_dir=tmp_path))
    assert [c.id for c in back] == [c.id for c in cuts]
    for ours, ref in zip(back, cuts):
        _same_metadata(ours, ref)
        assert ours.recording.sources[0].type == "memory"
        assert ours.recording.id == ref.recording.id
        assert ours.recording.num_samples == ref.num_samples
        np.testing.assert_array_equal(ours.load_audio(), ref.load_audio())


@pytest.mark.parametrize("fmt, min_snr", [("mp3", 20.0), ("opus", 15.0)])
def test_lossy_audio_round_trip(lhotse_cuts, tmp_path, fmt, min_snr):
    cuts = lhotse_cuts.subset(first=2)
    export_cuts_to_shar(cuts, tmp_path, fields={"recording": fmt}, warn_unused_fields=False)
    for ours, ref in zip(CutSet.from_shar(in_dir=tmp_path), cuts):
        _same_metadata(ours, ref)
        a, b = ours.load_audio(), ref.load_audio()
        assert a.shape == b.shape
        assert _snr_db(b, a) > min_snr


@pytest.mark.parametrize("codec, tol", [("lilcom", LILCOM_TOL), ("numpy", 0.0)])
def test_features_round_trip(lhotse_cuts, tmp_path, codec, tol):
    cuts = lhotse_cuts.subset(first=3)
    export_cuts_to_shar(cuts, tmp_path, fields={"features": codec}, warn_unused_fields=False)
    for ours, ref in zip(CutSet.from_shar(in_dir=tmp_path), cuts):
        _same_metadata(ours, ref)
        assert ours.features.storage_type == (
            "memory_lilcom" if codec == "lilcom" else "memory_npy"
        )
        f_ours, f_ref = ours.load_features(), ref.load_features()
        assert f_ours.shape == f_ref.shape
        assert np.abs(f_ours - f_ref).max() <= tol


def _npy(arr: np.ndarray) -> Array:
    buf = io.BytesIO()
    np.save(buf, arr)
    return Array("memory_npy", "", buf.getvalue(), list(arr.shape))


def test_custom_fields_round_trip(lhotse_cuts, tmp_path):
    rng = np.random.default_rng(0)
    base = list(lhotse_cuts.subset(first=3))
    cuts, expected = [], {}
    for i, c in enumerate(base):
        emb = rng.standard_normal(16).astype(np.float32)
        ali = rng.standard_normal((c.num_frames, 4)).astype(np.float32)
        c = c.with_custom("embedding", _npy(emb))
        c = c.with_custom("frame_ali", TemporalArray(_npy(ali), 0, 0.01, 0.0))
        c = c.with_custom("room", c.recording)  # a custom audio field
        if i != 1:  # cut 1 has no plain custom values: .nodata / placeholder lines
            c = c.with_custom("meta", {"lang": "en", "score": i / 3, "tags": ["a", str(i)]})
        cuts.append(c)
        expected[c.id] = (emb, ali, c.load_audio())
    fields = {
        "recording": "flac",
        "embedding": "numpy",
        "frame_ali": "lilcom",
        "room": "wav",
        "meta": "jsonl",
    }
    export_cuts_to_shar(
        CutSet(cuts), tmp_path, fields=fields, shard_size=2, warn_unused_fields=False
    )
    assert "meta.000000.jsonl.gz" in os.listdir(tmp_path)
    back = list(CutSet.from_shar(in_dir=tmp_path))
    assert [c.id for c in back] == [c.id for c in cuts]
    for i, ours in enumerate(back):
        emb, ali, audio = expected[ours.id]
        np.testing.assert_array_equal(ours.load_embedding(), emb)
        assert np.abs(ours.load_frame_ali() - ali).max() <= LILCOM_TOL
        np.testing.assert_array_equal(ours.room.load_audio(), audio)
        np.testing.assert_array_equal(ours.load_audio(), audio)
        if i == 1:
            assert not ours.has_custom("meta")
        else:
            assert ours.meta == {"lang": "en", "score": i / 3, "tags": ["a", str(i)]}


def test_cuts_without_a_field_get_placeholders(lhotse_cuts, tmp_path):
    cuts = list(lhotse_cuts.subset(first=3))
    cuts[1] = cuts[1].drop_features()
    export_cuts_to_shar(
        CutSet(cuts), tmp_path, fields={"recording": "flac", "features": "lilcom"}, shard_size=None
    )
    assert sorted(os.listdir(tmp_path)) == ["cuts.jsonl.gz", "features.tar", "recording.tar"]
    import tarfile

    with tarfile.open(tmp_path / "features.tar") as t:
        assert t.getnames()[2:4] == [f"{cuts[1].id}.nodata", f"{cuts[1].id}.nometa"]
    back = list(CutSet.from_shar(in_dir=tmp_path))
    assert not back[1].has_features and back[0].has_features and back[2].has_features
    np.testing.assert_array_equal(back[1].load_audio(), cuts[1].load_audio())


def test_multichannel_and_channel_selection(in_fixtures, tmp_path):
    windows = CutSet.from_file("lhotse_written/cuts_dialogue_windows.jsonl.gz").subset(first=2)
    turns = CutSet.from_file("lhotse_written/cuts_dialogue_trimmed.jsonl.gz")
    ch1 = [c for c in turns if c.channel == 1][:2]
    cuts = list(windows) + ch1
    export_cuts_to_shar(CutSet(cuts), tmp_path, fields={"recording": "flac"}, shard_size=10)
    back = list(CutSet.from_shar(in_dir=tmp_path))
    for ours, ref in zip(back, cuts):
        _same_metadata(ours, ref)
        want = [ref.channel] if isinstance(ref.channel, int) else list(ref.channel)
        assert ours.recording.channel_ids == want
        np.testing.assert_array_equal(ours.load_audio(), ref.load_audio())


def test_parallel_export_writes_the_same_shards(lhotse_cuts, tmp_path):
    cuts = lhotse_cuts.subset(first=7)
    fields = {"recording": "flac", "features": "lilcom"}
    one = export_cuts_to_shar(cuts, tmp_path / "one", fields=fields, shard_size=3, shard_offset=2)
    two = export_cuts_to_shar(
        cuts, tmp_path / "two", fields=fields, shard_size=3, shard_offset=2, num_jobs=2
    )
    names = sorted(os.listdir(tmp_path / "one"))
    assert names == sorted(os.listdir(tmp_path / "two"))
    assert "cuts.000004.jsonl.gz" in names and "cuts.000005.jsonl.gz" not in names
    assert {k: [os.path.basename(p) for p in v] for k, v in one.items()} == {
        k: [os.path.basename(p) for p in v] for k, v in two.items()
    }
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_field_subset_reads_only_requested_files(lhotse_cuts, tmp_path):
    cuts = lhotse_cuts.subset(first=3)
    export_cuts_to_shar(cuts, tmp_path, fields={"recording": "flac", "features": "numpy"})
    (tmp_path / "recording.000000.tar").write_bytes(b"garbage")  # never opened below
    back = list(CutSet.from_shar(in_dir=tmp_path, fields=["features"]))
    for ours, ref in zip(back, cuts):
        np.testing.assert_array_equal(ours.load_features(), ref.load_features())
        assert ours.recording.sources[0].type == "shar"
    explicit = {
        "cuts": [str(tmp_path / "cuts.000000.jsonl.gz")],
        "features": [str(tmp_path / "features.000000.tar")],
    }
    assert [c.id for c in CutSet.from_shar(fields=explicit)] == [c.id for c in cuts]
    with pytest.raises(SharLayoutError, match="speaker_emb"):
        CutSet.from_shar(in_dir=tmp_path, fields=["speaker_emb"])


def test_fsspec_and_pipe_sources(lhotse_cuts, tmp_path):
    pytest.importorskip("fsspec")
    cuts = lhotse_cuts.subset(first=2)
    fields = {"recording": "flac", "features": "lilcom"}
    export_cuts_to_shar(cuts, "memory://nuptse-shar-rt", fields=fields, shard_size=1)
    back = list(CutSet.from_shar(in_dir="memory://nuptse-shar-rt"))
    for ours, ref in zip(back, cuts):
        np.testing.assert_array_equal(ours.load_audio(), ref.load_audio())
    export_cuts_to_shar(cuts, tmp_path, fields=fields, shard_size=1)
    back = list(CutSet.from_shar(in_dir=f"file://{tmp_path}"))
    assert [c.id for c in back] == [c.id for c in cuts]
    piped = {
        "cuts": [f"pipe:cat {tmp_path}/cuts.{i:06d}.jsonl.gz" for i in range(2)],
        "recording": [f"pipe:cat {tmp_path}/recording.{i:06d}.tar" for i in range(2)],
    }
    from nuptse.shar import PipeNotAllowedError

    with pytest.raises(PipeNotAllowedError):
        list(CutSet.from_shar(fields=piped))
    back = list(CutSet.from_shar(fields=piped, allow_pipe=True))
    for ours, ref in zip(back, cuts):
        np.testing.assert_array_equal(ours.load_audio(), ref.load_audio())


def test_output_dir_with_percent_sign(lhotse_cuts, tmp_path):
    out = tmp_path / "100%_data"
    export_cuts_to_shar(
        lhotse_cuts.subset(first=1), out, fields={"features": "lilcom"}, warn_unused_fields=False
    )
    assert sorted(os.listdir(out)) == ["cuts.000000.jsonl.gz", "features.000000.tar"]


def test_unsafe_names_are_refused_on_write(lhotse_cuts, tmp_path):
    cut = next(iter(lhotse_cuts)).with_id("../../escape")
    with pytest.raises(UnsafeMemberError, match="escape"):
        export_cuts_to_shar(CutSet([cut]), tmp_path / "out", fields={"features": "lilcom"})
    for bad in ("../x", "a/b", "cuts", "x.y", ""):
        with pytest.raises(SharLayoutError):
            export_cuts_to_shar(CutSet([cut]), tmp_path / "out", fields={bad: "lilcom"})
    with pytest.raises(SharLayoutError):
        export_cuts_to_shar(CutSet([cut]), tmp_path / "out", fields={"recording": "lilcom"})
    assert not any(p.name != "out" for p in tmp_path.iterdir())
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_unused_fields_warn(lhotse_cuts, tmp_path):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        export_cuts_to_shar(lhotse_cuts.subset(first=1), tmp_path, fields={"features": "lilcom"})
    assert any("'recording'" in str(x.message) for x in w)


def test_include_cuts_false_extends_a_directory_with_a_new_field(lhotse_cuts, tmp_path):
    cuts = lhotse_cuts.subset(first=3)
    export_cuts_to_shar(
        cuts, tmp_path, fields={"recording": "flac"}, shard_size=2, warn_unused_fields=False
    )
    paths = export_cuts_to_shar(
        cuts,
        tmp_path,
        fields={"features": "numpy"},
        shard_size=2,
        include_cuts=False,
        warn_unused_fields=False,
    )
    assert sorted(paths) == ["features"]
    back = list(CutSet.from_shar(in_dir=tmp_path))
    assert len(CutSet.from_shar(in_dir=tmp_path)) == 3
    for ours, ref in zip(back, cuts):
        np.testing.assert_array_equal(ours.load_audio(), ref.load_audio())
        np.testing.assert_array_equal(ours.load_features(), ref.load_features())


def test_sub_spans_and_transformed_audio(lhotse_cuts, tmp_path):
    a, b = list(lhotse_cuts.subset(first=2))
    cuts = [
        a.truncate(offset=0.5, duration=1.25).with_id("span"),
        b.perturb_speed(1.1),
        b.perturb_volume(0.5),
    ]
    export_cuts_to_shar(
        CutSet(cuts),
        tmp_path,
        fields={"recording": "flac", "features": "numpy"},
        shard_size=2,
        warn_unused_fields=False,
    )
    back = list(CutSet.from_shar(in_dir=tmp_path))
    assert [c.id for c in back] == [c.id for c in cuts]
    for ours, ref in zip(back, cuts):
        assert ours.duration == ref.duration and ours.start == 0
        assert ours.recording.transforms is None
        ref_audio = ref.load_audio()
        # 16-bit FLAC stores the transformed float samples to within one LSB
        np.testing.assert_allclose(ours.load_audio(), ref_audio, atol=2**-15, rtol=0)
        if ref.has_features:
            f = ref.load_features()
            assert ours.features.num_frames == f.shape[0]
            np.testing.assert_array_equal(ours.load_features(), f)
    np.testing.assert_array_equal(back[0].load_audio(), cuts[0].load_audio())  # exact: no transform


def test_opus_of_a_rate_opus_cannot_encode_goes_to_48k(in_fixtures, tmp_path):
    from nuptse.audio import Recording
    from nuptse.cut import MonoCut

    rec = Recording.from_file("ljspeech/storage/LJ002-0020.wav")  # 22050 Hz
    cut = MonoCut(id="lj", start=0, duration=rec.duration, channel=0, recording=rec)
    export_cuts_to_shar(CutSet([cut]), tmp_path, fields={"recording": "opus"})
    (back,) = list(CutSet.from_shar(in_dir=tmp_path))
    assert back.recording.sampling_rate == 48000
    assert back.duration == cut.duration
    audio = back.load_audio()
    assert audio.shape == (1, back.recording.num_samples)
    assert np.abs(audio).max() > 0.05
