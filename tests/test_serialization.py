import gzip

import pytest

from nuptse.serialization import (
    ManifestParseError,
    TruncatedManifestError,
    UnsupportedFormatError,
    detect_format,
    iter_jsonl,
    load_dicts,
    save_dicts,
)

FORMATS = ["json", "jsonl", "yaml", "json.gz", "jsonl.gz", "yaml.gz"]
DATA = [{"id": f"x{i}", "text": f"héllo {i}", "n": i} for i in range(50)]


@pytest.mark.parametrize("ext", FORMATS)
def test_round_trip_every_format(tmp_path, ext):
    path = tmp_path / f"m.{ext}"
    save_dicts(DATA, path)
    assert list(load_dicts(path)) == DATA
    if ext.endswith(".gz"):
        with gzip.open(path, "rb") as f:  # a standard gzip reader accepts ours
            assert f.read()


@pytest.mark.parametrize("ext", FORMATS)
def test_round_trip_fsspec_memory(ext):
    path = f"memory://nuptse-tests/m.{ext}"
    save_dicts(DATA, path)
    assert list(load_dicts(path)) == DATA


def test_unknown_extension_lists_supported(tmp_path):
    with pytest.raises(UnsupportedFormatError, match=r"\.jsonl\.gz"):
        detect_format(tmp_path / "m.csv")


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b"}\n{"id": oops}\n{"id": "d"}\n')
    with pytest.raises(ManifestParseError) as e:
        list(iter_jsonl(path))
    assert e.value.line == 3 and str(path) in str(e.value)


def test_malformed_json_document_names_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[\n{"id": "a"},\n{"id": }\n]')
    with pytest.raises(ManifestParseError, match="line 3"):
        load_dicts(path)


@pytest.mark.parametrize("ext", ["jsonl", "jsonl.gz"])
def test_truncated_manifest_raises(tmp_path, ext):
    path = tmp_path / f"m.{ext}"
    save_dicts(DATA, path)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) * 2 // 3])
    with pytest.raises(TruncatedManifestError) as e:
        list(iter_jsonl(path))
    assert str(path) in str(e.value)


def test_last_line_without_newline_is_fine(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b"}')
    assert [d["id"] for d in iter_jsonl(path)] == ["a", "b"]


def test_not_gzip_despite_name(tmp_path):
    path = tmp_path / "m.jsonl.gz"
    path.write_text('{"id": "a"}\n')
    with pytest.raises(ManifestParseError, match="not a gzip"):
        list(iter_jsonl(path))


def test_write_is_atomic_on_error(tmp_path):
    path = tmp_path / "m.jsonl.gz"

    def items():
        yield {"id": "a"}
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        save_dicts(items(), path)
    assert list(tmp_path.iterdir()) == []
