"""End-to-end feature extraction: nuptse vs lhotse ``FeatureSetBuilder``.

Builds a corpus of FLAC files by tiling the fixture utterances (20+ minutes
by default, in a temporary folder), then times decoding + Fbank + storage of
every recording with ``num_jobs`` 1 and 2 in both libraries, and prints the
speed in times real-time and the nuptse/lhotse ratios.

    python benchmarks/feature_extraction.py            # ~22 minutes of audio
    python benchmarks/feature_extraction.py --quick    # ~3 minutes of audio

Each measurement runs in a fresh interpreter, so import and worker start-up
costs (e.g. lhotse's worker processes importing torch) are counted as a user
would see them, and the two libraries never share a process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "mini_corpus" / "dev-clean-2"


def make_corpus(out_dir: Path, minutes: float, file_seconds: float = 15.0) -> float:
    """Write FLAC files of ~``file_seconds`` each, tiling the fixture utterances."""
    import soundfile as sf

    utts = [sf.read(p, dtype="int16")[0] for p in sorted(CORPUS.rglob("*.flac"))]
    pool = np.concatenate(utts)
    sr = 16000
    per_file = int(file_seconds * sr)
    total = 0
    idx = 0
    pos = 0
    while total < minutes * 60 * sr:
        # vary lengths a little so batches and chunk sizes are not all equal
        n = per_file + (idx % 7) * sr // 3
        chunk = np.take(pool, np.arange(pos, pos + n), mode="wrap")
        pos = (pos + n) % len(pool)
        sf.write(out_dir / f"utt{idx:05d}.flac", chunk, sr, subtype="PCM_16")
        total += n
        idx += 1
    return total / sr


RUN = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    t0 = time.perf_counter()
    lib, corpus, out, num_jobs = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    storage_type = sys.argv[5]
    files = sorted(corpus.glob("*.flac"))
    if lib == "nuptse":
        from nuptse.audio import Recording
        from nuptse.features.base import FeatureSetBuilder
        from nuptse.features.io import LilcomChunkyWriter, LilcomFilesWriter
        from nuptse.features.kaldi.extractors import Fbank
    else:
        from lhotse import Recording
        from lhotse.features.base import FeatureSetBuilder
        from lhotse.features.io import LilcomChunkyWriter, LilcomFilesWriter
        from lhotse.features.kaldi.extractors import Fbank
    recs = [Recording.from_file(p) for p in files]
    writer = {"lilcom_files": LilcomFilesWriter, "lilcom_chunky": LilcomChunkyWriter}[storage_type]
    t1 = time.perf_counter()
    with writer(out / f"{lib}_{num_jobs}_{storage_type}") as storage:
        fs = FeatureSetBuilder(Fbank(), storage).process_and_store_recordings(recs, num_jobs=num_jobs)
    t2 = time.perf_counter()
    print(json.dumps({"seconds": t2 - t1, "end_to_end": t2 - t0, "num_features": len(list(fs))}))
    """
)


def run(lib: str, corpus: Path, out: Path, num_jobs: int, storage: str) -> dict:
    env = dict(os.environ, TQDM_DISABLE="1")
    proc = subprocess.run(
        [sys.executable, "-c", RUN, lib, str(corpus), str(out), str(num_jobs), storage],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(out),
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 3 minutes of audio")
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument("--repeats", type=int, default=1, help="best of N runs per setting")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--storage",
        choices=["lilcom_files", "lilcom_chunky"],
        default="lilcom_files",
        help="storage backend for both libraries (lhotse cannot pickle a lilcom_chunky "
        "writer into its worker processes, so its num_jobs=2 run needs lilcom_files)",
    )
    args = parser.parse_args()
    minutes = args.minutes or (3.0 if args.quick else 22.0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus"
        corpus.mkdir()
        audio_s = make_corpus(corpus, minutes)
        n_files = len(list(corpus.glob("*.flac")))
        print(
            f"corpus: {n_files} FLAC files, {audio_s / 60:.1f} min of 16 kHz audio; storage "
            f"{args.storage}; Fbank() defaults; {os.cpu_count()} CPUs"
        )
        print("'builder' = process_and_store_recordings() alone; 'end-to-end' adds the")
        print("interpreter start, imports and Recording.from_file (fresh process per run)")
        print(
            f"{'num_jobs':>8} {'lib':>7} {'builder s':>10} {'x real-time':>12} "
            f"{'end-to-end s':>13} {'x real-time':>12}"
        )
        results: dict = {}
        for jobs in args.jobs:
            for lib in ("nuptse", "lhotse"):
                best = None
                for _ in range(args.repeats):
                    r = run(lib, corpus, tmp, jobs, args.storage)
                    if "error" in r:
                        best = r
                        break
                    if best is None or r["seconds"] < best["seconds"]:
                        best = r
                results[(jobs, lib)] = best
                if "error" in best:
                    print(f"{jobs:>8} {lib:>7} error: {best['error']}")
                else:
                    print(
                        f"{jobs:>8} {lib:>7} {best['seconds']:>10.2f} "
                        f"{audio_s / best['seconds']:>12.1f} {best['end_to_end']:>13.2f} "
                        f"{audio_s / best['end_to_end']:>12.1f}"
                    )
        print()
        for jobs in args.jobs:
            ours, theirs = results[(jobs, "nuptse")], results[(jobs, "lhotse")]
            if "error" in ours or "error" in theirs:
                continue
            print(
                f"num_jobs={jobs}: nuptse/lhotse speed ratio {theirs['seconds'] / ours['seconds']:.2f}x "
                f"(builder), {theirs['end_to_end'] / ours['end_to_end']:.2f}x (end-to-end); "
                "target >= 1.5x"
            )
        for lib in ("nuptse", "lhotse"):
            one, two = results.get((1, lib)), results.get((2, lib))
            if one and two and "error" not in one and "error" not in two:
                print(
                    f"{lib}: num_jobs=2 runs {one['seconds'] / two['seconds']:.2f}x as fast as "
                    "num_jobs=1 (builder)"
                )


if __name__ == "__main__":
    main()
