"""Interrupted writes, broken or mismatched shards, and crafted tars in a Shar directory."""

from __future__ import annotations

import dataclasses
import gzip
import io
import logging
import os
import pickle
import subprocess
import sys
import tarfile

import numpy as np
import pytest

from nuptse.cut import CutSet
from nuptse.shar import (
    SharLayoutError,
    SharMismatchError,
    SharWriter,
    TruncatedShardError,
    UnsafeMemberError,
    export_cuts_to_shar,
)

FIELDS = {"recording": "flac", "features": "lilcom"}


def _break_audio(cut):
    rec = cut.recording
    src = dataclasses.replace(rec.sources[0], source="does/not/exist.flac")
    return cut._copy(recording=dataclasses.replace(rec, sources=[src]))


def test_exception_mid_shard_keeps_finished_shards_only(lhotse_cuts, tmp_path):
    cuts = list(lhotse_cuts.subset(first=5))
    cuts[3] = _break_audio(cuts[3])
    with pytest.raises(Exception, match="exist"):
        export_cuts_to_shar(CutSet(cuts), tmp_path, fields=FIELDS, shard_size=2)
    assert sorted(os.listdir(tmp_path)) == [
        "cuts.000000.jsonl.gz",
        "features.000000.tar",
        "recording.000000.tar",
    ]
    assert [c.id for c in CutSet.from_shar(in_dir=tmp_path)] == [c.id for c in cuts[:2]]


def test_fault_tolerant_export_skips_whole_cuts(lhotse_cuts, tmp_path):
    cuts = list(lhotse_cuts.subset(first=5))
    cuts[3] = _break_audio(cuts[3])
    export_cuts_to_shar(CutSet(cuts), tmp_path, fields=FIELDS, shard_size=2, fault_tolerant=True)
    back = list(CutSet.from_shar(in_dir=tmp_path))
    good = [c for i, c in enumerate(cuts) if i != 3]
    assert [c.id for c in back] == [c.id for c in good]
    for ours, ref in zip(back, good):
        np.testing.assert_array_equal(ours.load_audio(), ref.load_audio())


def test_killed_export_leaves_no_complete_looking_shard(in_fixtures, tmp_path, caplog):
    out = tmp_path / "shar"
    code = f"""
import os
from nuptse.cut import CutSet
from nuptse.shar import SharWriter
cuts = list(CutSet.from_file("lhotse_written/cuts.jsonl.gz"))[:3]
w = SharWriter({str(out)!r}, fields={FIELDS!r}, shard_size=2).__enter__()
for c in cuts:
    w.write(c)
os._exit(9)  # dies like a SIGKILL: no cleanup, shard 1 unfinished
"""
    proc = subprocess.run([sys.executable, "-c", code])
    assert proc.returncode == 9
    names = sorted(os.listdir(out))
    assert [n for n in names if not n.endswith(".partial")] == [
        "cuts.000000.jsonl.gz",
        "features.000000.tar",
        "recording.000000.tar",
    ]
    assert "recording.000001.tar.partial" in names
    with caplog.at_level(logging.WARNING):
        back = list(CutSet.from_shar(in_dir=out))
    assert len(back) == 2
    assert "unfinished" in caplog.text


def test_field_files_without_their_cuts_file_are_not_a_shard(lhotse_cuts, tmp_path, caplog):
    export_cuts_to_shar(lhotse_cuts.subset(first=4), tmp_path, fields=FIELDS, shard_size=2)
    os.remove(tmp_path / "cuts.000001.jsonl.gz")  # a crash before the last rename
    with caplog.at_level(logging.WARNING):
        assert len(list(CutSet.from_shar(in_dir=tmp_path))) == 2
    assert "no cuts file" in caplog.text


def test_missing_field_file_is_a_layout_error(lhotse_cuts, tmp_path):
    export_cuts_to_shar(lhotse_cuts.subset(first=4), tmp_path, fields=FIELDS, shard_size=2)
    os.remove(tmp_path / "features.000001.tar")
    with pytest.raises(SharLayoutError, match="features"):
        CutSet.from_shar(in_dir=tmp_path)
    with pytest.raises(SharLayoutError, match="does not exist"):
        CutSet.from_shar(in_dir=tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SharLayoutError, match="not a Shar directory"):
        CutSet.from_shar(in_dir=tmp_path / "empty")


