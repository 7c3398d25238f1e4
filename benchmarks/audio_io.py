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
nuptse time (above 1: nuptse is faster), for wall-clock time and, on a shared
machine steadier, for the CPU time of this process (``cpu``; for single-thread
work the same as the wall time on an idle machine; not shown for ``from_dir``
with processes, whose work runs in children).  Random-read rows also print
each library's largest deviation from its own full decode (``maxdev``):
0 for lossless formats; for Opus both decoders re-converge after a seek.

``--profile`` first prints where one random 2-second read spends its CPU time
(file open, libsndfile seek, decode of the 2 s, and each library's
whole call), the numbers that bound the achievable ratio.

Usage: ``python benchmarks/audio_io.py [--quick] [--profile] [--repeat 3] [--reads 200]``
"""

from __future__ import annotations

import argparse
import logging
import os
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


def compare(fa, fb, repeat: int) -> tuple[float, float, float, float]:
    """Best wall and CPU time of each of two functions, run alternately
    (A B A B ...) so that load from other processes hits both alike; one
    warm-up run each.  Returns (wall A, wall B, cpu A, cpu B)."""
    fa()
    fb()
    ta, tb, ca, cb = [], [], [], []
    for _ in range(repeat):
        for fn, times, cpu in ((fa, ta, ca), (fb, tb, cb)):
            c = time.process_time()
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
    return min(ta), min(tb), min(ca), min(cb)


def per_call_us(fn, args, repeat: int = 3) -> float:
    """Best CPU time per call of ``fn(a)`` over ``args`` (one warm-up pass)."""
    for a in args:
        fn(a)
    best = float("inf")
    for _ in range(repeat):
        c = time.thread_time()
        for a in args:
            fn(a)
        best = min(best, time.thread_time() - c)
    return best / len(args) * 1e6


def profile_reads(path: Path, offsets: list, nuptse_rec, lhotse_rec) -> None:
    """CPU time per random 2 s read, split into libsndfile's steps."""
    from soundfile import _ffi, _snd

    info = sf.info(str(path))
    rate = info.samplerate
    starts = [int(o * rate + 0.5) for o in offsets]
    n = 2 * rate
    handle = sf.SoundFile(str(path))
    buf = np.empty((n, info.channels), dtype=np.float32)

    def raw_read(start):
        _snd.sf_seek(handle._file, start, 0)
        _snd.sf_readf_float(handle._file, _ffi.cast("float*", buf.ctypes.data), n)

    def lhotse_like(start):  # what lhotse's soundfile_load does per call
        with sf.SoundFile(str(path)) as f:
            f.seek(start)
            f.read(frames=n, dtype="float32", always_2d=True)

    def sf_seek_read(start):
        handle.seek(start)
        handle.read(frames=n, dtype="float32", always_2d=True)

    rows = [
        ("libsndfile open + close", per_call_us(lambda s: sf.SoundFile(str(path)).close(), starts)),
        ("libsndfile seek (open handle)", per_call_us(lambda s: handle.seek(s), starts)),
        ("libsndfile seek + decode 2 s (cffi)", per_call_us(raw_read, starts)),
        ("soundfile seek + read 2 s (open handle)", per_call_us(sf_seek_read, starts)),
        ("soundfile open + seek + read (lhotse's path)", per_call_us(lhotse_like, starts)),
        (
            "lhotse Recording.load_audio",
            per_call_us(lambda o: lhotse_rec.load_audio(offset=o, duration=2.0), offsets),
        ),
        (
            "nuptse Recording.load_audio",
            per_call_us(lambda o: nuptse_rec.load_audio(offset=o, duration=2.0), offsets),
        ),
    ]
    handle.close()

    def ffmpeg_rate(_):  # decode everything, no conversion: the codec's own speed
        import av

        with av.open(str(path)) as c:
            for _frame in c.decode(audio=0):
                pass

    whole = per_call_us(ffmpeg_rate, [None], repeat=2)
    rows.append(("FFmpeg (PyAV) decoder, per 2 s of a full decode", whole * 2 * rate / info.frames))
    print(f"profile: one random 2 s read of {path.name} (CPU us per read)")
    for name, us in rows:
        print(f"  {name:<46} {us:9.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer reads")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reads", type=int, default=200, help="random reads per file")
    parser.add_argument("--profile", action="store_true", help="split one read into its steps")
    args = parser.parse_args()
    if args.quick:
        args.reads = min(args.reads, 50)
    os.environ.setdefault("TQDM_DISABLE", "1")  # both libraries show progress bars
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")

    import lhotse

    import nuptse.audio as na

    rows = []

    def report(name: str, times: tuple, unit: str, cpu: bool = True) -> None:
        t_nuptse, t_lhotse, c_nuptse, c_lhotse = times
        rows.append((name, t_nuptse, t_lhotse))
        cpu_txt = f"cpu {c_lhotse / c_nuptse:5.2f}x   " if cpu else " " * 15
        print(
            f"{name:<46} nuptse {t_nuptse:7.3f} s   lhotse {t_lhotse:7.3f} s   "
            f"ratio {t_lhotse / t_nuptse:5.2f}x   {cpu_txt}({unit})",
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
            for a, b in zip(ours[:3], theirs[:3]):
                assert np.array_equal(a.load_audio(), b.load_audio())
            times = compare(
                lambda rs=ours: [r.load_audio() for r in rs],
                lambda rs=theirs: [r.load_audio() for r in rs],
                args.repeat,
            )
            report(
                f"full decode {kind.upper()} ({data['corpus_minutes']} min, {len(files)} files)",
                times,
                f"{data['corpus_minutes'] * 60 / times[0]:.0f}x real time for nuptse",
            )

        # --- random 2-second reads ------------------------------------------------
        for kind in ("long_flac", "long_opus"):
            path = data[kind]
            ours = na.Recording.from_file(path)
            theirs = lhotse.Recording.from_file(path)
            rng = random.Random(0)
            offsets = [round(rng.uniform(0, ours.duration - 2.0), 4) for _ in range(args.reads)]
            if args.profile:
                profile_reads(path, offsets[: min(len(offsets), 100)], ours, theirs)

            def reads(rec, offsets=offsets):
                return [rec.load_audio(offset=o, duration=2.0) for o in offsets]

            dev = []
            for rec in (ours, theirs):
                full = rec.load_audio()
                worst = 0.0
                for o, part in zip(offsets[:50], reads(rec, offsets[:50])):
                    s0 = int(o * rec.sampling_rate + 0.5)
                    assert part.shape == (full.shape[0], 2 * rec.sampling_rate)
                    worst = max(worst, float(np.abs(part - full[:, s0 : s0 + part.shape[1]]).max()))
                dev.append(worst)
            times = compare(lambda rec=ours: reads(rec), lambda rec=theirs: reads(rec), args.repeat)
            report(
                f"{args.reads} random 2 s reads, 10 min {kind.split('_')[1].upper()}",
                times,
                f"{times[2] / args.reads * 1000:.2f} ms CPU per read for nuptse; "
                f"maxdev nuptse {dev[0]:.1e} lhotse {dev[1]:.1e}",
            )
            windows = [2.0 * i for i in range(args.reads)]

            def seq(rec, windows=windows):
                return [rec.load_audio(offset=o, duration=2.0) for o in windows]

            times = compare(lambda rec=ours: seq(rec), lambda rec=theirs: seq(rec), args.repeat)
            report(
                f"{args.reads} consecutive 2 s windows, {kind.split('_')[1].upper()}",
                times,
                "as cut_into_windows reads them",
            )

        # --- from_dir -----------------------------------------------------------
        many = data["many"]
        a = na.RecordingSet.from_dir(many, "*.flac", num_jobs=2)
        b = lhotse.RecordingSet.from_dir(many, "*.flac", num_jobs=2)
        assert len(a) == len(b) == data["n_many"]

        def theirs_dir():
            return lhotse.RecordingSet.from_dir(many, "*.flac", num_jobs=2)

        threads = compare(
            lambda: na.RecordingSet.from_dir(many, "*.flac", num_jobs=2), theirs_dir, args.repeat
        )
        procs = compare(
            lambda: na.RecordingSet.from_dir(many, "*.flac", num_jobs=2, executor="process"),
            theirs_dir,
            args.repeat,
        )
        report(f"from_dir {data['n_many']} FLAC files, num_jobs=2 (threads)", threads, "")
        report(
            f"from_dir {data['n_many']} FLAC files, num_jobs=2 (processes)", procs, "", cpu=False
        )

    print("\nratio = lhotse time / nuptse time (targets: reads >= 2x, the rest >= 1x)")


if __name__ == "__main__":
    main()
