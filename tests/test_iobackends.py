"""nuptse.iobackends and open_best's routing through them."""

import gzip
import io
import tarfile

import pytest

from nuptse.iobackends import (
    BuiltinIOBackend,
    CommandNotAllowedError,
    CompositeIOBackend,
    GzipIOBackend,
    IOBackend,
    PipeIOBackend,
    TarAsDirBackend,
    available_io_backends,
    get_current_io_backend,
    get_default_io_backend,
    io_backend,
    set_current_io_backend,
)
from nuptse.serialization import open_best


def test_registry_and_selection():
    names = available_io_backends()
    assert names[0] == "default" and "BuiltinIOBackend" in names and "PipeIOBackend" in names
    before = get_current_io_backend()
    with io_backend("GzipIOBackend") as b:
        assert isinstance(get_current_io_backend(), GzipIOBackend) and b is get_current_io_backend()
    assert get_current_io_backend() is before
    with pytest.raises(ValueError, match="NoSuch"):
        IOBackend.new("NoSuchBackend")
    with pytest.raises(TypeError):
        set_current_io_backend(3)


def test_composite_prefers_special_cases(tmp_path):
    path = tmp_path / "a.txt.gz"
    with gzip.open(path, "wt") as f:
        f.write("zipped")
    composite = CompositeIOBackend([BuiltinIOBackend(), GzipIOBackend()])
    with composite.open(path, "r") as f:
        assert f.read() == "zipped"
    with pytest.raises(ValueError, match="No IO backend"):
        CompositeIOBackend([GzipIOBackend()]).open(tmp_path / "plain.txt", "r")


def test_pipes_need_permission(tmp_path, monkeypatch):
    monkeypatch.delenv("NUPTSE_ALLOW_COMMANDS", raising=False)
    with pytest.raises(CommandNotAllowedError, match="NUPTSE_ALLOW_COMMANDS"):
        open_best("pipe:echo hi", "r")
    monkeypatch.setenv("NUPTSE_ALLOW_COMMANDS", "1")
    with open_best("pipe:echo hi", "r") as f:
        assert f.read() == "hi\n"
    monkeypatch.delenv("NUPTSE_ALLOW_COMMANDS")
    with io_backend(PipeIOBackend()):  # choosing the backend explicitly is permission too
        with open_best(f"pipe:cat > {tmp_path}/out.txt", "w") as f:
            f.write("written")
    assert (tmp_path / "out.txt").read_text() == "written"


def test_tar_as_dir(tmp_path):
    archive = tmp_path / "data.tar"
    payload = b"inside"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("dir/file.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    backend = TarAsDirBackend()
    assert backend.handles_special_case(f"{archive}/dir/file.txt")
    with backend.open(f"{archive}/dir/file.txt", "rb") as f:
        assert f.read() == payload
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        backend.open(f"{archive}/missing.txt", "rb")
    with get_default_io_backend().open(f"{archive}/dir/file.txt", "r") as f:
        assert f.read() == "inside"


def test_user_selected_backend_routes_open_best(tmp_path):
    opened = []

    class Recording(BuiltinIOBackend):
        def open(self, identifier, mode):
            opened.append(str(identifier))
            return super().open(identifier, mode)

    path = tmp_path / "x.txt"
    path.write_text("abc")
    with io_backend(Recording()):
        with open_best(path, "r") as f:
            assert f.read() == "abc"
    assert opened == [str(path)]
