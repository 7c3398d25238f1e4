"""Shar export and read: nuptse vs lhotse 1.33 on the same corpus.

Builds a corpus by tiling the fixture utterances (``tests/fixtures/mini_corpus``
FLACs, copied once per tile so every recording is its own file) with their
stored lilcom fbank features (``lhotse_written/feats_chunky.lca``), 15 tiles
= 20.5 minutes of audio by default.  Then, each step in a fresh process per
library:

* **export**: ``CutSet.to_shar(fields={"recording": "flac", "features": "lilcom"})``
  from the cut manifest (decoding the stored features, lilcom-compressing them
  again, and storing FLAC audio);
* (each step first handles one cut untimed, so lazy imports and decoder
  discovery are not counted);
* **read**: ``CutSet.from_shar(in_dir=...)``, iterating every cut and calling
  ``load_audio()`` and ``load_features()``; both libraries read the same two
  directories (the one lhotse wrote and the one nuptse wrote).  After the
  timed runs every process decodes the cuts once more and fingerprints the
  audio and feature arrays of every 5th cut (dtype, shape, bytes); the run
  stops unless both libraries produced identical arrays.

nuptse's export stores the source FLAC bytes unchanged when a cut spans a
whole FLAC recording (the decoded samples are identical); ``export
(re-encode)`` turns that off to show the cost of encoding.

The machine is shared and its load varies, so the libraries alternate: each
of ``--rounds`` rounds runs every step once per library (best of
``--repeat`` inside the process), and the table keeps each library's best
round.  Ratios are given for wall-clock time and for the process's CPU time
(``time.process_time``), which other processes disturb less.

``--stages`` adds a per-stage breakdown of the read (wall and CPU ms for
all cuts, each library on the lhotse-written directory): iterating cuts
without loading, ``load_audio`` / ``load_features`` of already iterated
cuts, and the bare decoders on the same bytes (the floor any reader pays):
the stdlib ``tarfile`` reading every member, libsndfile and FFmpeg (through
``nuptse.audio.flac``) decoding the FLAC bytes to float32, lilcom.

Usage: ``python benchmarks/shar.py [--tiles 15] [--num-jobs 1] [--repeat 3]
[--rounds 2] [--stages] [--quick]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"

#: Every SAMPLE_EVERY-th cut (in read order) is fingerprinted for the equality check.
SAMPLE_EVERY = 5

STEP = r"""
import hashlib, json, shutil, sys, time
lib, step, corpus, target, repeat, num_jobs, extra, every = sys.argv[1:9]
repeat, num_jobs, every = int(repeat), int(num_jobs), int(every)
if lib == "lhotse":
    from lhotse import CutSet
else:
    from nuptse.cut import CutSet
fields = {"recording": "flac", "features": "lilcom"}
best, cpu, n, work, prints = float("inf"), float("inf"), 0, 0, {}


# Warm up (lazy imports, decoder discovery) outside the timed region: we measure
# steady-state throughput, not one-time start-up costs.
if step == "export":
    warm = target + "_warmup"
    shutil.rmtree(warm, ignore_errors=True)
    __import__("os").makedirs(warm)
    warm_kwargs = {"copy_encoded_audio": False} if extra == "reencode" else {}
    CutSet.from_file(corpus).subset(first=1).to_shar(
        warm, fields=fields, shard_size=100, **warm_kwargs
    )
    shutil.rmtree(warm)
else:
    for cut in CutSet.from_shar(in_dir=target):
        cut.load_audio(), cut.load_features()
        break
for r in range(repeat):
    if step == "export":
        cuts = CutSet.from_file(corpus)
        shutil.rmtree(target, ignore_errors=True)
        import os
        os.makedirs(target)
        kwargs = {"copy_encoded_audio": False} if extra == "reencode" else {}
        c, t = time.process_time(), time.perf_counter()
        cuts.to_shar(target, fields=fields, shard_size=100, num_jobs=num_jobs, **kwargs)
        elapsed, used = time.perf_counter() - t, time.process_time() - c
        n = len(cuts)
    else:
        n = work = 0
        c, t = time.process_time(), time.perf_counter()
        for cut in CutSet.from_shar(in_dir=target):
            work += cut.load_audio().shape[1] + cut.load_features().shape[0]
            n += 1
        elapsed, used = time.perf_counter() - t, time.process_time() - c
    best, cpu = min(best, elapsed), min(cpu, used)


def fingerprint(a):
    return [str(a.dtype), list(a.shape), hashlib.sha1(a.tobytes()).hexdigest()]


if step == "read":  # untimed: fingerprints of every `every`-th cut's arrays
    for i, cut in enumerate(CutSet.from_shar(in_dir=target)):
        if i % every == 0:
            prints[cut.id] = fingerprint(cut.load_audio()) + fingerprint(cut.load_features())
