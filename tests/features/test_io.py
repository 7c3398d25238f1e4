"""Feature storage: lhotse's archives bit-exact, round trips, interchange, crash safety."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from nuptse.features.io import (
    CHUNKY_FORMAT_CHUNK_SIZE,
    CorruptedFeaturesError,
    FeaturesKeyError,
    FeaturesStorageError,
    KaldiReader,
    LilcomChunkyReader,
    LilcomChunkyWriter,
    LilcomFilesReader,
    LilcomFilesWriter,
    MemoryRawReader,
    NumpyFilesReader,
    NumpyFilesWriter,
    NumpyHdf5Reader,
    NumpyHdf5Writer,
    available_storage_backends,
    close_cached_file_handles,
    get_reader,
    get_writer,
    max_lilcom_error,
)

DOC_ERR = 2.0**-6  # half a tick at tick_power -5, lhotse's default
LILCOM_ERR = DOC_ERR + 1e-6  # plus float32 rounding of values of magnitude < ~20
WRITTEN = "lhotse_written"
REQUIRED = [
    "lilcom_chunky",
    "lilcom_files",
    "numpy_files",
    "numpy_hdf5",
    "lilcom_hdf5",
    "memory_lilcom",
    "memory_raw",
]
LILCOM_BACKENDS = {"lilcom_chunky", "lilcom_files", "lilcom_hdf5", "memory_lilcom"}


def manifest(fixtures_dir, name):
    with gzip.open(fixtures_dir / WRITTEN / name) as f:
        return [json.loads(line) for line in f]


def fbank_like(rng, frames=1234, dim=80):
    """Smooth, log-mel-like values in [-23, 15]."""
    base = np.cumsum(rng.standard_normal((frames, dim)), axis=0) * 0.3
    return np.clip(base - 5.0, -23.0, 15.0).astype(np.float32)


def make_writer(name, tmp_path, **kwargs):
    cls = get_writer(name)
    if name.startswith("memory"):
        return cls(**kwargs)
    target = {"numpy_files": "np", "lilcom_files": "llc", "lilcom_url": "url"}.get(name, "feats")
    return cls(str(tmp_path / target), **kwargs)


# ---------------------------------------------------------------- registry


def test_registry_names_and_classes():
    backends = available_storage_backends()
    for name in REQUIRED:
        assert name in backends
        assert get_writer(name).name == name
        assert get_reader(name).name == name
    assert get_reader("kaldiio") is KaldiReader
    assert "kaldiio" in backends and get_writer("kaldiio").name == "kaldiio"
    assert get_writer("lilcom_chunky") is LilcomChunkyWriter


def test_unknown_backend_name_is_a_clear_error():
    with pytest.raises(ValueError, match="no_such_backend.*lilcom_chunky"):
        get_reader("no_such_backend")
    with pytest.raises(ValueError, match="no_such_backend"):
        get_writer("no_such_backend")


def test_documented_error_bound():
    assert max_lilcom_error(-5) == DOC_ERR == 0.015625


# ---------------------------------------------------------------- lhotse's fixture archives


@pytest.mark.parametrize("backend", ["lilcom_chunky", "lilcom_files", "numpy_files", "numpy_hdf5"])
def test_lhotse_written_featuresets_read_bit_exact(fixtures_dir, backend):
    entries = manifest(fixtures_dir, f"features_{backend}.jsonl.gz")
    assert len(entries) == 3
    for d in entries:
        assert d["storage_type"] == backend
        reader = get_reader(backend)(str(fixtures_dir / d["storage_path"]))
        arr = reader.read(d["storage_key"])
        expected = np.load(
            fixtures_dir / WRITTEN / "expected_features" / f"{backend}-{d['recording_id']}.npy"
        )
        assert arr.dtype == np.float32
        assert arr.shape == (d["num_frames"], d["num_features"])
        np.testing.assert_array_equal(arr, expected)
        # Partial reads are slices of the full read.
        np.testing.assert_array_equal(reader.read(d["storage_key"], 5, 17), expected[5:17])
        np.testing.assert_array_equal(reader.read(d["storage_key"], 100), expected[100:])
    close_cached_file_handles()


def test_lhotse_lilcom_decode_is_within_error_of_raw(fixtures_dir):
    exp = fixtures_dir / WRITTEN / "expected_features"
    for utt in ["9001-500-0005", "9002-501-0005", "9003-502-0005"]:
        raw = np.load(exp / f"numpy_files-{utt}.npy")
        lil = np.load(exp / f"lilcom_files-{utt}.npy")
        assert np.abs(raw - lil).max() <= DOC_ERR


def test_cuts_archive_multichunk_keys(fixtures_dir):
    cuts = manifest(fixtures_dir, "cuts.jsonl.gz")
    feats = [c["features"] for c in cuts]
    assert sum(f["num_frames"] for f in feats) == 8193
    assert {f["storage_path"] for f in feats} == {f"{WRITTEN}/feats_chunky.lca"}
    reader = LilcomChunkyReader(fixtures_dir / WRITTEN / "feats_chunky.lca")
    by_id = {}
    for c, f in zip(cuts, feats):
        arr = reader.read(f["storage_key"])
        n_chunks = f["storage_key"].count(",")
        assert n_chunks == -(-f["num_frames"] // CHUNKY_FORMAT_CHUNK_SIZE)
        assert arr.shape == (f["num_frames"], 80)
        by_id[c["id"]] = arr
    # Independent check: lhotse's padded cut holds cut a's features verbatim.
    padded = np.load(fixtures_dir / WRITTEN / "expected_features" / "pad-a-right-2.0.npy")
    np.testing.assert_array_equal(by_id["9001-500-0005-5"], padded[:123])
    np.testing.assert_allclose(padded[123:], -23.02585, atol=1e-4)


def test_cuts_archive_matches_lhotse_reader(fixtures_dir):
    lio = pytest.importorskip("lhotse.features.io")
    path = str(fixtures_dir / WRITTEN / "feats_chunky.lca")
    ours, theirs = LilcomChunkyReader(path), lio.LilcomChunkyReader(path)
    for c in manifest(fixtures_dir, "cuts.jsonl.gz"):
        key = c["features"]["storage_key"]
        np.testing.assert_array_equal(ours.read(key), theirs.read(key))
        for lo, hi in [(0, 10), (499, 501), (480, None), (500, 1000), (600, 610)]:
            mine, ref = ours.read(key, lo, hi), theirs.read(key, lo, hi)
            if ref.size == 0:  # lhotse returns a bare float64 (0,) past the last chunk
                assert mine.shape == (0, 80) and mine.dtype == np.float32
            else:
                np.testing.assert_array_equal(mine, ref)


def test_chunky_range_reads_every_boundary(fixtures_dir):
    reader = LilcomChunkyReader(fixtures_dir / WRITTEN / "feats_chunky.lca")
    key = "439717,45889,26023"  # 9002-501-0006: 784 frames in 2 chunks
    full = reader.read(key)
    assert full.shape == (784, 80)
    for lo in [0, 1, 499, 500, 501, 783, 784, 900]:
        for hi in [None, 0, 1, 499, 500, 501, 783, 784, 2000]:
            np.testing.assert_array_equal(reader.read(key, lo, hi), full[lo:hi])


def test_chunky_range_read_decodes_only_needed_chunks(fixtures_dir, tmp_path, monkeypatch):
    import lilcom

    src = fixtures_dir / WRITTEN / "feats_chunky.lca"
    key = "439717,45889,26023"
    full = LilcomChunkyReader(src).read(key)
    # Destroy the first chunk in a copy: a read of the second chunk must not touch it.
    damaged = tmp_path / "damaged.lca"
    shutil.copy(src, damaged)
    with open(damaged, "r+b") as f:
        f.seek(439717)
        f.write(b"\xff" * 45889)
    calls = []
    real = lilcom.decompress
    monkeypatch.setattr(lilcom, "decompress", lambda b: calls.append(len(b)) or real(b))
    reader = LilcomChunkyReader(damaged)
    np.testing.assert_array_equal(reader.read(key, 520, 600), full[520:600])
    assert calls == [26023]
    with pytest.raises(CorruptedFeaturesError, match="damaged.lca"):
        reader.read(key, 0, 10)


def test_chunky_reads_through_fsspec_memory(fixtures_dir):
    fsspec = pytest.importorskip("fsspec")
    src = fixtures_dir / WRITTEN / "feats_chunky_3utt.lca"
    url = "memory://nuptse-test/feats_chunky_3utt.lca"
    with fsspec.open(url, "wb") as f:
        f.write(src.read_bytes())
    try:
        for d in manifest(fixtures_dir, "features_lilcom_chunky.jsonl.gz"):
            expected = np.load(
                fixtures_dir
                / WRITTEN
                / "expected_features"
                / f"lilcom_chunky-{d['recording_id']}.npy"
            )
            reader = get_reader("lilcom_chunky")(url)
            np.testing.assert_array_equal(reader.read(d["storage_key"]), expected)
            np.testing.assert_array_equal(reader.read(d["storage_key"], 3, 9), expected[3:9])
    finally:
        fsspec.filesystem("memory").rm("/nuptse-test", recursive=True)


def test_chunky_and_file_backends_write_through_fsspec_memory():
    fsspec = pytest.importorskip("fsspec")
    rng = np.random.default_rng(7)
    x = fbank_like(rng, 620, 8)
    try:
        with LilcomChunkyWriter("memory://nuptse-w/feats") as w:
            key = w.write("u", x)
        assert w.storage_path == "memory://nuptse-w/feats.lca"
        got = LilcomChunkyReader(w.storage_path).read(key)
        assert np.abs(got - x).max() <= LILCOM_ERR
        for name in ["numpy_files", "lilcom_files"]:
            w = get_writer(name)("memory://nuptse-w/" + name + "/")
            key = w.write("utt-1", x)
            assert key == "utt-1" + (".npy" if name == "numpy_files" else ".llc")
            got = get_reader(name)(w.storage_path).read(key, 10, 20)
            assert np.abs(got - x[10:20]).max() <= (0 if name == "numpy_files" else LILCOM_ERR)
    finally:
        fsspec.filesystem("memory").rm("/nuptse-w", recursive=True)


def test_kaldi_ark_and_scp(fixtures_dir, monkeypatch):
    monkeypatch.chdir(fixtures_dir / "mini_librispeech2")
    ark = "data/raw_mfcc_mini_librispeech2.1.ark"
    frames = {"lbi-3536-23268-0000": 1987, "lbi-6241-61943-0000": 693, "lbi-8842-304647-0000": 969}
    offsets = {
        "lbi-3536-23268-0000": 20,
        "lbi-6241-61943-0000": 25996,
        "lbi-8842-304647-0000": 35151,
    }
    for utt, n in frames.items():
        arr = get_reader("kaldiio")(f"{ark}:{offsets[utt]}").read(utt)
        assert arr.shape == (n, 13) and arr.dtype == np.float32
        via_scp = KaldiReader("feats.scp").read(utt, 10, 20)
        np.testing.assert_array_equal(via_scp, arr[10:20])
    with pytest.raises(FeaturesKeyError, match="feats.scp.*nope"):
        KaldiReader("feats.scp").read("nope")
    with pytest.raises(FileNotFoundError, match="missing.ark"):
        KaldiReader("missing.ark:20").read("utt")
    with pytest.raises(CorruptedFeaturesError, match="ark:21"):
        KaldiReader(f"{ark}:21").read("lbi-3536-23268-0000")


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", REQUIRED + ["lilcom_url", "chunked_lilcom_hdf5"])
def test_round_trip(name, tmp_path):
    rng = np.random.default_rng(0)
    arrays = {f"utt-{i}": fbank_like(rng, n, 80) for i, n in enumerate([1, 499, 500, 501, 1234])}
    originals = {k: v.copy() for k, v in arrays.items()}
    with make_writer(name, tmp_path) as w:
        keys = {k: w.write(k, v) for k, v in arrays.items()}
    for k in arrays:  # writers never modify their input
        np.testing.assert_array_equal(arrays[k], originals[k])
    reader = get_reader(name)(w.storage_path)
    for k, x in originals.items():
        got = reader.read(keys[k])
        assert got.shape == x.shape and got.dtype == np.float32
        err = np.abs(got - x).max()
        assert err <= (
            LILCOM_ERR if name in LILCOM_BACKENDS | {"lilcom_url", "chunked_lilcom_hdf5"} else 0
        )
        np.testing.assert_array_equal(reader.read(keys[k], 3, 700), got[3:700])
    close_cached_file_handles()


@pytest.mark.parametrize("name", ["numpy_files", "numpy_hdf5", "memory_raw"])
@pytest.mark.parametrize("dtype", [np.float64, np.int16, np.float16])
def test_uncompressed_backends_keep_dtype(name, dtype, tmp_path):
    x = (np.arange(60).reshape(20, 3) - 7).astype(dtype)
    with make_writer(name, tmp_path) as w:
        key = w.write("a", x)
    got = get_reader(name)(w.storage_path).read(key, 2, 5)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, x[2:5])
    close_cached_file_handles()


def test_file_layout_and_keys(tmp_path):
    x = np.ones((4, 2), dtype=np.float32)
    w = NumpyFilesWriter(tmp_path / "np")
    key = w.write("abcdef", x)
    assert key == "abc/abcdef.npy"
    assert (tmp_path / "np" / "abc" / "abcdef.npy").is_file()
    assert w.write("xyz.npy", x) == "xyz/xyz.npy"
    w = LilcomFilesWriter(str(tmp_path / "llc"))
    assert w.write("f2a20d12-fea0", x) == "f2a/f2a20d12-fea0.llc"
    # No temporary files are left behind.
    leftovers = [p for p in (tmp_path).rglob("*") if p.name.startswith(".")]
    assert leftovers == []
    with pytest.raises(FeaturesStorageError, match=r"\.\."):
        w.write("../escape", x)


def test_chunky_append_mode_and_suffix(tmp_path):
    rng = np.random.default_rng(1)
    a, b = fbank_like(rng, 700, 5), fbank_like(rng, 30, 5)
    with LilcomChunkyWriter(tmp_path / "arch") as w:
        ka = w.write("a", a)
    assert w.storage_path == str(tmp_path / "arch.lca")
    with LilcomChunkyWriter(tmp_path / "arch.lca", mode="a") as w:
        kb = w.write("b", b)
    assert int(kb.split(",")[0]) == os.path.getsize(tmp_path / "arch.lca") - int(kb.split(",")[1])
    r = LilcomChunkyReader(tmp_path / "arch.lca")
    assert np.abs(r.read(ka) - a).max() <= LILCOM_ERR
    assert np.abs(r.read(kb) - b).max() <= LILCOM_ERR


def test_chunky_empty_array(tmp_path):
    with LilcomChunkyWriter(tmp_path / "e") as w:
        key = w.write("empty", np.zeros((0, 80), dtype=np.float32))
        key2 = w.write("one", np.ones((1, 80), dtype=np.float32))
    assert key == "0"
    r = LilcomChunkyReader(w.storage_path)
    assert r.read(key).size == 0
    np.testing.assert_array_equal(r.read(key2), np.ones((1, 80), dtype=np.float32))


def test_store_array_manifest(tmp_path):
    x = np.arange(200, dtype=np.float32).reshape(50, 4)
    with NumpyFilesWriter(tmp_path / "np") as w:
        arr = w.store_array("k", x)
        assert arr.storage_type == "numpy_files" and arr.shape == [50, 4]
        tarr = w.store_array("t", x, frame_shift=0.01, temporal_dim=0, start=1.5)
        # lhotse takes the subfolder from the key with its suffix: "t" -> "t.n/t.npy"
        assert tarr.start == 1.5 and tarr.array.storage_key == "t.n/t.npy"
        with pytest.raises(ValueError, match="together"):
            w.store_array("bad", x, frame_shift=0.01)
    np.testing.assert_array_equal(arr.load(), x)
    np.testing.assert_array_equal(tarr.load(start=1.6, duration=0.05), x[10:15])


# ---------------------------------------------------------------- lhotse interchange


LHOTSE_NAMES = REQUIRED + ["chunked_lilcom_hdf5"]


@pytest.mark.parametrize("name", LHOTSE_NAMES)
def test_lhotse_reads_what_we_write(name, tmp_path):
    lio = pytest.importorskip("lhotse.features.io")
    rng = np.random.default_rng(3)
    arrays = [fbank_like(rng, n, 80) for n in (1, 500, 1001)]
    with make_writer(name, tmp_path) as w:
        keys = [w.write(f"key-{i}", a) for i, a in enumerate(arrays)]
    theirs = lio.get_reader(name)(w.storage_path)
    tol = 0 if name in {"numpy_files", "numpy_hdf5", "memory_raw"} else LILCOM_ERR
    for k, a in zip(keys, arrays):
        got = theirs.read(k)
        assert got.shape == a.shape
        assert np.abs(got - a).max() <= tol
    lio.close_cached_file_handles()


@pytest.mark.parametrize("name", LHOTSE_NAMES)
def test_we_read_what_lhotse_writes(name, tmp_path):
    lio = pytest.importorskip("lhotse.features.io")
    rng = np.random.default_rng(4)
    arrays = [fbank_like(rng, n, 80) for n in (1, 500, 1001)]
    cls = lio.get_writer(name)
    w = cls() if name.startswith("memory") else cls(str(tmp_path / "lhotse_out"))
    with w:
        # lhotse's lilcom writers quantize their input in place: give them copies.
        keys = [w.write(f"key-{i}", a.copy()) for i, a in enumerate(arrays)]
    ours = get_reader(name)(w.storage_path)
    tol = 0 if name in {"numpy_files", "numpy_hdf5", "memory_raw"} else LILCOM_ERR
    for k, a in zip(keys, arrays):
        got = ours.read(k)
        assert got.shape == a.shape
        assert np.abs(got - a).max() <= tol
        np.testing.assert_array_equal(ours.read(k, 400, 600), got[400:600])
    close_cached_file_handles()


def test_chunky_archive_bytes_identical_to_lhotse(tmp_path):
    lio = pytest.importorskip("lhotse.features.io")
    rng = np.random.default_rng(5)
    arrays = [fbank_like(rng, n, 80) for n in (3, 777, 1500)]
    with LilcomChunkyWriter(tmp_path / "ours") as w:
        ours = [w.write(str(i), a) for i, a in enumerate(arrays)]
    with lio.LilcomChunkyWriter(str(tmp_path / "theirs")) as w:
        theirs = [w.write(str(i), a.copy()) for i, a in enumerate(arrays)]
    assert ours == theirs
    assert (tmp_path / "ours.lca").read_bytes() == (tmp_path / "theirs.lca").read_bytes()


# ---------------------------------------------------------------- safety


def test_truncated_archive_raises_naming_path_and_key(tmp_path):
    rng = np.random.default_rng(6)
    a, b = fbank_like(rng, 600, 20), fbank_like(rng, 600, 20)
    with LilcomChunkyWriter(tmp_path / "t") as w:
        ka, kb = w.write("a", a), w.write("b", b)
    path = tmp_path / "t.lca"
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size - 100)
    r = LilcomChunkyReader(path)
    assert np.abs(r.read(ka) - a).max() <= LILCOM_ERR
    with pytest.raises(CorruptedFeaturesError) as e:
        r.read(kb)
    assert "t.lca" in str(e.value) and kb in str(e.value) and "truncated" in str(e.value)
    # The first chunk of b is intact, so a range inside it still reads.
    assert np.abs(r.read(kb, 0, 100) - b[:100]).max() <= LILCOM_ERR


def test_crashed_writer_process_leaves_readable_keys(tmp_path):
    script = textwrap.dedent(
        f"""
        import os, sys, numpy as np
        from nuptse.features.io import LilcomChunkyWriter, NumpyFilesWriter
        w = LilcomChunkyWriter({str(tmp_path / "crash")!r})
        n = NumpyFilesWriter({str(tmp_path / "crash_np")!r})
        for i in range(5):
            x = np.full((700, 8), float(i), dtype=np.float32)
            print(w.write(str(i), x), n.write("k" + str(i), x), flush=True)
        os._exit(3)  # no close(), no flush at exit
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    lines = proc.stdout.split()
    r = LilcomChunkyReader(tmp_path / "crash.lca")
    rn = NumpyFilesReader(tmp_path / "crash_np")
    for i in range(5):
        expected = np.full((700, 8), float(i), dtype=np.float32)
        np.testing.assert_array_equal(r.read(lines[2 * i]), expected)
        np.testing.assert_array_equal(rn.read(lines[2 * i + 1]), expected)


