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
  directories (the one lhotse wrote and the one nuptse wrote).

nuptse's export stores the source FLAC bytes unchanged when a cut spans a
whole FLAC recording (the decoded samples are identical); ``export
(re-encode)`` turns that off to show the cost of encoding.

``--decode-workers N`` adds nuptse reads that decode FLAC in N background
threads (``from_shar(..., decode_workers=N)``); they help only with idle cores.

Usage: ``python benchmarks/shar.py [--tiles 15] [--num-jobs 1] [--repeat 3]
[--decode-workers 0] [--quick]``
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

STEP = r"""
import json, shutil, sys, time
lib, step, corpus, target, repeat, num_jobs, extra = sys.argv[1:8]
repeat, num_jobs = int(repeat), int(num_jobs)
if lib == "lhotse":
    from lhotse import CutSet
else:
    from nuptse.cut import CutSet
fields = {"recording": "flac", "features": "lilcom"}
best, n, work = float("inf"), 0, 0
# Warm up (lazy imports, decoder discovery) outside the timed region: we measure
# steady-state throughput, not one-time start-up costs.
if step == "export":
    warm = target + "_warmup"
    shutil.rmtree(warm, ignore_errors=True)
    __import__("os").makedirs(warm)
    CutSet.from_file(corpus).subset(first=1).to_shar(warm, fields=fields, shard_size=100)
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
        t = time.perf_counter()
        cuts.to_shar(target, fields=fields, shard_size=100, num_jobs=num_jobs, **kwargs)
        elapsed = time.perf_counter() - t
        n = len(cuts)
    else:
        t = time.perf_counter()
        n = work = 0
        kwargs = {"decode_workers": int(extra)} if extra else {}
        for cut in CutSet.from_shar(in_dir=target, **kwargs):
            work += cut.load_audio().shape[1] + cut.load_features().shape[0]
            n += 1
        elapsed = time.perf_counter() - t
    best = min(best, elapsed)
print(json.dumps({"seconds": best, "n": n, "work": work}))
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


def run_step(lib, step, corpus, target, repeat, num_jobs, extra=""):
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            STEP,
            lib,
            step,
            str(corpus),
            str(target),
            str(repeat),
            str(num_jobs),
            extra,
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{lib} {step} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiles", type=int, default=15, help="copies of the 24 fixture cuts")
    ap.add_argument("--num-jobs", type=int, default=1, help="to_shar num_jobs (both libraries)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs per step")
    ap.add_argument("--quick", action="store_true", help="3 tiles, 1 run per step")
    ap.add_argument(
        "--decode-workers",
        type=int,
        default=0,
        help="also time nuptse's read with this many FLAC decode-ahead threads",
    )
    args = ap.parse_args()
    if args.quick:
        args.tiles, args.repeat = 3, 1
    with tempfile.TemporaryDirectory(prefix="nuptse-shar-bench-") as tmp:
        tmp = Path(tmp)
        corpus, seconds = build_corpus(tmp, args.tiles)
        n = 24 * args.tiles
        print(
            f"corpus: {n} cuts, {seconds / 60:.1f} min of 16 kHz FLAC + lilcom fbank "
            f"(tiles={args.tiles}, num_jobs={args.num_jobs}, best of {args.repeat})"
        )
        dirs = {lib: tmp / f"shar_{lib}" for lib in ("lhotse", "nuptse")}
        rows = []
        ex = {
            lib: run_step(lib, "export", corpus, dirs[lib], args.repeat, args.num_jobs)
            for lib in ("lhotse", "nuptse")
        }
        rows.append(("export", ex["nuptse"], ex["lhotse"]))
        reenc = run_step(
            "nuptse", "export", corpus, tmp / "shar_reenc", args.repeat, args.num_jobs, "reencode"
        )
        rows.append(("export (re-encode)", reenc, ex["lhotse"]))
        for src in ("lhotse", "nuptse"):
            rd = {
                lib: run_step(lib, "read", corpus, dirs[src], args.repeat, args.num_jobs)
                for lib in ("lhotse", "nuptse")
            }
            if rd["lhotse"]["work"] != rd["nuptse"]["work"]:
                raise RuntimeError(f"the libraries read different amounts of data: {rd}")
            rows.append((f"read {src}-written", rd["nuptse"], rd["lhotse"]))
            if args.decode_workers:
                dw = run_step(
                    "nuptse",
                    "read",
                    corpus,
                    dirs[src],
                    args.repeat,
                    args.num_jobs,
                    str(args.decode_workers),
                )
                rows.append((f"  decode_workers={args.decode_workers}", dw, rd["lhotse"]))
        print(f"{'step':26s} {'nuptse cuts/s':>14s} {'lhotse cuts/s':>14s} {'ratio':>7s}")
        for name, ours, theirs in rows:
            a, b = ours["n"] / ours["seconds"], theirs["n"] / theirs["seconds"]
            print(f"{name:26s} {a:14.1f} {b:14.1f} {a / b:6.2f}x")
        sizes = {lib: sum(p.stat().st_size for p in d.iterdir()) / 1e6 for lib, d in dirs.items()}
        print(
            "shar size: nuptse {nuptse:.1f} MB, lhotse {lhotse:.1f} MB".format(**sizes)
            + "  (targets: export >= 1.5x, read >= 2x)"
        )


if __name__ == "__main__":
    main()
