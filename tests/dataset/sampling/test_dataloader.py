"""Real DataLoaders with 2 workers, and a 2-rank job simulated in one process."""

from __future__ import annotations

from collections import Counter

import pytest
from torch.utils.data import DataLoader

from nuptse.dataset import IterableDatasetWrapper
from nuptse.dataset.sampling import DynamicBucketingSampler, DynamicCutSampler, SimpleCutSampler

from .conftest import as_source, make_cuts


class Ids:
    """A dataset that returns the ids of a batch (what a real dataset would load)."""

    def __getitem__(self, cuts):
        return [c.id for c in cuts]


def dbs(source, **kw):
    return DynamicBucketingSampler(
        source, max_duration=60.0, duration_bins=[6.0, 12.0], shuffle=True, seed=7, **kw
    )


@pytest.mark.parametrize("kind", ["eager", "jsonl", "shar"])
def test_map_style_two_workers_each_cut_once(kind, tmp_path):
    cuts = make_cuts(150)
    source = as_source(cuts, kind, tmp_path)
    loader = DataLoader(Ids(), sampler=dbs(source), batch_size=None, num_workers=2)
    seen = [i for batch in loader for i in batch]
    assert Counter(seen) == Counter(c.id for c in cuts)
    # the same batches, in the same order, as without workers
    assert [list(b) for b in loader] == [[c.id for c in b] for b in dbs(source)]


@pytest.mark.parametrize("kind", ["eager", "jsonl"])
def test_iterable_wrapper_split_across_two_workers(kind, tmp_path):
    cuts = make_cuts(150)
    source = as_source(cuts, kind, tmp_path)
    wrapper = IterableDatasetWrapper(Ids(), dbs(source), split_across_workers=True)
    loader = DataLoader(wrapper, batch_size=None, num_workers=2)
    batches = [list(b) for b in loader]
    assert Counter(i for b in batches for i in b) == Counter(c.id for c in cuts)
    assert batches == [[c.id for c in b] for b in dbs(source)]


def test_two_ranks_split_the_epoch(tmp_path):
    cuts = make_cuts(97)
    source = as_source(cuts, "jsonl", tmp_path)
    per_rank = []
    for rank in range(2):
        s = DynamicCutSampler(source, max_duration=45.0, shuffle=True, world_size=2, rank=rank)
        per_rank.append([[c.id for c in b] for b in s])
    assert len(per_rank[0]) == len(per_rank[1])  # same number of steps on both GPUs
    ids0 = {i for b in per_rank[0] for i in b}
    ids1 = {i for b in per_rank[1] for i in b}
    originals = {i.split("_dup")[0] for i in ids0 | ids1}
    assert originals == {c.id for c in cuts}
    assert not (ids0 & ids1)


def test_two_ranks_with_two_workers_each(tmp_path):
    cuts = make_cuts(120)
    source = as_source(cuts, "jsonl", tmp_path)
    seen = []
    for rank in range(2):
        sampler = SimpleCutSampler(source, max_duration=50.0, shuffle=True, world_size=2, rank=rank)
        wrapper = IterableDatasetWrapper(Ids(), sampler, split_across_workers=True)
        seen += [i for b in DataLoader(wrapper, batch_size=None, num_workers=2) for i in b]
    originals = [i for i in seen if "_dup" not in i]
    assert Counter(originals) == Counter(c.id for c in cuts)
    assert len(seen) - len(originals) < 2  # copies only even out the last round