print(json.dumps({"seconds": best, "cpu": cpu, "n": n, "work": work, "prints": prints}))
"""

STAGES = r"""
import glob, io, sys, tarfile, time
lib, target, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
import lilcom, numpy as np, soundfile as sf
if lib == "lhotse":
    from lhotse import CutSet
else:
    from nuptse.cut import CutSet
cuts = list(CutSet.from_shar(in_dir=target))
cuts[0].load_audio(), cuts[0].load_features()
flacs = [c.recording.sources[0].source for c in cuts]
llcs = [c.features.storage_key for c in cuts]


def iterate():
    for _ in CutSet.from_shar(in_dir=target):
        pass


def load_audio():
    for c in cuts:
        c.load_audio()


def load_features():
    for c in cuts:
        c.load_features()


def total():
    for c in CutSet.from_shar(in_dir=target):
        c.load_audio(), c.load_features()


def tar_members():  # the stdlib's tarfile, as lhotse reads shards
    for p in sorted(glob.glob(target + "/*.tar")):
        with tarfile.open(p, mode="r|*") as t:
            for m in t:
                t.extractfile(m).read()


def flac_soundfile():
    for b in flacs:
        sf.read(io.BytesIO(b), dtype="float32", always_2d=True)


def flac_ffmpeg():  # int16 from FFmpeg's decoder, scaled to float32 as libsndfile does
    from nuptse.audio.flac import decode_flac16

    for b in flacs:
        np.multiply(decode_flac16(b)[0], np.float32(1 / 32768), dtype=np.float32)


def lilcom_decompress():
    for b in llcs:
        lilcom.decompress(b)


stages = {"iterate (no loading)": iterate, "load_audio": load_audio,
          "load_features": load_features, "total": total}
if lib == "nuptse":
    stages.update({"  bare tarfile members": tar_members,
                   "  bare soundfile FLAC": flac_soundfile,
                   "  bare FFmpeg FLAC": flac_ffmpeg,
                   "  bare lilcom": lilcom_decompress})
wall = {k: float("inf") for k in stages}
cpu = dict(wall)
for _ in range(repeat):
    for k, fn in stages.items():
        c, t = time.process_time(), time.perf_counter()
        fn()
        wall[k] = min(wall[k], time.perf_counter() - t)
        cpu[k] = min(cpu[k], time.process_time() - c)
print(__import__("json").dumps({"n": len(cuts), "wall": wall, "cpu": cpu}))
"""


def build_corpus(workdir: Path, tiles: int) -> tuple[Path, float]:
    """Write ``cuts.jsonl.gz`` with ``tiles`` copies of the 24 fixture cuts; return it and hours."""
    src = FIXTURES / "lhotse_written" / "cuts.jsonl.gz"
    feats = workdir / "feats_chunky.lca"
    shutil.copyfile(FIXTURES / "lhotse_written" / "feats_chunky.lca", feats)
    audio_dir = workdir / "audio"
    audio_dir.mkdir()
    base = [json.loads(line) for line in gzip.open(src, "rt")]
    out, seconds = [], 0.0
    for t in range(tiles):
        for d in base:
            d = json.loads(json.dumps(d))
            rid = f"{d['recording']['id']}_t{t}"
            flac = audio_dir / f"{rid}.flac"
            shutil.copyfile(FIXTURES / d["recording"]["sources"][0]["source"], flac)
            d["id"] = f"{d['id']}_t{t}"
            d["recording"]["id"] = rid
            d["recording"]["sources"][0]["source"] = str(flac)
            d["features"]["recording_id"] = rid
            d["features"]["storage_path"] = str(feats)
            for s in d["supervisions"]:
                s["id"] = f"{s['id']}_t{t}"
                s["recording_id"] = rid
            seconds += d["duration"]
            out.append(d)
    path = workdir / "cuts.jsonl.gz"
    with gzip.open(path, "wt") as f:
        for d in out:
            f.write(json.dumps(d) + "\n")
    return path, seconds


def _run(script: str, *args) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{args[:2]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_step(lib, step, corpus, target, repeat, num_jobs, extra=""):
    return _run(STEP, lib, step, corpus, target, repeat, num_jobs, extra, SAMPLE_EVERY)


def best_of_rounds(rounds: int, runs: dict) -> dict:
    """Run each ``name: thunk`` once per round (order alternating); keep each one's best round."""
    best: dict = {}
    names = list(runs)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            res = runs[name]()
            prev = best.get(name)
            if prev is None:
                best[name] = res
            else:
                prev["seconds"] = min(prev["seconds"], res["seconds"])
                prev["cpu"] = min(prev["cpu"], res["cpu"])
    return best


def check_same_arrays(rd: dict, what: str) -> int:
    ours, theirs = rd["nuptse"], rd["lhotse"]
    if ours["work"] != theirs["work"] or ours["n"] != theirs["n"]:
        raise RuntimeError(f"{what}: the libraries read different amounts of data")
    a, b = ours["prints"], theirs["prints"]
    if not a or a != b:
        diff = [k for k in a.keys() | b.keys() if a.get(k) != b.get(k)]
        raise RuntimeError(f"{what}: different arrays for {len(diff)} cut(s), e.g. {diff[:3]}")
    return len(a)


