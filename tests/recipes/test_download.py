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
    assert flacs == sorted(
        p.name for p in (FIXTURES / "mini_corpus/dev-clean-2/9001/500").glob("*.flac")
    )
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
    for (
        name
    ) in "librispeech musan yesno ljspeech aishell commonvoice voxceleb1 timit ami tedlium".split():
        assert f"  {name} " in res.output, name


def _zip(path: Path, members: dict[str, Path]) -> None:
    import zipfile

    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, src in members.items():
            if not src.is_dir():
                zf.write(src, name)
                continue
            for f in sorted(src.rglob("*")):
                if f.is_file():
                    rel = f.relative_to(src).as_posix()
                    zf.write(f, f"{name}/{rel}" if name else rel)


def test_download_tarball_corpora_from_a_mirror(server, tmp_path, monkeypatch):
    """ljspeech, tedlium, aishell and commonvoice unpack to the layouts their recipes read."""
    www, url, _ = server
    corpora = FIXTURES / "corpora"
    _tarball(www / "LJSpeech-1.1.tar.bz2", {"LJSpeech-1.1": corpora / "ljspeech" / "LJSpeech-1.1"})
    monkeypatch.setattr("nuptse.recipes.ljspeech.LJSPEECH_URL", f"{url}/LJSpeech-1.1.tar.bz2")
    lj = recipes.download_ljspeech(tmp_path / "lj")
    assert len(recipes.prepare_ljspeech(lj)["recordings"]) == 2

    ted = corpora / "tedlium" / "TEDLIUM_release-3"
    _tarball(www / "TEDLIUM_release-3.tgz", {"TEDLIUM_release-3": ted})
    monkeypatch.setattr("nuptse.recipes.tedlium.TEDLIUM_URL", f"{url}/TEDLIUM_release-3.tgz")
    assert set(recipes.prepare_tedlium(recipes.download_tedlium(tmp_path / "ted"))) == {
        "train",
        "dev",
        "test",
    }

    # AISHELL ships its audio as one tarball per speaker inside data_aishell/wav.
    src = corpora / "aishell" / "aishell" / "data_aishell"
    inner = {}
    for spk_dir in sorted(src.glob("wav/*/*")):
        spk_tar = tmp_path / "inner" / f"{spk_dir.name}.tar.gz"
        _tarball(spk_tar, {f"{spk_dir.parent.name}/{spk_dir.name}": spk_dir})
        inner[f"data_aishell/wav/{spk_dir.name}.tar.gz"] = spk_tar
    _tarball(
        www / "33" / "data_aishell.tgz",
        {"data_aishell/transcript": src / "transcript", **inner},
    )
    _tarball(www / "33" / "resource_aishell.tgz", {"resource_aishell/lexicon.txt": b"x X\n"})
    ai = recipes.download_aishell(tmp_path / "ai", base_url=url)
    assert len(recipes.prepare_aishell(ai)["train"]["supervisions"]) == 1

    release = "cv-corpus-13.0-2023-03-09"
    _tarball(
        www / release / f"{release}-en.tar.gz",
        {f"{release}/en": corpora / "commonvoice" / release / "en"},
    )
    recipes.download_commonvoice(tmp_path / "cv", languages="en", base_url=url, release=release)
    cv = recipes.prepare_commonvoice(tmp_path / "cv" / release, output_dir=tmp_path / "cvm")
    assert len(cv["en"]["train"]["recordings"]) == 2
    with pytest.raises(NotImplementedError, match="e-mail"):
        recipes.download_commonvoice(tmp_path / "cv", "en", release="cv-corpus-5.1-2020-06-22")


def test_download_zip_corpora_from_a_mirror(server, tmp_path, monkeypatch):
    """timit (one zip) and voxceleb1 (a zip split in pieces, joined before unzipping)."""
    www, url, _ = server
    corpora = FIXTURES / "corpora"
    _zip(www / "timit.zip", {"data": corpora / "timit" / "timit" / "data"})
    timit = recipes.download_timit(tmp_path / "t", base_url=f"{url}/timit.zip")
    assert timit == tmp_path / "t" / "timit" and not (tmp_path / "t" / "timit.zip").exists()
    assert len(recipes.prepare_timit(timit)["TRAIN"]["recordings"]) == 1

    vox = corpora / "voxceleb" / "voxceleb1"
    _zip(tmp_path / "dev.zip", {"wav": vox / "wav"})
    blob = (tmp_path / "dev.zip").read_bytes()
    half = len(blob) // 2
    (www / "vox1_dev_wav_partaa").write_bytes(blob[:half])
    (www / "vox1_dev_wav_partab").write_bytes(blob[half:])
    _zip(
        www / "vox1_test_wav.zip",
        {"wav/id10300/ize_eiCFEg0/00009.wav": vox / "wav/id10300/ize_eiCFEg0/00003.wav"},
    )
    (www / "vox1_meta.csv").write_bytes((vox / "vox1_meta.csv").read_bytes())
    parts = [
        f"{url}/vox1_dev_wav_partaa",
        f"{url}/vox1_dev_wav_partab",
        f"{url}/vox1_test_wav.zip",
        f"{url}/vox1_meta.csv",
    ]
    monkeypatch.setattr("nuptse.recipes.voxceleb.VOXCELEB1_PARTS_URL", parts)
    monkeypatch.setattr("nuptse.recipes.voxceleb.VOXCELEB1_TRIALS_URL", f"{url}/trials.txt")
    (www / "trials.txt").write_bytes((vox / "voxceleb1_test_v2.txt").read_bytes())
    root = recipes.download_voxceleb1(tmp_path / "v")
    assert (root / "vox1_dev_wav.zip").is_file() and (root / "vox1_meta.csv").is_file()
    m = recipes.prepare_voxceleb(voxceleb1_root=root, output_dir=tmp_path / "vm")
    # The downloaded test zip adds 00009, so every trial of the list is usable.
    assert len(m["test"]["recordings"]) == 4
    assert len(m["pos_trials"][0]) == 2 and len(m["neg_trials"][0]) == 2
    assert (tmp_path / "vm" / "voxceleb1_test_v2.txt").is_file()  # fetched to the output folder


def test_download_ami_audio_and_annotations(server, tmp_path):
    www, url, hits = server
    corpora = FIXTURES / "corpora" / "ami" / "amicorpus"
    mirror = www / "AMICorpusMirror" / "amicorpus"
    for meeting in ("ES2002a", "ES2011a", "ES2004a"):
        for f in (corpora / meeting / "audio").glob("*Array1-01.wav"):
            dst = mirror / meeting / "audio" / f.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(f.read_bytes())
    _zip(
        www / "AMICorpusAnnotations" / "ami_public_manual_1.6.2.zip",
        {"": corpora / "ami_public_manual_1.6.2"},
    )
    target = recipes.download_ami(tmp_path / "ami", mic="sdm", url=url)
    got = sorted(p.name for p in (target / "wav_db").rglob("*.wav"))
    assert got == ["ES2002a.Array1-01.wav", "ES2004a.Array1-01.wav", "ES2011a.Array1-01.wav"]
    # Meetings the mirror lacks are skipped for far-field mics (as not every meeting has them).
    assert len(hits) > 100
    m = recipes.prepare_ami(
        target, annotations_dir=target / "ami_public_manual_1.6.2.zip", mic="sdm"
    )
    assert {p: len(v["recordings"]) for p, v in m.items()} == {"train": 1, "dev": 1, "test": 1}
