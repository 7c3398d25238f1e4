"""SupervisionSet.find: nuptse vs lhotse 1.33 on the same supervisions and queries.

Builds N supervisions over N/100 recordings (each recording about an hour
long, its segments laid out one after another on channel 0 or 1, the set
ordered by recording and time as prepared corpora are; ``--shuffled`` puts
the set in random order), then runs Q random queries: 90% windows of 5-120 s
(like cutting a recording into cuts), some restricted to one channel, 10%
whole-recording lookups.  Each library runs in its own fresh process and
reports:

* index build: lhotse's grouping cache vs nuptse's index, on the first use;
* per-query time over all queries, first pass (nuptse also sorts each
  recording on its first query, so that cost is included here);
* per-query time on a second pass over the same queries (warm);
* a checksum of every query's result ids, which must agree.

Only the ``find`` calls (and collecting their results into lists) are timed.
numpy is imported before timing in both processes (lhotse imports it anyway).

With ``--memory`` it instead loads a 100,000-segment ``.jsonl.gz`` eagerly
(lhotse: ``from_file(...).to_eager()``, since lhotse 1.33 opens ``.jsonl``
lazily) and reports the load time and the bytes per segment that tracemalloc
sees after loading, with and without a 60-character text per segment.

Usage: ``python benchmarks/supervision_find.py [--num 500000] [--queries 10000] [--quick] [--memory]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

STEP = r"""
import hashlib, json, random, sys, time
import numpy  # lhotse imports it on import; import it up front for nuptse too
lib, num, num_queries, shuffled = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
if lib == "lhotse":
    from lhotse import SupervisionSegment, SupervisionSet
else:
    from nuptse.supervision import SupervisionSegment, SupervisionSet

