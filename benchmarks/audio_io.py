"""Audio I/O: nuptse vs lhotse 1.33 on the same files, in one run.

The data is made in a temporary folder by tiling the 16 kHz speech in
``tests/fixtures/`` (the mini corpus FLACs and the LibriSpeech utterances):

* full decode: a WAV corpus and a FLAC corpus of 30-second files (10 minutes
  each; 2 minutes with ``--quick``), ``Recording.load_audio()`` per file;
* random-offset reads: 2-second ``load_audio(offset=..., duration=2.0)`` at
  the same random offsets in a 10-minute FLAC and a 10-minute Ogg Opus file;
* consecutive 2-second windows of the same files (how windowed cuts of a
  long recording are read);
* ``RecordingSet.from_dir(..., num_jobs=2)`` over 500 short FLAC files (120
  with ``--quick``); nuptse with threads (its default) and with processes.

Each measurement is the best of ``--repeat`` runs after one warm-up, so both
libraries read from the page cache; the two libraries run alternately so that
load from other processes affects both alike.  The ratio printed is lhotse time /
nuptse time (above 1: nuptse is faster).

Usage: ``python benchmarks/audio_io.py [--quick] [--repeat 3] [--reads 200]``
"""

from __future__ import annotations

import argparse
import logging
import random
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
RATE = 16000


def base_signal() -> np.ndarray:
    """All 16 kHz mono speech in the fixtures, concatenated (about 2 minutes)."""
    parts = []
    for p in sorted((FIXTURES / "mini_corpus/dev-clean-2").rglob("*.flac")):
        parts.append(sf.read(p, dtype="int16")[0])
    for rel in [
        "libri/libri-1088-134315-0000.wav",
        "mix_cut_test/audio/storage/2412-153948-0000.flac",
        "mix_cut_test/audio/storage/2412-153948-0001.flac",
    ]:
        parts.append(sf.read(FIXTURES / rel, dtype="int16")[0])
    return np.concatenate(parts)


def tile(signal: np.ndarray, seconds: float, start: int = 0) -> np.ndarray:
    n = int(seconds * RATE)
    reps = (start + n) // len(signal) + 1
    return np.tile(signal, reps)[start : start + n]


def make_data(root: Path, quick: bool) -> dict:
    sig = base_signal()
    corpus_minutes = 2 if quick else 10
    n_files = corpus_minutes * 2
    wav_dir, flac_dir, many_dir = root / "wav", root / "flac", root / "many"
    for d in (wav_dir, flac_dir, many_dir):
        d.mkdir()
    for i in range(n_files):
        chunk = tile(sig, 30.0, start=i * 7919)
        sf.write(wav_dir / f"utt{i:03d}.wav", chunk, RATE, subtype="PCM_16")
        sf.write(flac_dir / f"utt{i:03d}.flac", chunk, RATE, subtype="PCM_16")
    long = tile(sig, 600.0)
    sf.write(root / "long.flac", long, RATE, subtype="PCM_16")
    sf.write(root / "long.opus", long, RATE, format="OGG", subtype="OPUS")
    n_many = 120 if quick else 500
    for i in range(n_many):
        sub = many_dir / f"spk{i % 20:02d}"
        sub.mkdir(exist_ok=True)
        sf.write(sub / f"f{i:04d}.flac", tile(sig, 2.0, start=i * 3331), RATE, subtype="PCM_16")
    return {
        "wav": sorted(wav_dir.glob("*.wav")),
        "flac": sorted(flac_dir.glob("*.flac")),
        "long_flac": root / "long.flac",
        "long_opus": root / "long.opus",
        "many": many_dir,
        "n_many": n_many,
        "corpus_minutes": corpus_minutes,
    }


