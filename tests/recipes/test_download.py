"""download_X recipes against a local HTTP server on 127.0.0.1 and file:// URLs (never the internet)."""

from __future__ import annotations

import functools
import http.server
import io
import tarfile
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from nuptse import recipes
from nuptse.cli import cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with ``Range: bytes=N-`` support; counts requests per path."""

    hits: dict[str, list[str]] = {}

    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):
        self.hits.setdefault(self.path, []).append(self.headers.get("Range", ""))
        rng = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if not rng or not path.is_file():
            return super().do_GET()
        start = int(rng.split("=")[1].rstrip("-"))
        data = path.read_bytes()
        if start >= len(data):
            self.send_response(416)
            self.end_headers()
            return
        self.send_response(206)
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        self.wfile.write(data[start:])


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    _RangeHandler.hits = {}
    handler = functools.partial(_RangeHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}", _RangeHandler.hits
    finally:
        httpd.shutdown()
        thread.join()


def _tarball(path: Path, members: dict[str, Path | bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, src in members.items():
            if isinstance(src, Path):
                tar.add(src, arcname=name)
            else:
                info = tarfile.TarInfo(name)
                info.size = len(src)
                tar.addfile(info, io.BytesIO(src))


def _mini_librispeech_tarballs(www: Path) -> None:
    part = FIXTURES / "mini_corpus" / "dev-clean-2"
    chapter = part / "9001" / "500"
    _tarball(www / "31" / "dev-clean-2.tar.gz", {"LibriSpeech/dev-clean-2/9001/500": chapter})
    _tarball(
        www / "31" / "train-clean-5.tar.gz",
        {"LibriSpeech/train-clean-5/9002/501": part / "9002" / "501"},
    )


def test_download_librispeech_mini_over_http(server, tmp_path):
    www, url, hits = server
    _mini_librispeech_tarballs(www)
    target = tmp_path / "data"
    corpus = recipes.download_librispeech(target, "mini_librispeech", base_url=url)
    assert corpus == target / "LibriSpeech"
    flacs = sorted(p.name for p in (corpus / "dev-clean-2").rglob("*.flac"))
    assert flacs == sorted(p.name for p in (FIXTURES / "mini_corpus/dev-clean-2/9001/500").glob("*.flac"))
    assert (corpus / "train-clean-5" / ".completed").is_file()
    # Unpacked parts are not fetched again.
    recipes.download_librispeech(target, "mini_librispeech", base_url=url)
    assert len(hits["/31/dev-clean-2.tar.gz"]) == 1
    m = recipes.prepare_librispeech(corpus, dataset_parts="mini_librispeech")
    assert set(m) == {"dev-clean-2", "train-clean-5"}


def test_download_resumes_a_partial_archive(server, tmp_path):
    www, url, hits = server
    _mini_librispeech_tarballs(www)
    full = (www / "31" / "dev-clean-2.tar.gz").read_bytes()
    target = tmp_path / "data"
    target.mkdir()
    (target / "dev-clean-2.tar.gz").write_bytes(full[:1000])
    recipes.download_librispeech(target, "dev-clean-2", base_url=url)
    assert hits["/31/dev-clean-2.tar.gz"] == ["bytes=1000-"]
    assert (target / "dev-clean-2.tar.gz").read_bytes() == full


def test_download_missing_part_names_the_url(server, tmp_path):
    _, url, _ = server
    from nuptse.utils import DownloadError

    with pytest.raises(DownloadError, match="31/dev-clean-2.tar.gz.*404"):
        recipes.download_librispeech(tmp_path, "dev-clean-2", base_url=url)


def test_unsafe_archive_is_refused(server, tmp_path):
    www, url, _ = server
    _tarball(www / "1" / "waves_yesno.tar.gz", {"../escaped.txt": b"x"})
    from nuptse.utils import UnsafeArchiveError

    with pytest.raises(UnsafeArchiveError, match="escaped"):
        recipes.download_yesno(tmp_path / "t", url=f"{url}/1/waves_yesno.tar.gz")
    assert not (tmp_path / "escaped.txt").exists()


def test_download_yesno_and_musan_from_file_urls(tmp_path):
    corpora = FIXTURES / "corpora"
    _tarball(tmp_path / "waves_yesno.tar.gz", {"waves_yesno": corpora / "yesno" / "waves_yesno"})
    _tarball(tmp_path / "musan.tar.gz", {"musan": corpora / "musan" / "musan"})
    yesno = recipes.download_yesno(tmp_path / "y", url=(tmp_path / "waves_yesno.tar.gz").as_uri())
    assert len(recipes.prepare_yesno(yesno)["train"]["recordings"]) == 30
    musan = recipes.download_musan(tmp_path / "m", url=(tmp_path / "musan.tar.gz").as_uri())
    assert set(recipes.prepare_musan(musan)) == {"music", "speech", "noise"}


def test_cli_download_librispeech_mini(server, tmp_path):
    www, url, _ = server
    _mini_librispeech_tarballs(www)
    res = CliRunner().invoke(
        cli, ["download", "librispeech", str(tmp_path / "d"), "--mini", "--base-url", url]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "d" / "LibriSpeech" / "dev-clean-2" / ".completed").is_file()
    res = CliRunner().invoke(cli, ["download", "--help"])
    for name in "librispeech musan yesno ljspeech aishell commonvoice voxceleb1 timit ami tedlium".split():
        assert f"  {name} " in res.output, name
