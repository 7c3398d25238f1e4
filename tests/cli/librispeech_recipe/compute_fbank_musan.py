#!/usr/bin/env python3
"""Stage 4 of prepare.sh: fbank of MUSAN in fixed windows, for noise augmentation.

Written the way icefall's local/compute_fbank_musan.py is, against nuptse
(icefall cuts 10 s windows and keeps those over 5 s; the fixture's clips are
a fraction of a second, so the windows here are 0.1 s).
"""

import logging
from pathlib import Path

from nuptse import CutSet, Fbank, FbankConfig, LilcomChunkyWriter, combine
from nuptse.recipes.utils import read_manifests_if_cached


def compute_fbank_musan() -> None:
    src_dir = Path("data/manifests")
    output_dir = Path("data/fbank")
    dataset_parts = ("music", "speech", "noise")
    manifests = read_manifests_if_cached(
        dataset_parts=dataset_parts, output_dir=src_dir, prefix="musan", suffix="jsonl.gz"
    )
    assert manifests is not None and len(manifests) == len(dataset_parts), manifests
    musan_cuts_path = output_dir / "musan_cuts.jsonl.gz"
    if musan_cuts_path.is_file():
        logging.info(f"{musan_cuts_path} already exists - skipping")
        return
    extractor = Fbank(FbankConfig(num_mel_bins=80))
    musan_cuts = (
        CutSet.from_manifests(
            recordings=combine(part["recordings"] for part in manifests.values())
        )
        .cut_into_windows(0.1)
        .filter(lambda c: c.duration > 0.05)
        .to_eager()  # lhotse 1.33's filter() is lazy and feature extraction needs len()
        .compute_and_store_features(
            extractor=extractor,
            storage_path=f"{output_dir}/musan_feats",
            num_jobs=1,
            storage_type=LilcomChunkyWriter,
        )
    )
    musan_cuts.to_file(musan_cuts_path)


if __name__ == "__main__":
    logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s", level=logging.INFO)
    compute_fbank_musan()
