"""DynamicBucketingSampler: nuptse vs lhotse 1.33 over one epoch of a lazy manifest.

The data is a generated JSON-lines cut manifest (1,000,000 cuts; 100,000 with
``--quick``) whose durations look like LibriSpeech's: 1-35 s, most between
10 and 16 s; each cut has a recording and one supervision with a transcript,
as LibriSpeech cuts do.  Both libraries read it lazily
(``CutSet.from_jsonl_lazy``) into
``DynamicBucketingSampler(max_duration=600, num_buckets=30, shuffle=True)``.

Each library runs in its own fresh process (so that the memory figures do
not mix), and reports:

* first batch: seconds from creating the sampler (which estimates the bucket
  bins from the first 10,000 cuts) to the first batch;
* batches/s and cuts/s over the full epoch (first batch included), and
  batches per second of the process's CPU time (steadier on a shared
  machine, where the two runs may see different loads);
* peak memory: the process's peak resident memory minus its resident memory
  right before the sampler was made (imports excluded);
* padding: the share of padding when each batch is padded to its longest cut;
* restore: seconds for a fresh sampler to ``load_state_dict`` a state saved
  after 1% and after 90% of the cuts and yield the next batch, which is
  checked to be the batch the original sampler yielded next.

Usage: ``python benchmarks/sampling.py [--quick] [--cuts N] [--manifest PATH]``
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path


def make_manifest(path: Path, n: int, seed: int = 0) -> None:
    """LibriSpeech-like cuts: 80% uniform in 10-16 s, 20% uniform in 1-35 s."""
    rng = random.Random(seed)
    with open(path, "w") as f:
        for i in range(n):
            d = rng.uniform(10, 16) if rng.random() < 0.8 else rng.uniform(1, 35)
            num_samples = round(d * 16000)
            d = num_samples / 16000
            rec = f"{i // 1000:04d}-{i % 1000:03d}-{i:07d}"
            cut = {
                "id": f"{rec}-0",
                "start": 0.0,
                "duration": d,
                "channel": 0,
                "supervisions": [
                    {
                        "id": f"{rec}-0",
                        "recording_id": rec,
                        "start": 0.0,
                        "duration": d,
                        "channel": 0,
                        "text": "AND THEN THE WORDS OF THE TRANSCRIPT FOLLOW ONE AFTER ANOTHER " * 2,
                        "language": "English",
                        "speaker": f"{i % 2000}",
                    }
                ],
                "recording": {
                    "id": rec,
                    "sources": [
                        {"type": "file", "channels": [0], "source": f"/data/LibriSpeech/{rec}.flac"}
                    ],
                    "sampling_rate": 16000,
                    "num_samples": num_samples,
                    "duration": d,
                    "channel_ids": [0],
                },
                "type": "MonoCut",
            }
            f.write(json.dumps(cut) + "\n")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_one(impl: str, manifest: str, n_cuts: int) -> dict:
    """One library's figures (runs in a fresh process)."""
    warnings.simplefilter("ignore")
    if impl == "lhotse":
        from lhotse import CutSet
        from lhotse.dataset import DynamicBucketingSampler
    else:
        from nuptse import CutSet
        from nuptse.dataset import DynamicBucketingSampler

    import torch  # noqa: F401  (both import it; keep it out of the memory figure)

    def make():
        return DynamicBucketingSampler(
            CutSet.from_jsonl_lazy(manifest), max_duration=600, num_buckets=30, shuffle=True
        )

    base_rss = _rss_bytes()
    c0 = time.process_time()
    t0 = time.perf_counter()
    sampler = make()
    it = iter(sampler)
    first = next(it)
    t_first = time.perf_counter() - t0
    marks = {"1%": 0.01 * n_cuts, "90%": 0.90 * n_cuts}
    saved: dict = {}
    n_batches, n_seen = 1, len(first)
    padded = total = max(c.duration for c in first) * len(first), sum(c.duration for c in first)
    padded, total = padded
    pending_next = None
    t_paused = c_paused = 0.0
    for batch in it:
        if pending_next is not None:
            saved[pending_next]["next_ids"] = [c.id for c in batch]
            pending_next = None
        n_batches += 1
        n_seen += len(batch)
        durs = [c.duration for c in batch]
        padded += max(durs) * len(durs)
        total += sum(durs)
        for name, at in marks.items():
            if name not in saved and n_seen >= at:
                tp, cp = time.perf_counter(), time.process_time()
                state = sampler.state_dict()
                saved[name] = {"state": copy.deepcopy(state), "bytes": len(_pickled(state))}
                pending_next = name
                t_paused += time.perf_counter() - tp
                c_paused += time.process_time() - cp
    t_epoch = time.perf_counter() - t0 - t_paused
    c_epoch = time.process_time() - c0 - c_paused
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base_rss
    del sampler, it
    restores = {}
    for name, info in saved.items():
        fresh = make()
        t1 = time.perf_counter()
        fresh.load_state_dict(copy.deepcopy(info["state"]))
        batch = next(iter(fresh))
        dt = time.perf_counter() - t1
        restores[name] = {
            "seconds": dt,
            "same_next_batch": [c.id for c in batch] == info.get("next_ids"),
            "state_bytes": info["bytes"],
        }
    return {
        "impl": impl,
        "first_batch_s": t_first,
        "epoch_s": t_epoch,
        "batches": n_batches,
        "cuts": n_seen,
        "batches_per_s": n_batches / t_epoch,
        "batches_per_cpu_s": n_batches / c_epoch,
        "cuts_per_s": n_seen / t_epoch,
        "peak_mem_mb": peak / 2**20,
        "padding": (padded - total) / padded,
        "restores": restores,
    }


