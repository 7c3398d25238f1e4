"""Tar shards: format, atomic publishing, and the reader's safety checks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from nuptse.shar import (
    CorruptShardError,
    PipeNotAllowedError,
    SharMismatchError,
    TarWriter,
    TruncatedShardError,
    UnsafeMemberError,
)
from nuptse.shar.readers.tar import iter_tar_members, iter_tar_pairs


def _members(path):
    with open(path, "rb") as f:
        return list(iter_tar_members(f, shard=path))


def test_tar_writer_format_is_plain_ustar(tmp_path):
    with TarWriter(tmp_path / "x.%06d.tar", shard_size=10) as w:
        w.write("a.flac", b"abc")
        w.write("a.json", b"{}\n", count=False)
    path = tmp_path / "x.000000.tar"
    assert path.stat().st_size % 10240 == 0
    with tarfile.open(path) as t:
        infos = t.getmembers()
        assert [i.name for i in infos] == ["a.flac", "a.json"]
        for i in infos:
            assert (i.mode, i.uid, i.gid, i.mtime, i.uname, i.gname) == (0o644, 0, 0, 0, "", "")
            assert i.isreg() and not i.pax_headers
        assert t.extractfile("a.flac").read() == b"abc"
    raw = path.read_bytes()
    assert raw[257:263] == b"ustar\x00"  # POSIX ustar magic, not GNU
    assert _members(path) == [("a.flac", b"abc"), ("a.json", b"{}\n")]


def test_tar_writer_matches_lhotse_byte_for_byte(tmp_path):
    lhotse_tar = pytest.importorskip("lhotse.shar.writers.tar")
    items = [("x-1.flac", b"\x01" * 700), ("x-1.json", b'{"a": 1}\n'), ("y.npy", b"")]
    for cls, name in ((TarWriter, "ours"), (lhotse_tar.TarWriter, "theirs")):
        with cls(str(tmp_path / f"{name}.%06d.tar"), shard_size=5) as w:
            for key, data in items:
                w.write(key, io.BytesIO(data), count=not key.endswith(".json"))
    assert (tmp_path / "ours.000000.tar").read_bytes() == (
        tmp_path / "theirs.000000.tar"
    ).read_bytes()


def test_long_member_names_round_trip(tmp_path):
    name = "spk/" + "x" * 150 + ".flac"
    with TarWriter(tmp_path / "t.tar", shard_size=None) as w:
        w.write(name, b"data")
    assert _members(tmp_path / "t.tar") == [(name, b"data")]
    with tarfile.open(tmp_path / "t.tar") as t:
        assert t.getnames() == [name]


def test_sharding_offsets_and_output_paths(tmp_path):
    with TarWriter(tmp_path / "s.%06d.tar", shard_size=2, shard_offset=3) as w:
        for i in range(5):
            w.write(f"{i}.bin", bytes([i]))
            w.write(f"{i}.json", b"{}", count=False)
    names = sorted(os.listdir(tmp_path))
    assert names == ["s.000003.tar", "s.000004.tar", "s.000005.tar"]
    assert [Path(p).name for p in w.output_paths] == names
    assert [m.name for m in _members(tmp_path / "s.000005.tar")] == ["4.bin", "4.json"]


def test_gzipped_tar_round_trip(tmp_path):
    with TarWriter(tmp_path / "g.%06d.tar.gz", shard_size=10) as w:
        w.write("k.npy", b"123")
    path = tmp_path / "g.000000.tar.gz"
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert _members(path) == [("k.npy", b"123")]


def test_exception_leaves_no_shard_that_looks_complete(tmp_path):
    with pytest.raises(RuntimeError):
        with TarWriter(tmp_path / "s.%06d.tar", shard_size=1) as w:
            w.write("0.bin", b"a")
            w.write("1.bin", b"b")  # publishes shard 0, starts shard 1
            raise RuntimeError("crash")
    assert sorted(os.listdir(tmp_path)) == ["s.000000.tar"]


def test_killed_writer_leaves_only_a_partial_file(tmp_path):
    code = f"""