class _FailingFile:
    """Accepts some bytes, then fails like a full disk."""

    def __init__(self, real, budget):
        self.real, self.budget, self.closed = real, budget, False

    def write(self, data):
        if self.budget <= 0:
            raise OSError(28, "No space left on device")
        n = self.real.write(data[: self.budget])
        self.budget -= n
        return n

    def fileno(self):
        return self.real.fileno()

    def seek(self, *a):
        return self.real.seek(*a)

    def close(self):
        self.real.close()
        self.closed = True


def test_failed_chunky_write_returns_no_key_and_is_cut_back(tmp_path):
    rng = np.random.default_rng(8)
    a, b, c = (fbank_like(rng, 600, 10) for _ in range(3))
    w = LilcomChunkyWriter(tmp_path / "f")
    ka = w.write("a", a)
    end_a = os.path.getsize(w.storage_path)
    w.file = _FailingFile(w.file, budget=1000)
    with pytest.raises(FeaturesStorageError, match="f.lca.*'b'"):
        w.write("b", b)
    assert os.path.getsize(w.storage_path) == end_a
    w.file = w.file.real
    kc = w.write("c", c)
    w.close()
    assert int(kc.split(",")[0]) == end_a
    r = LilcomChunkyReader(w.storage_path)
    assert np.abs(r.read(ka) - a).max() <= LILCOM_ERR
    assert np.abs(r.read(kc) - c).max() <= LILCOM_ERR


