"""Features and FeatureSet: lhotse JSON interchange, loading spans, search, storage copies."""

from __future__ import annotations

import gzip
import json
import pickle

import numpy as np
import pytest

from nuptse.features.base import Features, FeatureSet
from nuptse.features.io import LilcomChunkyWriter, NumpyFilesWriter
from nuptse.manifest import load_manifest, load_manifest_lazy
from nuptse.timing import compute_num_frames

BACKENDS = ["numpy_files", "lilcom_chunky", "lilcom_files", "numpy_hdf5"]
UTTS = ["9001-500-0005", "9002-501-0005", "9003-502-0005"]


def _manifest(fixtures_dir, backend):
    return fixtures_dir / "lhotse_written" / f"features_{backend}.jsonl.gz"


def _raw_dicts(path):
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in f]


def _feats(**kw) -> Features:
    base = dict(
        type="kaldi-fbank",
        num_frames=500,
        num_features=4,
        frame_shift=0.01,
        sampling_rate=16000,
        start=0.0,
        duration=5.0,
        storage_type="numpy_files",
        storage_path="feats",
        storage_key="k.npy",
        recording_id="rec",
        channels=0,
    )
    base.update(kw)
    return Features(**base)


# --- lhotse interchange ---------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_lhotse_feature_sets_load_unchanged(fixtures_dir, backend):
    path = _manifest(fixtures_dir, backend)
    fs = FeatureSet.from_jsonl(path)
    assert len(fs) == 3
    assert [f.recording_id for f in fs] == UTTS
    assert [f.num_frames for f in fs] == [123, 124, 118]
    assert list(fs.to_dicts()) == _raw_dicts(path)
    prefixed = fs.with_path_prefix(fixtures_dir)
    for f in prefixed:
        expected = np.load(
            fixtures_dir
            / "lhotse_written"
            / "expected_features"
            / f"{backend}-{f.recording_id}.npy"
        )
        np.testing.assert_array_equal(f.load(), expected)


def test_load_manifest_detects_feature_sets(fixtures_dir):
    path = _manifest(fixtures_dir, "numpy_files")
    assert isinstance(load_manifest(path), FeatureSet)
    lazy = load_manifest_lazy(path)
    assert isinstance(lazy, FeatureSet) and lazy.is_lazy
    assert [f.recording_id for f in lazy] == UTTS


def test_lhotse_reads_what_we_write(fixtures_dir, tmp_path):
    lhotse = pytest.importorskip("lhotse")
    fs = FeatureSet.from_jsonl(_manifest(fixtures_dir, "lilcom_chunky")).with_path_prefix(
        fixtures_dir
    )
    out = tmp_path / "feats.jsonl.gz"
    fs.to_file(out)
    theirs = lhotse.load_manifest(out)
    assert isinstance(theirs, lhotse.FeatureSet)
    for ours, their in zip(fs, theirs):
        np.testing.assert_array_equal(ours.load(), their.load())
        np.testing.assert_array_equal(ours.load(0.3, 0.5), their.load(0.3, 0.5))


def test_copy_feats_into_a_new_archive_reads_in_lhotse(fixtures_dir, tmp_path):
    lhotse = pytest.importorskip("lhotse")
    fs = FeatureSet.from_jsonl(_manifest(fixtures_dir, "numpy_files")).with_path_prefix(
        fixtures_dir
    )
    with LilcomChunkyWriter(tmp_path / "copy") as writer:
        copied = fs.copy_feats(writer)
    assert all(f.storage_type == "lilcom_chunky" for f in copied)
    assert [f.recording_id for f in copied] == UTTS
    copied.to_file(tmp_path / "copy.jsonl.gz")
    theirs = lhotse.load_manifest(tmp_path / "copy.jsonl.gz")
    for orig, their in zip(fs, theirs):
        np.testing.assert_allclose(their.load(), orig.load(), atol=2**-6)


# --- Features ---------------------------------------------------------------------------------


def test_features_dict_round_trip_drops_none_fields():
    f = _feats(recording_id=None, channels=None)
    d = f.to_dict()
    assert "recording_id" not in d and "channels" not in d
    assert Features.from_dict(d) == f
    assert (
        Features.from_dict({k: v for k, v in d.items() if k != "storage_path"}).storage_path is None
    )


def test_features_from_dict_infers_a_missing_frame_shift():
    d = _feats().to_dict()
    del d["frame_shift"]
    assert Features.from_dict(d).frame_shift == 0.01


@pytest.mark.parametrize(
    "start, duration",
    [(None, None), (0.0, 1.0), (0.3, 0.5), (0.0349, 0.2), (1.0, None), (0.555, 0.6555)],
)
def test_load_span_matches_timing_arithmetic_and_lhotse(fixtures_dir, start, duration):
    fs = FeatureSet.from_jsonl(_manifest(fixtures_dir, "numpy_files")).with_path_prefix(
        fixtures_dir
    )
    f = fs[0]
    full = f.load()
    got = f.load(start=start, duration=duration)
    left = 0 if start in (None, 0.0) else compute_num_frames(start, 0.01, 16000)
    right = None if duration is None else left + compute_num_frames(duration, 0.01, 16000)
    np.testing.assert_array_equal(got, full[left:right])
    lhotse_base = pytest.importorskip("lhotse.features.base")
    theirs = lhotse_base.Features.from_dict(f.to_dict())
    np.testing.assert_array_equal(got, theirs.load(start=start, duration=duration))


