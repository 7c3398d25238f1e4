"""A Shar tar header declaring a huge member fails by name instead of exhausting memory."""

import io
import tarfile

import pytest

from nuptse.shar.errors import CorruptShardError
from nuptse.shar.readers.tar import iter_tar_members


def _pax_tar(size_value: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("cut-1.json")
        data = b"{}"
        info.size = len(data)
        info.pax_headers = {"size": size_value}
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_pax_size_beyond_limit_is_refused():
    raw = _pax_tar(str(10**15))
    with pytest.raises(CorruptShardError, match="1000000000000000") as err:
        list(iter_tar_members(io.BytesIO(raw), shard="s.tar"))
    assert "cut-1.json" in str(err.value) and "s.tar" in str(err.value)


def test_limit_is_configurable(monkeypatch):
    raw = _pax_tar("2")
    monkeypatch.setenv("NUPTSE_SHAR_MAX_MEMBER_BYTES", "1")
    with pytest.raises(CorruptShardError, match="NUPTSE_SHAR_MAX_MEMBER_BYTES"):
        list(iter_tar_members(io.BytesIO(raw), shard="s.tar"))
    monkeypatch.delenv("NUPTSE_SHAR_MAX_MEMBER_BYTES")
    assert [m.name for m in iter_tar_members(io.BytesIO(raw), shard="s.tar")] == ["cut-1.json"]


def _flip_in_member(tar_path, suffix):
    raw = bytearray(tar_path.read_bytes())
    with tarfile.open(tar_path) as t:
        member = next(m for m in t.getmembers() if m.name.endswith(suffix))
    raw[member.offset_data + member.size // 2] ^= 0x04
    tar_path.write_bytes(bytes(raw))
    return member.name


def test_opt_in_checksums_catch_a_flipped_lilcom_member(lhotse_cuts, tmp_path, monkeypatch):
    from nuptse.cut import CutSet
    from nuptse.shar.api import export_cuts_to_shar

    monkeypatch.setenv("NUPTSE_SHAR_CHECKSUMS", "1")
    out = tmp_path / "shar"
    fields = {"recording": "flac", "features": "lilcom"}
    export_cuts_to_shar(lhotse_cuts.subset(first=3), out, fields=fields, shard_size=None)
    monkeypatch.delenv("NUPTSE_SHAR_CHECKSUMS")
    # other tar readers see ordinary members
    with tarfile.open(out / "features.tar") as t:
        assert all(m.isfile() for m in t.getmembers())
    assert len(list(CutSet.from_shar(in_dir=out))) == 3
    name = _flip_in_member(out / "features.tar", ".llc")
    with pytest.raises(CorruptShardError, match="SHA-256") as err:
        for cut in CutSet.from_shar(in_dir=out):
            cut.load_features()
    assert name in str(err.value)


def test_without_opt_in_tars_have_no_checksum_records(lhotse_cuts, tmp_path, monkeypatch):
    from nuptse.shar.api import export_cuts_to_shar

    monkeypatch.delenv("NUPTSE_SHAR_CHECKSUMS", raising=False)
    out = tmp_path / "shar"
    export_cuts_to_shar(
        lhotse_cuts.subset(first=2), out, fields={"features": "lilcom"}, shard_size=None
    )
    with tarfile.open(out / "features.tar") as t:
        assert all("NUPTSE.sha256" not in m.pax_headers for m in t.getmembers())
