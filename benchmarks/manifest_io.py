"""Manifest I/O: nuptse vs lhotse 1.33 on the same supervision manifest.

Builds N supervisions over N/100 recordings (about 60-character texts, a
speaker and a language each), writes them once as ``.jsonl.gz``, then runs each
step in a fresh process for each library and prints the times and ratios:

* eager load of the ``.jsonl.gz`` (``SupervisionSet.from_file``),
* lazy iteration over it (``SupervisionSet.from_jsonl_lazy``),
* writing it back as ``.jsonl.gz`` (``to_file``),
* peak memory of the eager load above the memory after the imports.

Usage: ``python benchmarks/manifest_io.py [--num 500000] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

STEP = r"""
import resource, sys, time, gc
lib, step, path, out = sys.argv[1:5]
if lib == "lhotse":
    from lhotse import SupervisionSet
else:
    from nuptse.supervision import SupervisionSet
gc.collect()
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()
before = rss()
t = time.perf_counter()
if step == "eager":
    s = SupervisionSet.from_file(path).to_eager()  # lhotse's from_file opens .jsonl lazily
    n = len(s)
elif step == "lazy":
    n = 0
    for _ in SupervisionSet.from_jsonl_lazy(path):
        n += 1
elif step == "write":
    s = SupervisionSet.from_file(path).to_eager()
    t = time.perf_counter()
    s.to_file(out)
    n = len(s)
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "n": n, "peak_above_import": peak - before}))
"""

WORDS = (
    "the quick brown fox jumps over a lazy dog while seven wizards quietly hum "
    "nine old songs about rivers mountains and bright summer evenings"
).split()


def make_manifest(path: Path, num: int, seed: int = 0) -> None:
    import gzip

    rng = random.Random(seed)
    num_recs = max(1, num // 100)
    speakers = [f"spk{i:04d}" for i in range(max(1, num_recs // 2))]
    with gzip.open(path, "wt", compresslevel=1) as f:
        for i in range(num):
            rec = i % num_recs
            text = ""
            while len(text) < 55:
                text += rng.choice(WORDS) + " "
            d = {
                "id": f"rec{rec:05d}-sup{i // num_recs:05d}",
                "recording_id": f"rec{rec:05d}",
                "start": round(rng.uniform(0, 3000), 3),
                "duration": round(rng.uniform(0.5, 20), 3),
                "channel": 0,
                "text": text.strip().upper(),
                "language": "English",
                "speaker": rng.choice(speakers),
            }
            f.write(json.dumps(d) + "\n")


def run_step(lib: str, step: str, path: Path, out: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", "import json\n" + STEP, lib, step, str(path), str(out)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{lib} {step} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--num", type=int, default=500_000)
    ap.add_argument("--quick", action="store_true", help="50,000 supervisions")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    num = 50_000 if args.quick else args.num
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "supervisions.jsonl.gz"
        make_manifest(path, num)
        print(f"{num} supervisions, {path.stat().st_size / 1e6:.1f} MB gzipped")
        print(f"{'step':<14}{'lhotse':>12}{'nuptse':>12}{'speed-up':>10}")
        for step in ("eager", "lazy", "write"):
            res = {}
            for lib in ("lhotse", "nuptse"):
                best = min(
                    (
                        run_step(lib, step, path, tmp / f"out-{lib}.jsonl.gz")
                        for _ in range(args.repeats)
                    ),
                    key=lambda r: r["seconds"],
                )
                res[lib] = best
            lt, nt = res["lhotse"]["seconds"], res["nuptse"]["seconds"]
            print(f"{step:<14}{lt:>11.2f}s{nt:>11.2f}s{lt / nt:>9.2f}x")
            if step == "eager":
                lm, nm = res["lhotse"]["peak_above_import"], res["nuptse"]["peak_above_import"]
                print(
                    f"{'eager memory':<14}{lm / 1e6:>10.0f}MB{nm / 1e6:>10.0f}MB{nm / lm:>9.2f}x"
                    f"   ({lm / num:.0f} vs {nm / num:.0f} bytes per segment)"
                )


if __name__ == "__main__":
    main()