def test_load_before_the_start_is_an_error(tmp_path):
    f = _write_features(tmp_path, start=2.0)
    with pytest.raises(ValueError, match="from 1.0 s"):
        f.load(start=1.0)
    np.testing.assert_array_equal(f.load(start=2.5, duration=0.1), f.load()[50:60])


def _write_features(tmp_path, start=0.0, n=500, rec="rec", channels=0) -> Features:
    arr = np.arange(n * 4, dtype=np.float32).reshape(n, 4) / 100
    with NumpyFilesWriter(tmp_path / "np") as w:
        key = w.write(f"{rec}-{start}-{channels}", arr)
    return _feats(
        start=start,
        num_frames=n,
        duration=n / 100,
        storage_path=str(tmp_path / "np"),
        storage_key=key,
        recording_id=rec,
        channels=channels,
    )


@pytest.mark.parametrize("lilcom", [False, True])
def test_move_to_memory(tmp_path, lilcom):
    f = _write_features(tmp_path, start=1.0)
    mem = f.move_to_memory(start=1.5, duration=1.0, lilcom=lilcom)
    assert mem.is_in_memory and mem.storage_type == ("memory_lilcom" if lilcom else "memory_raw")
    assert mem.start == 0.0 and mem.duration == 1.0 and mem.num_frames == 100
    np.testing.assert_allclose(mem.load(), f.load()[50:150], atol=2**-6 if lilcom else 0)
    assert mem.move_to_memory() is mem
    whole = f.move_to_memory()
    np.testing.assert_array_equal(whole.load(), f.load())
    assert pickle.loads(pickle.dumps(mem)) == mem


def test_with_path_prefix():
    f = _feats(storage_path="feats/x")
    assert f.with_path_prefix("/data").storage_path == "/data/feats/x"
    assert f.with_path_prefix("s3://bucket/dir/").storage_path == "s3://bucket/dir/feats/x"
    assert (
        _feats(storage_type="memory_raw", storage_path="").with_path_prefix("/d").storage_path == ""
    )


# --- FeatureSet -------------------------------------------------------------------------------


@pytest.fixture
def multi(tmp_path):
    items = [
        _write_features(tmp_path, start=0.0, n=500, rec="a", channels=0),
        _write_features(tmp_path, start=0.0, n=500, rec="a", channels=1),
        _write_features(tmp_path, start=5.0, n=300, rec="a", channels=0),
        _write_features(tmp_path, start=0.0, n=200, rec="b", channels=[0, 1]),
    ]
    return FeatureSet.from_features(items)


def test_find_best_fit(multi):
    assert multi.find("a").start == 0.0
    assert multi.find("a", start=5.2).start == 5.0
    assert multi.find("a", start=4.99, duration=2.0).start == 5.0
    assert multi.find("a", channel_id=1).channels == 1
    assert multi.find("a", channel_id=[0]).channels == 0  # 0 and [0] are the same channel
    assert multi.find("b", channel_id=[0, 1]).recording_id == "b"


def test_find_errors_name_what_is_missing(multi):
    with pytest.raises(KeyError, match="recording 'zzz'"):
        multi.find("zzz")
    with pytest.raises(KeyError, match="channel 3"):
        multi.find("a", channel_id=3)
    with pytest.raises(KeyError, match="cover"):
        multi.find("a", start=9.0)
    with pytest.raises(KeyError, match="cover"):
        multi.find("a", start=1.0, duration=6.0)


def test_feature_set_load(multi):
    got = multi.load("a", start=5.5, duration=1.0)
    np.testing.assert_array_equal(got, multi[2].load()[50:150])
    with pytest.raises(KeyError):
        multi.load("a", channel_id=5)


def test_positional_and_id_access(multi):
    assert multi[1].channels == 1
    assert multi[multi[3].id] == multi[3]
    with pytest.raises(IndexError):
        multi[10]
    assert multi.features == list(multi) and multi.features[0] == multi[0]


def test_split_subset_split_lazy(multi, tmp_path):
    parts = multi.split(2)
    assert [len(p) for p in parts] == [2, 2]
    assert list(parts[0]) + list(parts[1]) == list(multi)
    assert list(multi.subset(first=3)) == list(multi)[:3]
    assert list(multi.subset(last=1)) == list(multi)[-1:]
    chunks = multi.split_lazy(tmp_path / "chunks", chunk_size=3)
    assert [len(list(c)) for c in chunks] == [3, 1]
    assert list(chunks[0]) + list(chunks[1]) == list(multi)
    assert all(isinstance(c, FeatureSet) and c.is_lazy for c in chunks)


def test_global_stats_method_matches_numpy(multi, tmp_path):
    stats = multi.compute_global_stats(storage_path=tmp_path / "stats.pkl")
    all_frames = np.concatenate([f.load() for f in multi]).astype(np.float64)
    np.testing.assert_allclose(stats["norm_means"], all_frames.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(stats["norm_stds"], all_frames.std(axis=0), rtol=1e-8)
    with open(tmp_path / "stats.pkl", "rb") as f:
        stored = pickle.load(f)
    np.testing.assert_array_equal(stored["norm_means"], stats["norm_means"])


def test_json_round_trip_of_feature_set(multi, tmp_path):
    multi.to_file(tmp_path / "f.jsonl.gz")
    back = FeatureSet.from_jsonl(tmp_path / "f.jsonl.gz")
    assert back == multi
    multi.to_file(tmp_path / "f.json")
    assert FeatureSet.from_json(tmp_path / "f.json") == multi
