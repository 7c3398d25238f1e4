"""Shar behaviour that lhotse's callers rely on: pipe outputs, shard origins, option errors."""

from __future__ import annotations

import logging
import tarfile
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest

from nuptse.cut import CutSet
from nuptse.shar import LazySharIterator, SharWriter, TarWriter, export_cuts_to_shar


def test_tar_writer_to_a_pipe_command(tmp_path):
    with TarWriter(f"pipe:cat > {tmp_path}/t.%06d.tar", shard_size=1) as w:
        w.write("a.txt", BytesIO(b"first"))
        w.write("b.txt", BytesIO(b"second"))
    assert w.output_paths == [f"pipe:cat > {tmp_path}/t.{i:06d}.tar" for i in range(2)]
    with tarfile.open(tmp_path / "t.000001.tar") as f:
        assert f.extractfile("b.txt").read() == b"second"


def test_failing_pipe_command_is_an_error(tmp_path):
    from nuptse.shar import SharError

    with pytest.raises(SharError, match="status"):
        with TarWriter("pipe:cat > /nonexistent-dir/x.tar", shard_size=None) as w:
            w.write("a.txt", BytesIO(b"x"))


def test_shar_writer_to_pipes_reads_back(lhotse_cuts, tmp_path):
    cuts = lhotse_cuts.subset(first=3)
    with SharWriter(f"pipe:cat >{tmp_path}", fields={"recording": "flac"}, shard_size=2) as w:
        for c in cuts:
            w.write(c)
    back = CutSet.from_shar(in_dir=tmp_path)
    for ours, ref in zip(back, cuts):
        np.testing.assert_array_equal(ours.load_audio(), ref.load_audio())


def test_unsharded_pattern_with_shard_size_warns(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        with TarWriter(str(tmp_path / "x.tar"), shard_size=10) as w:
            w.write("a.txt", BytesIO(b"x"))
    assert "ignoring shard_size" in caplog.text
    assert w.output_paths == [str(tmp_path / "x.tar")]


def test_shard_origin_is_the_path_as_given(lhotse_cuts, tmp_path):
    export_cuts_to_shar(lhotse_cuts.subset(first=4), tmp_path, fields={}, shard_size=2)
    given = [tmp_path / "cuts.000000.jsonl.gz", str(tmp_path / "cuts.000001.jsonl.gz")]
    origins = [c.shard_origin for c in LazySharIterator(fields={"cuts": given})]
    assert origins[:2] == [given[0]] * 2 and isinstance(origins[0], Path)
    assert origins[2:] == [given[1]] * 2
    names = {c.shard_origin for c in CutSet.from_shar(in_dir=tmp_path)}
    assert names == {str(tmp_path / f"cuts.00000{i}.jsonl.gz") for i in range(2)}


def test_randomized_seed_with_split_is_refused(lhotse_cuts, tmp_path):
    export_cuts_to_shar(lhotse_cuts.subset(first=2), tmp_path, fields={}, shard_size=1)
    with pytest.raises(AssertionError, match="randomized"):
        CutSet.from_shar(in_dir=tmp_path, seed="randomized", split_for_dataloading=True)


class _Shards(__import__("torch").utils.data.IterableDataset):
    def __init__(self, cuts):
        self.cuts = cuts

    def __iter__(self):
        return iter((c.id, str(c.shard_origin)) for c in self.cuts)


def test_randomized_seed_follows_the_worker_init_fn_seed(lhotse_cuts, tmp_path):
    import torch

    from nuptse.dataset.dataloading import make_worker_init_fn

    export_cuts_to_shar(lhotse_cuts.subset(first=8), tmp_path, fields={}, shard_size=2)
    cuts = CutSet.from_shar(in_dir=tmp_path, seed="randomized", shuffle_shards=True)

    def run(seed):
        loader = torch.utils.data.DataLoader(
            _Shards(cuts), batch_size=None, num_workers=2,
            worker_init_fn=make_worker_init_fn(seed=seed),
        )
        return list(loader)

    first = run(0)
    assert first == run(0)  # the worker seeds decide the shard order: reproducible
    assert len(first) == 16  # without split_for_dataloading each worker reads every cut
