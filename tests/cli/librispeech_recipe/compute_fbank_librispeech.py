#!/usr/bin/env python3
"""Stage 3 of prepare.sh: 80-dim fbank for every LibriSpeech part, train parts speed-perturbed.

Written the way icefall's local/compute_fbank_librispeech.py is, against nuptse.
"""

import argparse
import logging
from pathlib import Path

from nuptse import CutSet, Fbank, FbankConfig, LilcomChunkyWriter
from nuptse.recipes.utils import read_manifests_if_cached


def compute_fbank_librispeech(num_jobs: int) -> None:
    src_dir = Path("data/manifests")
    output_dir = Path("data/fbank")
    dataset_parts = ("dev-clean", "test-clean", "train-clean-100", "train-other-500")
    manifests = read_manifests_if_cached(
        dataset_parts=dataset_parts, output_dir=src_dir, prefix="librispeech", suffix="jsonl.gz"
    )
    assert manifests is not None and len(manifests) == len(dataset_parts), manifests
    extractor = Fbank(FbankConfig(num_mel_bins=80))
    for partition, m in manifests.items():
        cuts_filename = f"librispeech_cuts_{partition}.jsonl.gz"
        if (output_dir / cuts_filename).is_file():
            logging.info(f"{partition} already exists - skipping.")
            continue
        cut_set = CutSet.from_manifests(recordings=m["recordings"], supervisions=m["supervisions"])
        if "train" in partition:
            cut_set = cut_set + cut_set.perturb_speed(0.9) + cut_set.perturb_speed(1.1)
        cut_set = cut_set.compute_and_store_features(
            extractor=extractor,
            storage_path=f"{output_dir}/librispeech_feats_{partition}",
            num_jobs=num_jobs,
            storage_type=LilcomChunkyWriter,
        )
        cut_set.to_file(output_dir / cuts_filename)


if __name__ == "__main__":
    logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s", level=logging.INFO)
    parser = argparse.ArgumentParser()
    parser.add_argument("--num-jobs", type=int, default=1)
    compute_fbank_librispeech(parser.parse_args().num_jobs)