def print_stages(tmp: Path, repeat: int) -> None:
    target = tmp / "shar_lhotse"
    res = {lib: _run(STAGES, lib, target, repeat) for lib in ("lhotse", "nuptse")}
    n = res["nuptse"]["n"]
    print(f"\nread stages on the lhotse-written shards ({n} cuts, best of {repeat}; ms)")
    print(f"{'stage':26s} {'nuptse wall':>11s} {'cpu':>7s} {'lhotse wall':>11s} {'cpu':>7s}")
    for stage in res["nuptse"]["wall"]:
        cols = []
        for lib in ("nuptse", "lhotse"):
            w = res[lib]["wall"].get(stage)
            c = res[lib]["cpu"].get(stage)
            cols.append(f"{w * 1e3:11.1f} {c * 1e3:7.1f}" if w is not None else f"{'':11s} {'':7s}")
        print(f"{stage:26s} {cols[0]} {cols[1]}")
    bare, theirs = res["nuptse"]["cpu"], res["lhotse"]["cpu"]["total"]
    for flac in ("soundfile", "FFmpeg"):
        floor = bare[f"  bare {flac} FLAC"] + bare["  bare lilcom"]
        print(
            f"decoders alone ({flac} FLAC + lilcom): {floor * 1e3:.1f} ms cpu, so a reader "
            f"using them is at most {theirs / floor:.2f}x lhotse's total here"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiles", type=int, default=15, help="copies of the 24 fixture cuts")
    ap.add_argument("--num-jobs", type=int, default=1, help="to_shar num_jobs (both libraries)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs per process")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds per step")
    ap.add_argument("--quick", action="store_true", help="3 tiles, 1 run, 1 round")
    ap.add_argument("--stages", action="store_true", help="also print the read stage breakdown")
    args = ap.parse_args()
    if args.quick:
        args.tiles, args.repeat, args.rounds = 3, 1, 1
    with tempfile.TemporaryDirectory(prefix="nuptse-shar-bench-") as tmp:
        tmp = Path(tmp)
        corpus, seconds = build_corpus(tmp, args.tiles)
        n = 24 * args.tiles
        print(
            f"corpus: {n} cuts, {seconds / 60:.1f} min of 16 kHz FLAC + lilcom fbank "
            f"(tiles={args.tiles}, num_jobs={args.num_jobs}, best of {args.repeat} x "
            f"{args.rounds} rounds)"
        )
        dirs = {lib: tmp / f"shar_{lib}" for lib in ("lhotse", "nuptse")}
        rows = []
        ex = best_of_rounds(
            args.rounds,
            {
                lib: (
                    lambda lib=lib: run_step(
                        lib, "export", corpus, dirs[lib], args.repeat, args.num_jobs
                    )
                )
                for lib in ("lhotse", "nuptse")
            },
        )
        rows.append(("export", ex["nuptse"], ex["lhotse"]))
        reenc = run_step(
            "nuptse", "export", corpus, tmp / "shar_reenc", args.repeat, args.num_jobs, "reencode"
        )
        rows.append(("export (re-encode)", reenc, ex["lhotse"]))
        checked = 0
        for src in ("lhotse", "nuptse"):
            runs = {
                lib: (lambda lib=lib, d=dirs[src]: run_step(lib, "read", corpus, d, args.repeat, 1))
                for lib in ("lhotse", "nuptse")
            }
            rd = best_of_rounds(args.rounds, runs)
            checked += check_same_arrays(rd, f"read {src}-written")
            rows.append((f"read {src}-written", rd["nuptse"], rd["lhotse"]))
        print(
            f"{'step':26s} {'nuptse cuts/s':>14s} {'lhotse cuts/s':>14s} {'ratio':>7s} "
            f"{'cpu ratio':>9s}"
        )
        for name, ours, theirs in rows:
            a, b = ours["n"] / ours["seconds"], theirs["n"] / theirs["seconds"]
            c = theirs["cpu"] / ours["cpu"]
            print(f"{name:26s} {a:14.1f} {b:14.1f} {a / b:6.2f}x {c:8.2f}x")
        sizes = {lib: sum(p.stat().st_size for p in d.iterdir()) / 1e6 for lib, d in dirs.items()}
        print(
            "shar size: nuptse {nuptse:.1f} MB, lhotse {lhotse:.1f} MB".format(**sizes)
            + "  (targets: export >= 1.5x, read >= 2x)"
        )
        print(
            f"identical audio and feature arrays from both libraries for the {checked} "
            f"fingerprinted cuts (every {SAMPLE_EVERY}th)"
        )
        if args.stages:
            print_stages(tmp, max(args.repeat, 3))


if __name__ == "__main__":
    main()
