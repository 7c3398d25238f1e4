"""split_for_dataloading: every cut is read exactly once across ranks x workers."""

from __future__ import annotations

import collections

import pytest

from nuptse.cut import CutSet
from nuptse.shar import export_cuts_to_shar
from nuptse.shar.split import pytorch_worker_info, split_by_node, split_by_worker

torch = pytest.importorskip("torch")


@pytest.fixture
def shar_dir(lhotse_cuts, tmp_path):
    # 7 shards (uneven over 2 ranks x 2 workers), features only to stay light.
    export_cuts_to_shar(
        lhotse_cuts.subset(first=13),
        tmp_path,
        fields={"features": "lilcom"},
        shard_size=2,
        warn_unused_fields=False,
    )
    return tmp_path


class _CutIds(torch.utils.data.IterableDataset):
    def __init__(self, cuts):
        self.cuts = cuts

    def __iter__(self):
        for cut in self.cuts:
            info = torch.utils.data.get_worker_info()
            yield cut.id, info.id if info is not None else -1, cut.load_features().shape[0]


@pytest.mark.parametrize("shuffle", [False, True])
def test_two_ranks_two_workers_read_each_cut_once(shar_dir, monkeypatch, shuffle):
    expected = [c.id for c in CutSet.from_shar(in_dir=shar_dir)]
    assert len(expected) == 13
    seen = collections.Counter()
    per_pair = {}
    for rank in (0, 1):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        cuts = CutSet.from_shar(
            in_dir=shar_dir, split_for_dataloading=True, shuffle_shards=shuffle, seed=7
        )
        loader = torch.utils.data.DataLoader(
            _CutIds(cuts), batch_size=None, num_workers=2, multiprocessing_context="fork"
        )
        for cut_id, worker, n_frames in loader:
            assert n_frames > 0
            seen[cut_id] += 1
            per_pair.setdefault((rank, worker), set()).add(cut_id)
    assert sorted(seen) == sorted(expected)
    assert set(seen.values()) == {1}
    assert sorted(per_pair) == [(0, 0), (0, 1), (1, 0), (1, 1)]  # everyone got work


def test_without_split_every_worker_reads_everything(shar_dir, monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    cuts = CutSet.from_shar(in_dir=shar_dir)
    loader = torch.utils.data.DataLoader(
        _CutIds(cuts), batch_size=None, num_workers=2, multiprocessing_context="fork"
    )
    assert len(list(loader)) == 26


def test_split_helpers_follow_env(monkeypatch):
    items = list(range(10))
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "3")
    monkeypatch.setenv("WORKER", "1")
    monkeypatch.setenv("NUM_WORKERS", "2")
    assert tuple(pytorch_worker_info()) == (1, 3, 1, 2)
    assert split_by_node(items) == [1, 4, 7]
    assert split_by_worker(split_by_node(items)) == [4]


def test_bad_env_is_reported(monkeypatch):
    from nuptse.shar import SharError

    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(SharError, match="RANK=3"):
        pytorch_worker_info()


def test_shuffle_is_seeded_and_changes_per_epoch(shar_dir):
    cuts = CutSet.from_shar(in_dir=shar_dir, shuffle_shards=True, seed=3)
    first = [c.id for c in cuts]
    second = [c.id for c in cuts]  # epoch 1: another shard order
    again = [c.id for c in CutSet.from_shar(in_dir=shar_dir, shuffle_shards=True, seed=3)]
    assert first == again
    assert sorted(first) == sorted(second) and first != second
    fixed = CutSet.from_shar(in_dir=shar_dir, shuffle_shards=True, seed=3, stateful_shuffle=False)
    assert [c.id for c in fixed] == [c.id for c in fixed] == first
    epochs = {c.shar_epoch for c in cuts}
    assert epochs == {2}


def test_random_seed_modes_refuse_splitting(shar_dir):
    from nuptse.shar import SharError

    with pytest.raises(SharError, match="split_for_dataloading"):
        CutSet.from_shar(in_dir=shar_dir, split_for_dataloading=True, seed="trng")


def test_cut_map_fns_and_slice_length(shar_dir):
    n = len(CutSet.from_shar(in_dir=shar_dir).data.shards)
    fns = [(lambda c, i=i: c.with_custom("shard_no", i)) for i in range(n)]
    cuts = list(CutSet.from_shar(in_dir=shar_dir, cut_map_fns=fns))
    assert [c.shard_no for c in cuts] == [i // 2 for i in range(13)]
    sliced = list(CutSet.from_shar(in_dir=shar_dir, slice_length=1))
    assert len(sliced) == n


def test_initialised_process_group_wins_over_env(monkeypatch, tmp_path):
    dist = pytest.importorskip("torch.distributed")
    if not dist.is_available():
        pytest.skip("torch.distributed is not available")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    store = dist.FileStore(str(tmp_path / "store"), 1)
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        assert split_by_node(list(range(5))) == [0, 1, 2, 3, 4]
        assert pytorch_worker_info().world_size == 1
    finally:
        dist.destroy_process_group()
    assert split_by_node(list(range(5))) == [1, 3]
