"""The same seed and settings give the same batches as lhotse 1.33 (where it is installed)."""

from __future__ import annotations

import warnings

import pytest

from nuptse import CutSet
from nuptse.dataset.sampling import DynamicBucketingSampler, SimpleCutSampler

from .conftest import make_cuts

lhotse = pytest.importorskip("lhotse")


def batches_of(sampler):
    return [[c.id for c in b] for b in sampler]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("sync_buckets", [False, True])
@pytest.mark.parametrize("world_size,rank", [(1, 0), (2, 1)])
def test_dynamic_bucketing_matches_lhotse(shuffle, sync_buckets, world_size, rank, tmp_path):
    from lhotse import CutSet as LCutSet
    from lhotse.dataset import DynamicBucketingSampler as LSampler

    path = tmp_path / "cuts.jsonl"
    make_cuts(1500, seed=4).to_file(path)
    kw = dict(
        max_duration=120.0,
        num_buckets=6,
        buffer_size=300,
        shuffle=shuffle,
        sync_buckets=sync_buckets,
        world_size=world_size,
        rank=rank,
        seed=11,
    )
    ours = DynamicBucketingSampler(CutSet.from_jsonl_lazy(path), **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = LSampler(LCutSet.from_jsonl_lazy(path), **kw)
        expected = batches_of(theirs)
    assert ours.duration_bins == pytest.approx([float(b) for b in theirs.duration_bins])
    got = batches_of(ours)
    if sync_buckets:
        assert got == expected
    else:
        # lhotse 1.33's fallback for the end of an epoch (sync_buckets=False) may pick
        # an empty bucket (it tests a Queue's truth value, always true) and then stops,
        # losing the last cuts; up to there the batches are the same.
        tail = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), len(expected))
        assert tail >= len(expected) - 3
        assert got[:tail] == expected[:tail]
    if world_size == 1:
        assert sorted(i for b in got for i in b) == sorted(c.id for c in make_cuts(1500, seed=4))


def test_simple_sampler_matches_lhotse_without_shuffle(tmp_path):
    from lhotse import CutSet as LCutSet
    from lhotse.dataset import SimpleCutSampler as LSampler

    path = tmp_path / "cuts.jsonl"
    make_cuts(300, seed=2).to_file(path)
    ours = SimpleCutSampler(CutSet.from_file(path), max_duration=90.0)
    theirs = LSampler(LCutSet.from_file(path), max_duration=90.0)
    assert batches_of(ours) == batches_of(theirs)
