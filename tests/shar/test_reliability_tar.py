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