rng = random.Random(0)
per_rec = 100
num_recs = max(1, num // per_rec)
segments = []
lengths = []
for r in range(num_recs):
    rid = f"rec{r:05d}"
    t = round(rng.uniform(0, 5), 2)
    for k in range(per_rec):
        dur = round(rng.uniform(2, 30), 2)
        segments.append(SupervisionSegment(
            id=f"{rid}-{k:04d}", recording_id=rid, start=t, duration=dur,
            channel=rng.randrange(2), speaker=f"spk{r % 997}",
        ))
        t = round(t + dur + rng.uniform(0, 8), 2)
    lengths.append(t)
if shuffled:
    rng.shuffle(segments)
sups = SupervisionSet.from_segments(segments)

qrng = random.Random(1)
queries = []
for _ in range(num_queries):
    r = qrng.randrange(num_recs)
    rid = f"rec{r:05d}"
    if qrng.random() < 0.1:
        queries.append((rid, None, 0, None))
    else:
        a = round(qrng.uniform(0, lengths[r]), 2)
        b = round(a + qrng.uniform(5, 120), 2)
        ch = qrng.randrange(2) if qrng.random() < 0.3 else None
        queries.append((rid, ch, a, b))

t0 = time.perf_counter()
if lib == "lhotse":
    sups._index_by_recording_id_and_cache()
else:
    sups._get_index()
build = time.perf_counter() - t0

def run():
    find = sups.find
    t = time.perf_counter()
    results = [list(find(rid, channel=ch, start_after=a, end_before=b)) for rid, ch, a, b in queries]
    elapsed = time.perf_counter() - t
    digest = hashlib.sha1()
    for res in results:
        digest.update("|".join(s.id for s in res).encode())
        digest.update(b";")
    return elapsed, sum(map(len, results)), digest.hexdigest()

cold, found, digest = run()
warm, found2, digest2 = run()
assert digest == digest2
print(json.dumps({"build": build, "cold": cold / len(queries), "warm": warm / len(queries),
                  "found": found, "digest": digest}))
"""


MEMORY_STEP = r"""
import gc, json, sys, time, tracemalloc
import numpy, orjson
lib, path = sys.argv[1:3]
if lib == "lhotse":
    from lhotse import SupervisionSet
else:
    from nuptse.supervision import SupervisionSet
def load():
    s = SupervisionSet.from_file(path)
    return s.to_eager() if lib == "lhotse" else s
load()  # warm up lazy imports
best = 1e9
for _ in range(2):
    gc.collect()
    t = time.perf_counter()
    s = load()
    best = min(best, time.perf_counter() - t)
    del s
gc.collect()
tracemalloc.start()
s = load()
gc.collect()
current = tracemalloc.get_traced_memory()[0]
print(json.dumps({"seconds": best, "bytes_per_segment": current / len(s)}))
"""


def make_manifest(path, num: int, with_text: bool) -> None:
    import gzip
    import random

    rng = random.Random(0)
    words = "the quick brown fox jumps over a lazy dog while seven wizards hum".split()
    num_recs = max(1, num // 100)
    with gzip.open(path, "wt", compresslevel=1) as f:
        for i in range(num):
            rec = i % num_recs
            d = {
                "id": f"rec{rec:05d}-sup{i // num_recs:05d}",
                "recording_id": f"rec{rec:05d}",
                "start": round(rng.uniform(0, 3000), 3),
                "duration": round(rng.uniform(0.5, 20), 3),
                "channel": 0,
            }
            if with_text:
                text = ""
                while len(text) < 55:
                    text += rng.choice(words) + " "
                d["text"] = text.strip().upper()
            d["language"] = "English"
            d["speaker"] = f"spk{rec % 500:04d}"
            f.write(json.dumps(d) + "\n")


def memory_report(num: int) -> None:
    import tempfile
    from pathlib import Path

    print(f"eager load of {num} supervisions (.jsonl.gz); bytes per segment by tracemalloc")
    print(f"{'':<30}{'lhotse':>14}{'nuptse':>14}{'ratio':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for with_text in (True, False):
            path = Path(tmp) / f"sups-{with_text}.jsonl.gz"
            make_manifest(path, num, with_text)
            res = {}
            for lib in ("lhotse", "nuptse"):
                proc = subprocess.run(
                    [sys.executable, "-c", MEMORY_STEP, lib, str(path)],
                    capture_output=True,
                    text=True,
                )
                if proc.returncode != 0:
                    raise RuntimeError(f"{lib} failed:\n{proc.stderr}")
                res[lib] = json.loads(proc.stdout.strip().splitlines()[-1])
            label = "with 60-char text" if with_text else "without text"
            lt, nt = res["lhotse"]["seconds"], res["nuptse"]["seconds"]
            lb, nb = res["lhotse"]["bytes_per_segment"], res["nuptse"]["bytes_per_segment"]
            print(f"{'load, ' + label:<30}{lt:>13.2f}s{nt:>13.2f}s{lt / nt:>8.2f}x faster")
            print(f"{'bytes/seg, ' + label:<30}{lb:>14.0f}{nb:>14.0f}{nb / lb:>8.2f}x")


def run_lib(lib: str, num: int, queries: int, shuffled: bool) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", STEP, lib, str(num), str(queries), "1" if shuffled else "0"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{lib} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--num", type=int, default=500_000)
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--quick", action="store_true", help="50,000 supervisions")
    ap.add_argument("--shuffled", action="store_true", help="the set in random order")
    ap.add_argument("--repeats", type=int, default=1, help="best of N runs per library")
    ap.add_argument("--memory", action="store_true", help="eager load time and bytes/segment")
    args = ap.parse_args()
    if args.memory:
        memory_report(10_000 if args.quick else 100_000)
        return
    num = 50_000 if args.quick else args.num
    res = {}
    for lib in ("lhotse", "nuptse"):
        runs = [run_lib(lib, num, args.queries, args.shuffled) for _ in range(args.repeats)]
        res[lib] = {key: min(r[key] for r in runs) for key in ("build", "cold", "warm")} | {
            "found": runs[0]["found"],
            "digest": runs[0]["digest"],
        }
    lh, nu = res["lhotse"], res["nuptse"]
    order = "shuffled" if args.shuffled else "sorted by recording and time"
    print(
        f"{num} supervisions over {max(1, num // 100)} recordings ({order}), "
        f"{args.queries} queries, {nu['found']} segments found"
    )
    same = lh["digest"] == nu["digest"] and lh["found"] == nu["found"]
    print(f"results identical: {same}")
    print(f"{'':<24}{'lhotse':>12}{'nuptse':>12}{'nuptse/lhotse':>15}")
    print(
        f"{'index build':<24}{lh['build'] * 1e3:>10.1f}ms{nu['build'] * 1e3:>10.1f}ms"
        f"{nu['build'] / lh['build']:>14.2f}x"
    )
    for key, label in (("cold", "per query (1st pass)"), ("warm", "per query (2nd pass)")):
        print(
            f"{label:<24}{lh[key] * 1e6:>10.1f}us{nu[key] * 1e6:>10.1f}us"
            f"{nu[key] / lh[key]:>14.3f}x"
        )
    if not same:
        sys.exit("ERROR: nuptse and lhotse returned different results")


if __name__ == "__main__":
    main()
