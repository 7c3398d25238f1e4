"""Training data loading, nuptse vs lhotse 1.33: batches per second and peak memory.

The data: the sample corpus's utterances tiled into FLAC files of 4-16 s
(about 1 hour; 12 minutes with ``--quick``), one supervision each, and 80-dim
fbank precomputed into a lilcom archive (written once, by nuptse; both
libraries read the same manifest and archive).

Each scenario runs ``K2SpeechRecognitionDataset`` through a DataLoader with 2
workers and batches of 600 s (``SimpleCutSampler(max_duration=600)``), in a
fresh process per library and scenario:

a. precomputed features (``PrecomputedFeatures``)
b. fbank on the fly from FLAC (``OnTheFlyFeatures(Fbank())``)
c. (b) with ``CutMix`` (noise from the same corpus, p=0.5) and ``SpecAugment``

Printed per scenario: batches/s (best of ``--epochs`` epochs, 3 by default;
the workers persist, so later epochs do not pay their start-up), the peak RSS
of the main process and of the largest worker (``VmHWM``, Linux), the
median CPU seconds a worker spends on a batch (steadier than batches/s where
other jobs share the cores), and the ratios nuptse/lhotse (targets: >= 1.5x batches/s, memory no worse).

Usage: python benchmarks/dataloading.py [--quick] [--epochs N] [--only a,b,c]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "nuptse" / "data" / "sample_corpus"
SCENARIOS = {"a": "precomputed lilcom", "b": "on-the-fly fbank", "c": "on-the-fly + CutMix + SpecAugment"}


def make_corpus(out: Path, minutes: float) -> tuple[Path, Path]:
    """FLAC utterances tiled from the sample corpus, their cuts with features, and noise cuts."""
    import soundfile as sf

    from nuptse import CutSet, Fbank, Recording, RecordingSet, SupervisionSegment, SupervisionSet
    from nuptse.features.io import LilcomChunkyWriter

    sources = sorted((SAMPLE / "dev-clean-2").rglob("*.flac")) + [SAMPLE / "longform" / "dialogue.flac"]
    parts = []
    for p in sources:
        x, sr = sf.read(p, dtype="int16", always_2d=True)
        parts.append(x[:, 0])
    signal = np.concatenate(parts)
    rng = random.Random(0)
    audio_dir = out / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    recs, sups, total, i = [], [], 0.0, 0
    while total < minutes * 60:
        seconds = rng.uniform(4.0, 16.0)
        n = int(seconds * 16000)
        start = rng.randrange(len(signal))
        path = audio_dir / f"utt{i:05d}.flac"
        sf.write(path, signal[(np.arange(n) + start) % len(signal)], 16000, format="FLAC", subtype="PCM_16")
        rec = Recording.from_file(path, recording_id=f"utt{i:05d}")
        recs.append(rec)
        sups.append(SupervisionSegment(id=rec.id, recording_id=rec.id, start=0.0, duration=rec.duration,
                                       text="TILED SAMPLE SPEECH", speaker=f"spk{i % 20}"))
        total += rec.duration
        i += 1
    cuts = CutSet.from_manifests(
        recordings=RecordingSet.from_recordings(recs), supervisions=SupervisionSet.from_segments(sups)
    )
    cuts = cuts.compute_and_store_features(
        extractor=Fbank(), storage_path=out / "feats", storage_type=LilcomChunkyWriter, num_jobs=2
    ).to_eager()
    cuts_path, noise_path = out / "cuts.jsonl.gz", out / "noise.jsonl.gz"
    cuts.to_file(cuts_path)
    cuts.subset(first=20).to_file(noise_path)
    return cuts_path, noise_path


def run_one(lib: str, scenario: str, cuts_path: str, noise_path: str, epochs: int) -> dict:
    """One library, one scenario, in this (fresh) process; returns the measurements."""
    import torch
    from torch.utils.data import DataLoader

    if lib == "nuptse":
        import nuptse as L
        from nuptse import dataset as D
    else:
        import lhotse as L
        from lhotse import dataset as D
    cuts = L.CutSet.from_file(cuts_path)
    if scenario == "a":
        strategy = D.PrecomputedFeatures()
    else:
        strategy = D.OnTheFlyFeatures(L.Fbank())
    kwargs = {}
    if scenario == "c":
        noise = L.CutSet.from_file(noise_path)
        kwargs["cut_transforms"] = [D.CutMix(noise, snr=(10, 20), p=0.5)]
        kwargs["input_transforms"] = [D.SpecAugment()]
    dataset = _Timed(D.K2SpeechRecognitionDataset(input_strategy=strategy, **kwargs))
    sampler = D.SimpleCutSampler(cuts, max_duration=600.0, shuffle=False)
    torch.manual_seed(0)
    # Persistent workers: epochs after the first measure loading, not process start-up.
    loader = DataLoader(dataset, sampler=sampler, batch_size=None, num_workers=2, persistent_workers=True)
    rates, cpu, batches = [], [], 0
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        start = time.perf_counter()
        batches = 0
        for batch, cpu_seconds in loader:
            assert batch["inputs"].ndim == 3
            batches += 1
            cpu.append(cpu_seconds)
        rates.append(batches / (time.perf_counter() - start))
    return {
        "batches": batches,
        "rate": max(rates),
        "rates": rates,
        "cpu_per_batch": float(np.median(cpu)),
        "main_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "worker_rss": max(_children_peak_rss(), default=0),
    }


def _children_peak_rss() -> list[int]:
    """Peak RSS (VmHWM, bytes) of this process's live children: the persistent workers."""
    me = str(os.getpid())
    peaks = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == me and "VmHWM" in fields:
            peaks.append(int(fields["VmHWM"].split()[0]) * 1024)
    return peaks