def compare(fa, fb, repeat: int) -> tuple[float, float]:
    """Best time of each of two functions, run alternately (A B A B ...) so
    that load from other processes hits both alike; one warm-up run each."""
    fa()
    fb()
    ta, tb = [], []
    for _ in range(repeat):
        for fn, times in ((fa, ta), (fb, tb)):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return min(ta), min(tb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer reads")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reads", type=int, default=200, help="random reads per file")
    args = parser.parse_args()
    if args.quick:
        args.reads = min(args.reads, 50)
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")

    import lhotse

    import nuptse.audio as na

    rows = []

    def report(name: str, t_nuptse: float, t_lhotse: float, unit: str) -> None:
        rows.append((name, t_nuptse, t_lhotse))
        print(
            f"{name:<44} nuptse {t_nuptse:8.3f} s   lhotse {t_lhotse:8.3f} s   "
            f"ratio {t_lhotse / t_nuptse:6.2f}x   ({unit})",
            flush=True,
        )

    with tempfile.TemporaryDirectory(prefix="nuptse-audio-bench-") as tmp:
        t = time.perf_counter()
        data = make_data(Path(tmp), args.quick)
        print(f"data ready in {time.perf_counter() - t:.1f} s under {tmp}", flush=True)

        # --- full decode --------------------------------------------------------
        for kind in ("wav", "flac"):
            files = data[kind]
            ours = [na.Recording.from_file(p) for p in files]
            theirs = [lhotse.Recording.from_file(p) for p in files]
            for a, b in zip(ours, theirs):
                assert a.num_samples == b.num_samples
            ta, tb = compare(
                lambda rs=ours: [r.load_audio() for r in rs],
                lambda rs=theirs: [r.load_audio() for r in rs],
                args.repeat,
            )
            report(
                f"full decode {kind.upper()} ({data['corpus_minutes']} min, {len(files)} files)",
                ta,
                tb,
                f"{data['corpus_minutes'] * 60 / ta:.0f}x real time for nuptse",
            )

        # --- random 2-second reads ------------------------------------------------
        for kind in ("long_flac", "long_opus"):
            path = data[kind]
            ours = na.Recording.from_file(path)
            theirs = lhotse.Recording.from_file(path)
            rng = random.Random(0)
            offsets = [round(rng.uniform(0, ours.duration - 2.0), 4) for _ in range(args.reads)]
            a = ours.load_audio(offset=offsets[0], duration=2.0)
            b = theirs.load_audio(offset=offsets[0], duration=2.0)
            assert a.shape == b.shape, (a.shape, b.shape)

            def reads(rec, offsets=offsets):
                return [rec.load_audio(offset=o, duration=2.0) for o in offsets]

            ta, tb = compare(
                lambda rec=ours: reads(rec), lambda rec=theirs: reads(rec), args.repeat
            )
            report(
                f"{args.reads} random 2 s reads, 10 min {kind.split('_')[1].upper()}",
                ta,
                tb,
                f"{ta / args.reads * 1000:.2f} ms per read for nuptse",
            )
            windows = [2.0 * i for i in range(args.reads)]

            def seq(rec, windows=windows):
                return [rec.load_audio(offset=o, duration=2.0) for o in windows]

            ta, tb = compare(lambda rec=ours: seq(rec), lambda rec=theirs: seq(rec), args.repeat)
            report(
                f"{args.reads} consecutive 2 s windows, {kind.split('_')[1].upper()}",
                ta,
                tb,
                "as cut_into_windows reads them",
            )

        # --- from_dir -----------------------------------------------------------
        many = data["many"]
        a = na.RecordingSet.from_dir(many, "*.flac", num_jobs=2)
        b = lhotse.RecordingSet.from_dir(many, "*.flac", num_jobs=2)
        assert len(a) == len(b) == data["n_many"]

        def theirs_dir():
            return lhotse.RecordingSet.from_dir(many, "*.flac", num_jobs=2)

        ta, tb = compare(
            lambda: na.RecordingSet.from_dir(many, "*.flac", num_jobs=2), theirs_dir, args.repeat
        )
        tp, tb2 = compare(
            lambda: na.RecordingSet.from_dir(many, "*.flac", num_jobs=2, executor="process"),
            theirs_dir,
            args.repeat,
        )
        report(f"from_dir {data['n_many']} FLAC files, num_jobs=2 (threads)", ta, tb, "")
        report(f"from_dir {data['n_many']} FLAC files, num_jobs=2 (processes)", tp, tb2, "")

    print("\nratio = lhotse time / nuptse time (targets: reads >= 2x, the rest >= 1x)")


if __name__ == "__main__":
    main()
