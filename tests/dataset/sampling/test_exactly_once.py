"""Every cut is yielded exactly once per epoch over ranks x DataLoader workers (drop_last=False).

Workers are simulated as :class:`IterableDatasetWrapper` splits them
(``_set_worker_split``); ``test_dataloader.py`` checks a real DataLoader.
Copies marked ``_dup{n}`` only appear where ranks outnumber the cuts left.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nuptse.dataset.sampling import (
    BucketingSampler,
    DynamicBucketingSampler,
    DynamicCutSampler,
    SimpleCutSampler,
)

from .conftest import as_source, make_cuts

_DUP = re.compile(r"_dup\d+$")


def make_sampler(name, source, ws, rank, seed, shuffle, max_duration):
    common = dict(max_duration=max_duration, shuffle=shuffle, world_size=ws, rank=rank, seed=seed)
    if name == "simple":
        return SimpleCutSampler(source, **common)
    if name == "dynamic":
        return DynamicCutSampler(source, shuffle_buffer_size=13, **common)
    if name == "bucketing":
        return BucketingSampler(source, num_buckets=3, **common)
    return DynamicBucketingSampler(source, duration_bins=[6.0, 12.0], buffer_size=17, **common)


def epoch_ids(name, source, ws, workers, seed, shuffle, max_duration):
    ids = []
    per_rank_steps = []
    for rank in range(ws):
        steps = 0
        for w in range(workers):
            s = make_sampler(name, source, ws, rank, seed, shuffle, max_duration)
            if workers > 1:
                s._set_worker_split(w, workers)
            for batch in s:
                ids.extend(c.id for c in batch)
                steps += 1
        per_rank_steps.append(steps)
    return ids, per_rank_steps


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    n=st.integers(1, 60),
    ws=st.integers(1, 4),
    workers=st.integers(1, 3),
    seed=st.integers(0, 2**20),
    shuffle=st.booleans(),
    max_duration=st.sampled_from([20.0, 45.0, 200.0]),
    name=st.sampled_from(["simple", "dynamic", "bucketing", "dynamic_bucketing"]),
    kind=st.sampled_from(["eager", "jsonl", "mux", "shar"]),
)
def test_each_cut_once_over_ranks_and_workers(
    n, ws, workers, seed, shuffle, max_duration, name, kind
):
    if name == "bucketing" and (kind != "eager" or n < 3):
        kind, n = "eager", max(n, 3)
    cuts = make_cuts(n, seed=seed % 97)
    with tempfile.TemporaryDirectory() as tmp:
        source = as_source(cuts, kind, Path(tmp))
        ids, steps = epoch_ids(name, source, ws, workers, seed, shuffle, max_duration)
    originals = Counter(i for i in ids if not _DUP.search(i))
    assert originals == Counter(c.id for c in cuts)
    assert len(set(steps)) == 1, f"ranks took different numbers of steps: {steps}"
    dups = [i for i in ids if _DUP.search(i)]
    assert len(dups) < ws  # only to even out the last round


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 40), ws=st.integers(2, 4), seed=st.integers(0, 1000))
def test_drop_last_never_repeats(n, ws, seed):
    cuts = make_cuts(n, seed=seed)
    ids = []
    for rank in range(ws):
        s = DynamicCutSampler(cuts, max_duration=30.0, drop_last=True, world_size=ws, rank=rank)
        ids.extend(c.id for b in s for c in b)
    assert len(ids) == len(set(ids)) and not any(_DUP.search(i) for i in ids)
