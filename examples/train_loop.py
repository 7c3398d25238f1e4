#!/usr/bin/env python3
"""What a LibriSpeech recipe's data module does, on the bundled sample corpus, without a model.

1. Prepare manifests (``prepare_librispeech`` plus the long-form dialogue cut
   into its turns), compute 80-dim fbank into a lilcom archive, and write the
   cuts to ``cuts_train.jsonl.gz`` / ``cuts_dev.jsonl.gz``.
2. Train for two epochs: cuts read lazily, ``DynamicBucketingSampler``,
   ``K2SpeechRecognitionDataset`` with precomputed features (fault tolerant),
   ``CutMix`` (noise made from the corpus itself) and ``SpecAugment``, a
   DataLoader with 2 workers.
3. Validate with ``OnTheFlyFeatures`` (the same fbank, computed per batch).

For every epoch it prints the batch shapes, the time spent waiting for
batches, and the cuts that fault-tolerant loading dropped.

    python examples/train_loop.py --out /tmp/train_loop
"""

from __future__ import annotations

import argparse
import logging
import shutil
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from nuptse import CutSet, Fbank, load_manifest_lazy
from nuptse.cli.demo import SAMPLE_CORPUS, _dialogue_manifests
from nuptse.dataset import (
    CutMix,
    DynamicBucketingSampler,
    K2SpeechRecognitionDataset,
    OnTheFlyFeatures,
    PrecomputedFeatures,
    SpecAugment,
)
from nuptse.dataset.dataloading import make_worker_init_fn
from nuptse.features.io import LilcomChunkyWriter
from nuptse.recipes import prepare_librispeech


def prepare(out: Path, num_jobs: int = 1) -> tuple[Path, Path]:
    """Manifests and features for the sample corpus; returns the train and dev cut files."""
    corpus = out / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    shutil.copytree(SAMPLE_CORPUS, corpus)
    manifests = prepare_librispeech(corpus, output_dir=out / "manifests", num_jobs=num_jobs)["dev-clean-2"]
    utterances = CutSet.from_manifests(
        recordings=manifests["recordings"], supervisions=manifests["supervisions"]
    ).to_eager()
    drec, dsup = _dialogue_manifests(corpus)
    turns = CutSet.from_manifests(recordings=drec, supervisions=dsup).trim_to_supervisions(
        keep_overlapping=False
    ).to_eager()
    train = (turns + utterances).to_eager()
    train = train.compute_and_store_features(
        extractor=Fbank(), storage_path=out / "feats", storage_type=LilcomChunkyWriter, num_jobs=num_jobs
    ).to_eager()
    train_path, dev_path = out / "cuts_train.jsonl.gz", out / "cuts_dev.jsonl.gz"
    train.to_file(train_path)
    utterances.to_file(dev_path)  # dev: audio only, features computed on the fly
    return train_path, dev_path


def run_epoch(loader, dataset, epoch: int, name: str) -> dict:
    """Iterate one epoch; print and return what a training loop would log."""
    dataset.set_epoch(epoch)
    sampler = loader.sampler
    if hasattr(sampler, "set_epoch"):
        sampler.set_epoch(epoch)
    waited, batches, frames, cuts = 0.0, 0, 0, 0
    shapes = []
    tick = time.perf_counter()
    for batch in loader:
        waited += time.perf_counter() - tick
        inputs = batch["inputs"]
        batches += 1
        cuts += inputs.shape[0]
        frames += int(batch["supervisions"]["num_frames"].sum())
        shapes.append(tuple(inputs.shape))
        tick = time.perf_counter()
    report = dataset.fault_report
    dropped = report.num_dropped(epoch)
    print(
        f"[{name} epoch {epoch}] {batches} batches, {cuts} cuts, {frames} supervised frames, "
        f"waited {waited:.2f} s for data; dropped: {report.summary(epoch) if dropped else 'none'}"
    )
    print(f"    shapes: {shapes[:4]}{' ...' if len(shapes) > 4 else ''}")
    return {"batches": batches, "cuts": cuts, "dropped": dropped, "shapes": shapes}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("train_loop_output"))
    parser.add_argument("--max-duration", type=float, default=30.0, help="seconds of audio per batch")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--num-workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--break-one-dev-file", action="store_true",
        help="overwrite one dev recording with garbage, to see fault-tolerant loading drop it",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    train_path, dev_path = prepare(args.out)
    train_cuts = load_manifest_lazy(train_path)  # lazy, as with a large corpus
    # "Noise" for CutMix: 2 s pieces of the training cuts (babble); it needs features as well.
    noise = CutSet.from_cuts(
        c.truncate(duration=min(c.duration, 2.0)).drop_supervisions()
        for c in CutSet.from_file(train_path).subset(first=8)
    )

    train_set = K2SpeechRecognitionDataset(
        cut_transforms=[CutMix(noise, snr=(10, 20), p=0.5, seed="randomized")],
        input_transforms=[SpecAugment(time_warp_factor=80, num_frame_masks=2, features_mask_size=27)],
        input_strategy=PrecomputedFeatures(fault_tolerant=True),
        return_cuts=True,
    )
    train_sampler = DynamicBucketingSampler(
        train_cuts, max_duration=args.max_duration, shuffle=True, num_buckets=2, seed=args.seed,
        buffer_size=1000, num_cuts_for_bins_estimate=1000,
    )
    train_loader = DataLoader(
        train_set, sampler=train_sampler, batch_size=None, num_workers=args.num_workers,
        persistent_workers=False, worker_init_fn=make_worker_init_fn(seed=args.seed),
    )
    results = {"train": [run_epoch(train_loader, train_set, e, "train") for e in range(args.epochs)]}

    if args.break_one_dev_file:
        victim = next(iter(CutSet.from_file(dev_path))).recording.sources[0].source
        Path(victim).write_bytes(b"not audio" * 100)
    dev_set = K2SpeechRecognitionDataset(
        input_strategy=OnTheFlyFeatures(Fbank(), fault_tolerant=True), return_cuts=True
    )
    dev_sampler = DynamicBucketingSampler(
        load_manifest_lazy(dev_path), max_duration=args.max_duration, shuffle=False, num_buckets=2,
        num_cuts_for_bins_estimate=1000,
    )
    dev_loader = DataLoader(dev_set, sampler=dev_sampler, batch_size=None, num_workers=args.num_workers)
    results["dev"] = run_epoch(dev_loader, dev_set, 0, "dev")
    return results


if __name__ == "__main__":
    main()