def test_swapped_tars_do_not_match_the_cuts(lhotse_cuts, tmp_path):
    export_cuts_to_shar(lhotse_cuts.subset(first=4), tmp_path, fields=FIELDS, shard_size=2)
    a, b = tmp_path / "recording.000000.tar", tmp_path / "recording.000001.tar"
    data_a = a.read_bytes()
    a.write_bytes(b.read_bytes())
    b.write_bytes(data_a)
    with pytest.raises(SharMismatchError) as e:
        list(CutSet.from_shar(in_dir=tmp_path))
    msg = str(e.value)
    assert "recording.000000.tar" in msg and "9001-500-0002-2" in msg


def test_tar_with_fewer_items_than_cuts(lhotse_cuts, tmp_path):
    export_cuts_to_shar(lhotse_cuts.subset(first=3), tmp_path, fields=FIELDS, shard_size=None)
    path = tmp_path / "features.tar"
    with tarfile.open(path) as t:
        members = [(m, t.extractfile(m).read()) for m in t.getmembers()][:4]
    with tarfile.open(path, "w") as t:
        for m, data in members:
            t.addfile(m, io.BytesIO(data))
    with pytest.raises(SharMismatchError, match="ends after 2"):
        list(CutSet.from_shar(in_dir=tmp_path))


def test_truncated_tar_and_manifest_through_from_shar(lhotse_cuts, tmp_path):
    export_cuts_to_shar(lhotse_cuts.subset(first=3), tmp_path, fields=FIELDS, shard_size=None)
    rec = tmp_path / "recording.tar"
    raw = rec.read_bytes()
    rec.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(TruncatedShardError) as e:
        list(CutSet.from_shar(in_dir=tmp_path))
    assert "recording.tar" in str(e.value) and "member" in str(e.value)
    rec.write_bytes(raw)
    cuts = tmp_path / "cuts.jsonl.gz"
    full = cuts.read_bytes()
    cuts.write_bytes(full[: len(full) - 20])
    with pytest.raises(TruncatedShardError, match="cuts.jsonl.gz"):
        list(CutSet.from_shar(in_dir=tmp_path))
    cuts.write_bytes(gzip.compress(gzip.decompress(full)[:-30]))
    with pytest.raises(TruncatedShardError, match="cut off"):
        list(CutSet.from_shar(in_dir=tmp_path))


@pytest.mark.parametrize("evil", ["../../pwned", "/tmp/pwned"])
def test_crafted_tar_in_a_shar_directory(lhotse_cuts, tmp_path, evil):
    out = tmp_path / "shar"
    export_cuts_to_shar(lhotse_cuts.subset(first=1), out, fields=FIELDS, shard_size=None)
    with tarfile.open(out / "recording.tar", "w") as t:
        for name in (f"{evil}.flac", f"{evil}.json"):
            info = tarfile.TarInfo(name)
            info.size = 2
            t.addfile(info, io.BytesIO(b"{}"))
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(UnsafeMemberError) as e:
        list(CutSet.from_shar(in_dir=out))
    assert "recording.tar" in str(e.value) and evil in str(e.value)
    assert sorted(p for p in tmp_path.rglob("*")) == before
    assert not os.path.exists("/tmp/pwned.flac")


def test_lazy_reader_pickles_with_lambdas(lhotse_cuts, tmp_path):
    export_cuts_to_shar(lhotse_cuts.subset(first=2), tmp_path, fields=FIELDS, shard_size=1)
    cuts = CutSet.from_shar(in_dir=tmp_path, cut_map_fns=[lambda c: c, lambda c: c])
    again = pickle.loads(pickle.dumps(cuts))
    assert [c.id for c in again] == [c.id for c in cuts]


def test_writer_context_abort_removes_partials(lhotse_cuts, tmp_path):
    cuts = list(lhotse_cuts.subset(first=3))
    with pytest.raises(KeyboardInterrupt):
        with SharWriter(tmp_path, fields=FIELDS, shard_size=2) as w:
            for c in cuts:
                w.write(c)
            raise KeyboardInterrupt
    assert sorted(os.listdir(tmp_path)) == [
        "cuts.000000.jsonl.gz",
        "features.000000.tar",
        "recording.000000.tar",
    ]