class _Timed:
    """Wraps a dataset: each batch comes with the CPU seconds its worker spent on it."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __getitem__(self, cuts):
        start = time.process_time()
        batch = self.dataset[cuts]
        return batch, time.process_time() - start


def measure(lib: str, scenario: str, cuts_path: Path, noise_path: Path, epochs: int) -> dict:
    cmd = [sys.executable, __file__, "--run", lib, scenario, str(cuts_path), str(noise_path), str(epochs)]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{lib} scenario {scenario} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mib(n: float) -> str:
    return f"{n / 2**20:7.0f} MiB"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        lib, scenario, cuts_path, noise_path, epochs = sys.argv[2:7]
        print(json.dumps(run_one(lib, scenario, cuts_path, noise_path, int(epochs))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="12 minutes of audio, 2 epochs")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--only", default="a,b,c", help="scenarios to run, e.g. b,c")
    parser.add_argument("--minutes", type=float, default=None)
    args = parser.parse_args()
    minutes = args.minutes or (12.0 if args.quick else 60.0)
    epochs = args.epochs or (2 if args.quick else 3)
    with tempfile.TemporaryDirectory(prefix="nuptse-bench-dataloading-") as tmp:
        t = time.perf_counter()
        cuts_path, noise_path = make_corpus(Path(tmp), minutes)
        print(f"data: {minutes:.0f} min of FLAC + lilcom fbank, prepared in {time.perf_counter() - t:.0f} s; "
              f"batches of 600 s, 2 DataLoader workers, best of {epochs} epoch(s)")
        print(f"{'scenario':36s} {'library':7s} {'batches/s':>10s} {'CPU s/batch':>12s} "
              f"{'main peak':>12s} {'worker peak':>12s}")
        for key in args.only.split(","):
            rows = {}
            for lib in ("lhotse", "nuptse"):
                rows[lib] = measure(lib, key, cuts_path, noise_path, epochs)
                r = rows[lib]
                print(f"{key}) {SCENARIOS[key]:33s} {lib:7s} {r['rate']:10.3f} {r['cpu_per_batch']:12.3f} "
                      f"{mib(r['main_rss']):>12s} {mib(r['worker_rss']):>12s}   ({r['batches']} batches)")
            n, lh = rows["nuptse"], rows["lhotse"]
            print(f"   ratio nuptse/lhotse: {n['rate'] / lh['rate']:.2f}x batches/s, "
                  f"{lh['cpu_per_batch'] / n['cpu_per_batch']:.2f}x less worker CPU per batch, "
                  f"main memory {n['main_rss'] / lh['main_rss']:.2f}x, "
                  f"worker memory {n['worker_rss'] / lh['worker_rss']:.2f}x")


if __name__ == "__main__":
    main()