import os
from nuptse.shar import TarWriter
w = TarWriter({str(tmp_path / "k.%06d.tar")!r}, shard_size=100).__enter__()
w.write("a.bin", b"x" * 5000)
w._stream.file.flush()
os._exit(9)
"""
    proc = subprocess.run([sys.executable, "-c", code])
    assert proc.returncode == 9
    assert os.listdir(tmp_path) == ["k.000000.tar.partial"]


def test_memory_url_output(tmp_path):
    fsspec = pytest.importorskip("fsspec")
    with TarWriter("memory://shar-test/t.%06d.tar", shard_size=1) as w:
        w.write("a.bin", b"1")
        w.write("b.bin", b"2")
    fs = fsspec.filesystem("memory")
    assert sorted(p.rsplit("/", 1)[-1] for p in fs.ls("/shar-test", detail=False)) == [
        "t.000000.tar",
        "t.000001.tar",
    ]
    pairs = list(iter_tar_members(fsspec.open("memory://shar-test/t.000001.tar").open()))
    assert pairs == [("b.bin", b"2")]


# --- crafted and broken tars ------------------------------------------------------------


def _craft(path, members):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "sym":
                info.type = tarfile.SYMTYPE
                info.linkname = "/etc/passwd"
                t.addfile(info)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize(
    "name", ["../evil.flac", "a/../../evil.flac", "/etc/evil.flac", "C:/evil.flac"]
)
def test_escaping_member_names_are_rejected(tmp_path, name):
    path = tmp_path / "bad.tar"
    _craft(path, [(name, b"x", "file"), (name[:-5] + ".json", b"{}", "file")])
    before = set(os.listdir(tmp_path.parent))
    with pytest.raises(UnsafeMemberError) as e:
        list(iter_tar_pairs(path))
    assert str(path) in str(e.value) and name in str(e.value)
    assert set(os.listdir(tmp_path.parent)) == before


@pytest.mark.parametrize("kind", ["sym", "dir"])
def test_links_and_directories_are_rejected(tmp_path, kind):
    path = tmp_path / "bad.tar"
    _craft(path, [("x.flac", b"", kind)])
    with pytest.raises(UnsafeMemberError, match="x.flac"):
        list(iter_tar_pairs(path))


def _good_tar(tmp_path):
    path = tmp_path / "good.tar"
    with TarWriter(path, shard_size=None) as w:
        w.write("c1.flac", b"A" * 1000)
        w.write("c1.json", b"{}", count=False)
        w.write("c2.flac", b"B" * 1000)
        w.write("c2.json", b"{}", count=False)
    return path, path.read_bytes()


@pytest.mark.parametrize(
    "cut_at, member",
    [(700, "c1.flac"), (512 + 1024 + 100, "c1.flac"), (3 * 512 + 1024 + 200, "c1.json")],
)
def test_truncated_tar_is_reported(tmp_path, cut_at, member):
    path, raw = _good_tar(tmp_path)
    path.write_bytes(raw[:cut_at])
    with pytest.raises(TruncatedShardError) as e:
        list(iter_tar_pairs(path))
    assert str(path) in str(e.value) and member in str(e.value)


def test_tar_without_end_marker_is_truncated(tmp_path):
    path, raw = _good_tar(tmp_path)
    end = 4 * 512 + 2 * 1024  # four headers, two padded data members
    path.write_bytes(raw[:end])
    with pytest.raises(TruncatedShardError, match="end-of-archive"):
        list(iter_tar_pairs(path))


def test_corrupt_header_checksum(tmp_path):
    path, raw = _good_tar(tmp_path)
    bad = bytearray(raw)
    bad[10] ^= 0xFF
    path.write_bytes(bytes(bad))
    with pytest.raises(CorruptShardError, match="checksum"):
        list(iter_tar_pairs(path))


def test_unpaired_members(tmp_path):
    path = tmp_path / "odd.tar"
    _craft(path, [("a.flac", b"1", "file"), ("b.json", b"{}", "file")])
    with pytest.raises(SharMismatchError, match="b.json"):
        list(iter_tar_pairs(path))
    _craft(path, [("a.flac", b"1", "file"), ("a.json", b"{}", "file"), ("b.flac", b"", "file")])
    with pytest.raises(SharMismatchError, match="odd number"):
        list(iter_tar_pairs(path))
    _craft(path, [("a.nodata", b"", "file"), ("a.json", b"{}", "file")])
    with pytest.raises(SharMismatchError, match="nometa"):
        list(iter_tar_pairs(path))


def test_placeholder_pairs(tmp_path):
    path = tmp_path / "p.tar"
    _craft(path, [("a.nodata", b"", "file"), ("a.nometa", b"", "file")])
    assert list(iter_tar_pairs(path)) == [("a", ".nodata", None, None)]


def test_pipe_sources_need_permission(tmp_path):
    path, _ = _good_tar(tmp_path)
    with pytest.raises(PipeNotAllowedError, match="allow_pipe"):
        list(iter_tar_pairs(f"pipe:cat {path}"))
    pairs = list(iter_tar_pairs(f"pipe:cat {path}", allow_pipe=True))
    assert [p[0] for p in pairs] == ["c1", "c2"]


def test_fast_headers_equal_tarfile_headers():
    import random
    import string

    from nuptse.shar.writers.tar import _slow_header, member_header

    rng = random.Random(0)
    alphabet = string.ascii_letters + string.digits + "-_./"
    for _ in range(500):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 120)))
        size = rng.choice([0, 1, 511, 512, rng.randint(0, 10**10)])
        assert member_header(name, size) == _slow_header(name, size)
    assert member_header("ünïcode.flac", 3) == _slow_header("ünïcode.flac", 3)
