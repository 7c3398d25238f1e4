"""Manifest files that cannot be read, or written twice at once, fail with errors naming why."""

import gzip
import json
import subprocess
import sys
import textwrap

import pytest

from nuptse import CutSet, SupervisionSegment, SupervisionSet
from nuptse.serialization import ManifestParseError, TruncatedManifestError
from nuptse.utils.writer_lock import ConcurrentWriterError


def _line(i):
    return json.dumps({"id": f"s{i}", "recording_id": "r", "start": 0.0, "duration": 1.0}) + "\n"


@pytest.mark.parametrize("lazy", [False, True])
def test_byte_order_mark(tmp_path, lazy):
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _line(0).encode())
    with pytest.raises(ManifestParseError, match="byte-order mark") as err:
        list(SupervisionSet.from_jsonl_lazy(path)) if lazy else SupervisionSet.from_file(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("lazy", [False, True])
def test_gzip_data_under_plain_name(tmp_path, lazy):
    path = tmp_path / "s.jsonl"
    path.write_bytes(gzip.compress(_line(0).encode()))
    with pytest.raises(ManifestParseError, match="gzip") as err:
        list(SupervisionSet.from_jsonl_lazy(path)) if lazy else SupervisionSet.from_file(path)
    assert str(path) in str(err.value) and ".gz" in str(err.value)


@pytest.mark.parametrize("name", ["s.jsonl", "s.json"])
def test_deeply_nested_json(tmp_path, name):
    path = tmp_path / name
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ManifestParseError, match="nested too deeply") as err:
        CutSet.from_file(path)
    assert str(path) in str(err.value)


def test_non_utf8_yaml(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes("- id: s\xe9\n".encode("latin-1"))
    with pytest.raises(ManifestParseError, match="UTF-8") as err:
        SupervisionSet.from_file(path)
    assert str(path) in str(err.value)


def test_truncated_gzip_read_lazily(tmp_path):
    path = tmp_path / "s.jsonl.gz"
    data = gzip.compress("".join(_line(i) for i in range(3000)).encode())
    path.write_bytes(data[: len(data) // 2])
    from nuptse.serialization import count_jsonl_lines

    for consume in (len, list, lambda s: count_jsonl_lines(path)):
        with pytest.raises(TruncatedManifestError) as err:
            consume(SupervisionSet.from_jsonl_lazy(path))
        assert str(path) in str(err.value)
        # the message counts the lines that can still be read, not the ones already yielded
        complete = int(str(err.value).split("after ")[1].split(" ")[0])
        assert 0 < complete < 3000


def test_resume_over_line_without_id(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"recording_id": "r", "start": 0}) + "\n")
    with pytest.raises(ManifestParseError, match="'id'") as err:
        SupervisionSet.open_writer(path, overwrite=False)
    assert "line 1" in str(err.value)


def _sup(i):
    return SupervisionSegment(id=f"s{i}", recording_id="r", start=0.0, duration=1.0)


def test_second_writer_in_process_is_refused(tmp_path):
    path = tmp_path / "s.jsonl.gz"
    with SupervisionSet.open_writer(path) as first:
        with pytest.raises(ConcurrentWriterError, match="s.jsonl.gz"):
            SupervisionSet.open_writer(path)
        for i in range(10):
            first.write(_sup(i))
    assert len(SupervisionSet.from_file(path)) == 10
    with SupervisionSet.open_writer(path, overwrite=False) as again:  # released on close
        again.write(_sup(10))
    assert len(SupervisionSet.from_file(path)) == 11


def test_second_writer_in_another_process_is_refused(tmp_path):
    path = tmp_path / "s.jsonl"
    script = textwrap.dedent(
        f"""
        import sys
        from nuptse import SupervisionSet
        from nuptse.utils.writer_lock import ConcurrentWriterError
        try:
            SupervisionSet.open_writer({str(path)!r})
        except ConcurrentWriterError as e:
            print("refused:", e)
            sys.exit(3)
        """
    )
    with SupervisionSet.open_writer(path) as first:
        first.write(_sup(0))
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    assert "another writer" in proc.stdout
    assert [s.id for s in SupervisionSet.from_file(path)] == ["s0"]