def _pickled(obj) -> bytes:
    import pickle

    return pickle.dumps(obj)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100,000 cuts instead of 1,000,000")
    ap.add_argument("--cuts", type=int, default=None, help="number of cuts to generate")
    ap.add_argument("--manifest", type=Path, default=None, help="reuse/keep the manifest here")
    ap.add_argument("--only", choices=["nuptse", "lhotse"], default=None)
    ap.add_argument("--worker", choices=["nuptse", "lhotse"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    n = args.cuts or (100_000 if args.quick else 1_000_000)
    if args.worker:
        print(json.dumps(run_one(args.worker, str(args.manifest), n)))
        return
    tmp = None
    manifest = args.manifest
    if manifest is None:
        tmp = tempfile.TemporaryDirectory()
        manifest = Path(tmp.name) / "cuts.jsonl"
    if not manifest.exists():
        t = time.perf_counter()
        make_manifest(manifest, n)
        print(f"generated {n:,} cuts in {time.perf_counter() - t:.1f} s: {manifest}")
    results = {}
    for impl in ["nuptse", "lhotse"]:
        if args.only and impl != args.only:
            continue
        cmd = [sys.executable, __file__, "--worker", impl, "--manifest", str(manifest)]
        cmd += ["--cuts", str(n)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results[impl] = json.loads(out.strip().splitlines()[-1])
    print(f"\nDynamicBucketingSampler(max_duration=600, num_buckets=30, shuffle=True), {n:,} cuts")
    rows = [
        ("first batch (s)", "first_batch_s", "{:.2f}", "lhotse/nuptse"),
        ("batches/s", "batches_per_s", "{:.1f}", "nuptse/lhotse"),
        ("batches per CPU second", "batches_per_cpu_s", "{:.1f}", "nuptse/lhotse"),
        ("cuts/s", "cuts_per_s", "{:,.0f}", "nuptse/lhotse"),
        ("peak memory (MB)", "peak_mem_mb", "{:.1f}", "nuptse/lhotse"),
        ("padding ratio", "padding", "{:.4f}", "nuptse/lhotse"),
        ("batches in the epoch", "batches", "{:d}", ""),
    ]
    header = f"{'':26s}" + "".join(f"{k:>14s}" for k in results) + "   ratio"
    print(header)
    for label, key, fmt, ratio in rows:
        vals = {k: r[key] for k, r in results.items()}
        line = f"{label:26s}" + "".join(f"{fmt.format(v):>14s}" for v in vals.values())
        if ratio and len(vals) == 2 and all(vals.values()):
            a, b = ratio.split("/")
            line += f"   {vals[a] / vals[b]:.2f}x ({ratio})"
        print(line)
    for mark in ["1%", "90%"]:
        vals = {k: r["restores"].get(mark) for k, r in results.items()}
        if not all(vals.values()):
            continue
        line = f"{'restore at ' + mark + ' (s)':26s}" + "".join(
            f"{v['seconds']:>14.3f}" for v in vals.values()
        )
        if len(vals) == 2:
            line += f"   {vals['lhotse']['seconds'] / vals['nuptse']['seconds']:.1f}x (lhotse/nuptse)"
        print(line)
        checks = ", ".join(
            f"{k}: state {v['state_bytes'] / 1024:.0f} KB, same next batch: {v['same_next_batch']}"
            for k, v in vals.items()
        )
        print(f"{'':26s}{checks}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