def test_failed_file_write_leaves_nothing(tmp_path, monkeypatch):
    def boom(f, arr, allow_pickle=False):
        f.write(b"\x93NUMPY partial")
        raise OSError(28, "No space left on device")

    w = NumpyFilesWriter(tmp_path / "np")
    monkeypatch.setattr(np, "save", boom)
    with pytest.raises(OSError):
        w.write("abcd", np.zeros((3, 3)))
    assert [p for p in (tmp_path / "np").rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("name", sorted(LILCOM_BACKENDS))
@pytest.mark.parametrize("bad", [np.nan, np.inf, 1e9])
def test_lilcom_refuses_values_it_cannot_store(name, bad, tmp_path):
    x = np.zeros((600, 4), dtype=np.float32)
    x[550, 2] = bad
    with make_writer(name, tmp_path) as w:
        with pytest.raises(FeaturesStorageError, match="'bad-key'"):
            w.write("bad-key", x)
        good = w.write("good", np.ones((5, 4), dtype=np.float32))
    np.testing.assert_array_equal(get_reader(name)(w.storage_path).read(good), np.ones((5, 4)))
    close_cached_file_handles()


def test_lilcom_accepts_large_but_storable_values(tmp_path):
    x = np.random.default_rng(9).standard_normal((300, 8)).astype(np.float32) * 1e6
    with LilcomChunkyWriter(tmp_path / "big") as w:
        key = w.write("big", x)
    got = LilcomChunkyReader(w.storage_path).read(key)
    assert np.all(np.abs(got - x) <= LILCOM_ERR + 1e-6 * np.abs(x))


# ---------------------------------------------------------------- malformed input


def test_malformed_chunky_key(tmp_path):
    with LilcomChunkyWriter(tmp_path / "m") as w:
        w.write("a", np.ones((3, 3), dtype=np.float32))
    r = LilcomChunkyReader(w.storage_path)
    for key in ["abc", "", "1,-5", "0,,3"]:
        with pytest.raises(FeaturesStorageError, match="m.lca"):
            r.read(key)
    with pytest.raises(CorruptedFeaturesError, match=r"m.lca.*'0,5'"):
        r.read("0,5")  # wrong size: not decodable
    with pytest.raises(FeaturesStorageError, match="non-negative"):
        r.read("0,5", -1)


def test_missing_files_name_path_and_key(tmp_path):
    cases = [
        (LilcomChunkyReader(tmp_path / "nope.lca"), "0,10"),
        (LilcomFilesReader(tmp_path / "d"), "abc/abc.llc"),
        (NumpyFilesReader(tmp_path / "d"), "abc/abc.npy"),
        (NumpyHdf5Reader(tmp_path / "nope.h5"), "k"),
    ]
    for reader, key in cases:
        with pytest.raises(FileNotFoundError) as e:
            reader.read(key)
        assert "nope" in str(e.value) or "abc" in str(e.value)
        assert repr(key) in str(e.value)


def test_garbage_files_raise_corrupted(tmp_path):
    (tmp_path / "d" / "abc").mkdir(parents=True)
    (tmp_path / "d" / "abc" / "abc.npy").write_bytes(b"not numpy at all")
    (tmp_path / "d" / "abc" / "abc.llc").write_bytes(b"not lilcom")
    with pytest.raises(CorruptedFeaturesError, match=r"abc\.npy"):
        NumpyFilesReader(tmp_path / "d").read("abc/abc.npy")
    with pytest.raises(CorruptedFeaturesError, match=r"abc\.llc"):
        LilcomFilesReader(tmp_path / "d").read("abc/abc.llc")
    # A truncated .npy raises instead of returning a short array.
    good = tmp_path / "d" / "abc" / "t.npy"
    np.save(good, np.ones((100, 10), dtype=np.float32))
    good.write_bytes(good.read_bytes()[:-40])
    with pytest.raises(CorruptedFeaturesError, match="truncated"):
        NumpyFilesReader(tmp_path / "d").read("abc/t.npy")
    np.testing.assert_array_equal(NumpyFilesReader(tmp_path / "d").read("abc/t.npy", 0, 50), 1)
    (tmp_path / "bad.h5").write_bytes(b"\x89HDF garbage")
    with pytest.raises(CorruptedFeaturesError, match="bad.h5"):
        NumpyHdf5Reader(tmp_path / "bad.h5").read("k")


def test_hdf5_missing_key_and_rewritten_file(tmp_path):
    path = tmp_path / "f.h5"
    with NumpyHdf5Writer(path) as w:
        w.write("a", np.zeros((2, 2)))
    with pytest.raises(FeaturesKeyError, match="f.h5.*'b'"):
        NumpyHdf5Reader(path).read("b")
    with pytest.raises(KeyError):
        NumpyHdf5Reader(path).read("b")
    # Rewriting the file is noticed by the cached handle.
    with NumpyHdf5Writer(path) as w:
        w.write("a", np.ones((3, 2)))
    np.testing.assert_array_equal(NumpyHdf5Reader(path).read("a"), np.ones((3, 2)))
    close_cached_file_handles()


def test_memory_raw_refuses_non_array_pickles():
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with pytest.raises(CorruptedFeaturesError, match="refusing"):
        MemoryRawReader().read(pickle.dumps(Evil()))
    with pytest.raises(CorruptedFeaturesError):
        MemoryRawReader().read(b"garbage")
    for proto in (2, 4, 5):
        x = np.arange(12, dtype=np.float32).reshape(4, 3)
        np.testing.assert_array_equal(MemoryRawReader().read(pickle.dumps(x, protocol=proto)), x)


def test_lilcom_writers_reject_non_numeric(tmp_path):
    with LilcomChunkyWriter(tmp_path / "s") as w:
        with pytest.raises(FeaturesStorageError, match="dtype"):
            w.write("s", np.array([["a", "b"]]))


# ---------------------------------------------------------------- the fast lilcom front end


def test_fast_encoder_matches_lilcom_compress_bytes(fixtures_dir):
    import lilcom

    from nuptse.features.io._lilcom import _fast_path_ok, compress_checked

    assert _fast_path_ok()
    rng = np.random.default_rng(11)
    exp = fixtures_dir / WRITTEN / "expected_features"
    cases = [np.load(p) for p in sorted(exp.glob("numpy_files-*.npy"))]
    cases += [fbank_like(rng, int(n), int(d)) for n, d in rng.integers(1, 700, size=(40, 2))]
    cases += [
        (rng.standard_normal((int(n), int(d))) * s).astype(np.float32)
        for (n, d), s in zip(rng.integers(1, 300, size=(40, 2)), rng.uniform(1e-3, 1e3, 40))
    ]
    cases += [np.zeros((5, 7), np.float32), np.ones((1, 1), np.float32), np.ones((9, 1))]
    for x in cases:
        ours = compress_checked(x, -5, None, None)
        assert ours == lilcom.compress(np.array(x, dtype=np.float32), tick_power=-5), x.shape


def test_kaldi_writer_round_trip_and_kaldi_native_io(tmp_path):
    from nuptse.features.io import KaldiReader, KaldiWriter, get_writer

    assert get_writer("kaldiio") is KaldiWriter
    rng = np.random.default_rng(0)
    data = rng.standard_normal((131, 80)).astype(np.float32)
    with KaldiWriter(tmp_path / "plain", compression_method=None) as w:
        assert w.write("utt1", data) == "utt1"
        w.write("utt2", data[:7])
    reader = KaldiReader(w.storage_path)
    np.testing.assert_array_equal(reader.read("utt1"), data)
    np.testing.assert_array_equal(reader.read("utt2", 2, 5), data[2:5])
    with KaldiWriter(tmp_path / "compressed") as w:  # Kaldi's automatic compression
        w.write("utt1", data)
        with pytest.raises(ValueError, match="utt 3"):
            w.write("utt 3", data)
    np.testing.assert_allclose(KaldiReader(w.storage_path).read("utt1"), data, atol=0.05)
    kni = pytest.importorskip("kaldi_native_io")  # an independent Kaldi reader
    with kni.RandomAccessFloatMatrixReader(f"scp:{tmp_path / 'plain' / 'feats.scp'}") as r:
        np.testing.assert_array_equal(r["utt1"], data)


def test_shar_placeholder_storage_cannot_be_read_directly():
    from nuptse.features import Features
    from nuptse.features.io import SharPlaceholderFeaturesError

    feats = Features(
        type="fbank", num_frames=10, num_features=4, frame_shift=0.01, sampling_rate=16000,
        start=0, duration=0.1, storage_type="shar", storage_path="", storage_key="",
        recording_id="rec1", channels=0,
    )
    with pytest.raises(RuntimeError, match="Shar placeholder") as err:
        feats.load()
    assert isinstance(err.value, SharPlaceholderFeaturesError)
    assert isinstance(err.value, ValueError)


def test_lhotse_helper_functions(tmp_path):
    from nuptse.features import io

    io.check_lilcom_installed()
    io.check_h5py_installed()
    assert io.get_lilcom_module().__name__ == "lilcom"
    arr = np.arange(1200, dtype=np.float32).reshape(300, 4)
    with io.ChunkedLilcomHdf5Writer(tmp_path / "c", chunk_size=100) as w:
        w.write("k", arr)
    handle = io.lookup_cache_or_open(w.storage_path)
    assert io.lookup_chunk_size(handle) == 100
    with io.KaldiWriter(tmp_path / "kaldi", compression_method=None) as kw:
        kw.write("utt", arr)
    np.testing.assert_array_equal(io.lookup_reader_cache_or_open(kw.storage_path)["utt"], arr)
    io.close_cached_file_handles()
