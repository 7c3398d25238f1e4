"""Feature storage: nuptse vs lhotse 1.33, every storage type, plus the raw lilcom codec.

Builds N fbank-like matrices (about 1,000 x 80 each): 80-bin fbank of the
fixture LibriSpeech utterance is computed once with kaldi-native-fbank, tiled,
cut into windows of 900-1100 frames at random offsets and perturbed with a
little noise. Then, for each storage type and each library in turn:

* write all matrices through the library's writer (matrices/s); the two
  libraries (and the raw codec) take turns matrix by matrix, so machine load
  hits both alike, and throughput is 1 / the median per-matrix time,
* read each back through a freshly made reader, as ``Features.load`` does
  (matrices/s), and, for ``lilcom_chunky``, a 100-frame window of each,
* bytes per stored value (files on disk, or key bytes for in-memory types),
* max abs error against the input.

The raw codec is timed on whole matrices and, for ``lilcom_chunky``, on the
500-frame chunks that format consists of.

The raw ``lilcom.compress``/``lilcom.decompress`` over the same matrices is
timed in the same run; each lilcom storage type's overhead over it is printed.

Usage: ``python benchmarks/feature_storage.py [--num 2000] [--quick] [--backends a,b]``
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
AUDIO = ROOT / "tests" / "fixtures" / "libri" / "libri-1088-134315-0000.wav"
BACKENDS = [
    "lilcom_chunky",
    "lilcom_files",
    "lilcom_hdf5",
    "memory_lilcom",
    "numpy_files",
    "numpy_hdf5",
    "memory_raw",
]
LILCOM = {"lilcom_chunky", "lilcom_files", "lilcom_hdf5", "memory_lilcom"}


def base_fbank() -> np.ndarray:
    """80-bin fbank of the fixture utterance (kaldi-native-fbank, else lhotse's Fbank)."""
    import soundfile as sf

    wav, sr = sf.read(str(AUDIO), dtype="float32")
    try:
        import kaldi_native_fbank as knf
    except ImportError:
        from lhotse import Fbank

        return Fbank().extract(wav, sr).astype(np.float32)
    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq = sr
    opts.frame_opts.dither = 0.0
    opts.frame_opts.snip_edges = False
    opts.mel_opts.num_bins = 80
    opts.mel_opts.high_freq = -400
    fb = knf.OnlineFbank(opts)
    fb.accept_waveform(sr, wav.tolist())
    fb.input_finished()
    return np.stack([fb.get_frame(i) for i in range(fb.num_frames_ready)]).astype(np.float32)


def make_matrices(n: int, seed: int = 0) -> list[np.ndarray]:
    base = base_fbank()
    tiled = np.concatenate([base, base[::-1], base], axis=0)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        frames = int(rng.integers(900, 1101))
        start = int(rng.integers(0, tiled.shape[0] - frames))
        noise = rng.standard_normal((frames, 80), dtype=np.float32) * 0.05
        out.append(np.ascontiguousarray(tiled[start : start + frames] + noise))
    return out


def dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _libs():
    import lhotse.features.io as lhotse_io

    import nuptse.features.io as nuptse_io

    return {"nuptse": nuptse_io, "lhotse": lhotse_io}


def _turns(order: list[str], i: int) -> list[str]:
    return order if i % 2 else order[::-1]


def run_backend(name: str, mats: list[np.ndarray], workdir: Path) -> dict:
    """Write and read every matrix through both libraries, interleaved.

    Each matrix is written by nuptse and lhotse (and, for lilcom types, by the
    raw codec) back to back, alternating who goes first, so both see the same
    machine load. Throughput is 1 / the median per-call time, so that a call
    preempted by another process does not decide the result.
    """
    import lilcom

    libs = _libs()
    lilcom_type = name in LILCOM
    mem = name.startswith("memory")
    writers = {
        lib: (m.get_writer(name)() if mem else m.get_writer(name)(str(workdir / f"{lib}-{name}")))
        for lib, m in libs.items()
    }
    chunked = name == "lilcom_chunky"
    t = {lib: {"write": [], "read": [], "window": []} for lib in [*libs, "raw", "raw500"]}
    keys: dict[str, list] = {lib: [] for lib in libs}
    blobs = []
    chunk_blobs = []
    order = list(libs)
    clock = time.perf_counter
    gc.collect()
    for i, m in enumerate(mats):
        for lib in _turns(order, i):
            # lhotse's lilcom writers quantize float32 input in place: give both copies.
            x = m.copy() if lilcom_type else m
            t0 = clock()
            keys[lib].append(writers[lib].write(f"m{i:06d}", x))
            t[lib]["write"].append(clock() - t0)
        if lilcom_type:
            x = m.copy()
            t0 = clock()
            blobs.append(lilcom.compress(x, tick_power=-5))
            t["raw"]["write"].append(clock() - t0)
        if chunked:
            x = m.copy()
            t0 = clock()
            pieces = [lilcom.compress(x[j : j + 500], tick_power=-5) for j in range(0, len(x), 500)]
            t["raw500"]["write"].append(clock() - t0)
            chunk_blobs.append(pieces)
    total = sum(m.size for m in mats)
    res: dict[str, dict] = {}
    for lib, w in writers.items():
        t0 = clock()
        w.__exit__(None, None, None)  # lhotse's file writers have no close()
        t[lib]["write"][-1] += clock() - t0
        nbytes = sum(len(k) for k in keys[lib]) if mem else dir_bytes(Path(w.storage_path))
        res[lib] = {"bpv": nbytes / total, "err": 0.0}
    if lilcom_type:
        res["raw"] = {"bpv": sum(map(len, blobs)) / total}
    if chunked:
        res["raw500"] = {"bpv": sum(len(b) for p in chunk_blobs for b in p) / total}
    readers = {lib: libs[lib].get_reader(name) for lib in libs}
    rng = np.random.default_rng(1)
    gc.collect()
    for i, m in enumerate(mats):
        for lib in _turns(order, i):
            path, key = writers[lib].storage_path, keys[lib][i]
            t0 = clock()
            out = readers[lib](path).read(key)
            t[lib]["read"].append(clock() - t0)
            res[lib]["err"] = max(res[lib]["err"], float(np.abs(out - m).max()))
        if lilcom_type:
            t0 = clock()
            lilcom.decompress(blobs[i])
            t["raw"]["read"].append(clock() - t0)
        if chunked:
            t0 = clock()
            np.concatenate([lilcom.decompress(b) for b in chunk_blobs[i]], axis=0)
            t["raw500"]["read"].append(clock() - t0)
        if name == "lilcom_chunky":
            s = int(rng.integers(0, m.shape[0] - 100))
            for lib in _turns(order, i):
                path, key = writers[lib].storage_path, keys[lib][i]
                t0 = clock()
                readers[lib](path).read(key, s, s + 100)
                t[lib]["window"].append(clock() - t0)
    for lib, m in libs.items():
        m.close_cached_file_handles()
        p = writers[lib].storage_path
        if p is not None and Path(p).exists():
            shutil.rmtree(p) if Path(p).is_dir() else Path(p).unlink()
    for lib, times in t.items():
        if lib in res:
            # 1 / median call time: robust to preemption by other processes.
            res[lib].update({k: 1.0 / float(np.median(v)) for k, v in times.items() if v})
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--num", type=int, default=2000)
    ap.add_argument("--quick", action="store_true", help="200 matrices")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--tmpdir", default=None)
    args = ap.parse_args()
    n = 200 if args.quick else args.num
    names = [b for b in args.backends.split(",") if b]

    t0 = time.perf_counter()
    mats = make_matrices(n)
    frames = sum(m.shape[0] for m in mats)
    print(
        f"{n} matrices, {frames} frames x 80 ({frames * 80 * 4 / 1e6:.0f} MB float32), "
        f"made in {time.perf_counter() - t0:.1f}s; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'storage':<15}{'write n/s':>10}{'lhotse':>9}{'ratio':>7}"
        f"{'read n/s':>10}{'lhotse':>9}{'ratio':>7}{'B/val':>8}{'lhotse':>8}"
        f"{'err':>10}{'lhotse':>10}{'wr ovh':>8}{'rd ovh':>8}"
    )
    with tempfile.TemporaryDirectory(dir=args.tmpdir) as d:
        for name in names:
            res = run_backend(name, mats, Path(d))
            ours, theirs = res["nuptse"], res["lhotse"]
            print(
                f"{name:<15}{ours['write']:>10.0f}{theirs['write']:>9.0f}"
                f"{ours['write'] / theirs['write']:>7.2f}"
                f"{ours['read']:>10.0f}{theirs['read']:>9.0f}"
                f"{ours['read'] / theirs['read']:>7.2f}"
                f"{ours['bpv']:>8.4f}{theirs['bpv']:>8.4f}"
                f"{ours['err']:>10.2e}{theirs['err']:>10.2e}"
            )
            for tag, label in (("raw", "  raw codec"), ("raw500", "  raw, 500-fr")):
                if tag in res:
                    raw = res[tag]
                    print(
                        f"{label:<15}{raw['write']:>10.0f}{'':>16}{raw['read']:>10.0f}"
                        f"{'':>16}{raw['bpv']:>8.4f}{'':>28}"
                        f"{raw['write'] / ours['write'] - 1:>+8.1%}"
                        f"{raw['read'] / ours['read'] - 1:>+8.1%}"
                    )
            if "window" in ours:
                print(
                    f"{'  100-frame win':<15}{'':>26}{ours['window']:>10.0f}"
                    f"{theirs['window']:>9.0f}{ours['window'] / theirs['window']:>7.2f}"
                )
    print(
        "ratio = nuptse / lhotse throughput (>1: nuptse faster). ovh = nuptse's time over the "
        "raw codec on the same matrices (write: lilcom.compress, read: lilcom.decompress); "
        "'raw, 500-fr' is the codec on the 500-frame chunks lilcom_chunky must compress "
        "(read: decompress + concatenate)"
    )


if __name__ == "__main__":
    main()
