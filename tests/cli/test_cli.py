import gzip
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from nuptse.cli import cli


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, ok=True):
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


@pytest.fixture
def prepared(run, fixtures_dir, tmp_path):
    out = tmp_path / "manifests"
    run(
        "prepare",
        "librispeech",
        fixtures_dir / "mini_corpus",
        out,
        "--alignments-dir",
        fixtures_dir / "mini_corpus" / "alignments",
        "-j",
        2,
    )
    return (
        out / "librispeech_recordings_dev-clean-2.jsonl.gz",
        out / "librispeech_supervisions_dev-clean-2.jsonl.gz",
    )


@pytest.fixture
def small_cuts(run, prepared, tmp_path):
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    recs = RecordingSet.from_file(prepared[0]).subset(first=3)
    recs.to_file(tmp_path / "recs3.jsonl.gz")
    sups = SupervisionSet.from_file(prepared[1]).filter(lambda s: s.recording_id in recs)
    sups.to_file(tmp_path / "sups3.jsonl.gz")
    out = tmp_path / "cuts.jsonl.gz"
    run("cut", "simple", out, "-r", tmp_path / "recs3.jsonl.gz", "-s", tmp_path / "sups3.jsonl.gz")
    return out


def test_help_is_fast_and_does_not_import_torch():
    code = (
        "import sys; from nuptse.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in ('torch', 'numpy', 'matplotlib', 'soundfile') if m in sys.modules]\n"
        "assert not bad, bad"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "prepare" in proc.stdout and "kaldi" in proc.stdout


def test_version(run):
    assert "0.1.0" in run("--version").output


def test_prepare_librispeech(run, prepared):
    from nuptse.supervision import SupervisionSet

    sups = SupervisionSet.from_file(prepared[1])
    assert len(sups) == 24
    assert sups["9002-501-0000"].gender == "F"
    assert sups["9002-501-0000"].alignment["word"][0].symbol == ""


def test_prepare_output_has_summary(run, fixtures_dir, tmp_path):
    res = run("prepare", "librispeech", fixtures_dir / "mini_corpus", tmp_path)
    assert "dev-clean-2" in res.output and "24" in res.output


def test_errors_are_one_line_without_traceback(run, tmp_path):
    res = run("validate", tmp_path / "missing.jsonl.gz", ok=False)
    assert res.exit_code != 0
    (tmp_path / "bad.jsonl").write_text('{"id": "x"}\n')
    runner = CliRunner()
    res = runner.invoke(cli, ["describe", str(tmp_path / "bad.jsonl")])
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    err_lines = [line for line in res.output.splitlines() if line.startswith("Error:")]
    assert len(err_lines) == 1 and "bad.jsonl" in err_lines[0]


def test_verbose_shows_traceback(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"id": "x"}\n')
    res = CliRunner().invoke(cli, ["--verbose", "describe", str(tmp_path / "bad.jsonl")])
    assert res.exit_code == 1
    assert res.exception is not None and not isinstance(res.exception, SystemExit)


def test_kaldi_import_export(run, fixtures_dir, tmp_path):
    run("kaldi", "import", fixtures_dir / "mini_librispeech", 16000, tmp_path / "m", "-f", 0.01)
    assert (tmp_path / "m" / "recordings.jsonl.gz").is_file()
    assert (tmp_path / "m" / "supervisions.jsonl.gz").is_file()
    assert (tmp_path / "m" / "cuts.jsonl.gz").is_file()  # as lhotse kaldi import writes
    res = run(
        "kaldi",
        "export",
        tmp_path / "m" / "recordings.jsonl.gz",
        tmp_path / "m" / "supervisions.jsonl.gz",
        tmp_path / "k",
    )
    assert "wav.scp" in res.output
    src = (fixtures_dir / "mini_librispeech" / "text").read_text().split()
    assert (tmp_path / "k" / "text").read_text().split() == src


def test_kaldi_import_features(run, fixtures_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(fixtures_dir / "mini_librispeech2")
    res = run("kaldi", "import", ".", 16000, tmp_path / "m", "--frame-shift", 0.01)
    assert "features" in res.output
    with gzip.open(tmp_path / "m" / "features.jsonl.gz", "rt") as f:
        assert sum(1 for _ in f) == 3
    m = tmp_path / "m"
    run(
        "kaldi",
        "export",
        m / "recordings.jsonl.gz",
        m / "supervisions.jsonl.gz",
        tmp_path / "k",
        "-f",
        m / "features.jsonl.gz",
    )
    assert (tmp_path / "k" / "feats.scp").read_text() == open("feats.scp").read()


def test_kaldi_import_refuses_commands_without_flag(run, fixtures_dir, tmp_path):
    res = run(
        "kaldi",
        "import",
        fixtures_dir / "mini_librispeech",
        16000,
        tmp_path,
        "--no-use-reco2dur",
        ok=False,
    )
    assert res.exit_code == 1 and "allow" in res.output


def test_validate_ok_and_problems(run, prepared, tmp_path):
    res = run("validate", *prepared)
    assert "problems   0" in res.output
    from nuptse.supervision import SupervisionSet

    sups = SupervisionSet.from_file(prepared[1])
    bad = sups.map(lambda s: s.with_id(s.id) if s.id != "9001-500-0001" else _longer(s))
    bad.to_file(tmp_path / "bad.jsonl.gz")
    res = run("validate", prepared[0], tmp_path / "bad.jsonl.gz", ok=False)
    assert res.exit_code == 1
    assert "9001-500-0001" in res.output


def _longer(s):
    import dataclasses

    return dataclasses.replace(s, duration=s.duration + 10)


def test_fix(run, prepared, tmp_path):
    from nuptse.supervision import SupervisionSet

    sups = SupervisionSet.from_file(prepared[1]).map(
        lambda s: _longer(s) if s.id == "9001-500-0001" else s
    )
    sups.to_file(tmp_path / "sups.jsonl.gz")
    res = run("fix", prepared[0], tmp_path / "sups.jsonl.gz", tmp_path / "fixed")
    assert "supervisions trimmed  1" in res.output
    run("validate", tmp_path / "fixed" / prepared[0].name, tmp_path / "fixed" / "sups.jsonl.gz")


def test_describe_with_plot(run, prepared, small_cuts, tmp_path):
    res = run("describe", prepared[1], "--plot", tmp_path / "p.png")
    assert "speakers" in res.output and (tmp_path / "p.png").stat().st_size > 1000
    res = run("describe", small_cuts)
    assert "CutSet" in res.output


def test_cut_commands(run, small_cuts, fixtures_dir, tmp_path):
    run("cut", "trim-to-supervisions", small_cuts, tmp_path / "trim.jsonl.gz")
    res = run("cut", "windowed", small_cuts, tmp_path / "win.jsonl.gz", "-d", 1.0)
    assert "Windowed cuts" in res.output
    from nuptse.cut import CutSet

    win = CutSet.from_file(tmp_path / "win.jsonl.gz")
    assert max(c.duration for c in win) <= 1.0
    assert len(CutSet.from_file(tmp_path / "trim.jsonl.gz")) == 3


def test_feat_extract_cuts_then_copy_and_shar(run, small_cuts, tmp_path):
    res = run("feat", "extract", small_cuts, tmp_path / "f", "-s", "lilcom_chunky")
    cuts_path = tmp_path / "f" / "cuts.jsonl.gz"
    assert cuts_path.is_file() and "Features" in res.output
    run("validate", cuts_path, "--read-data")
    run(
        "copy-feats",
        cuts_path,
        tmp_path / "copied.jsonl.gz",
        tmp_path / "copy",
        "-t",
        "numpy_files",
    )
    from nuptse.cut import CutSet

    copied = CutSet.from_file(tmp_path / "copied.jsonl.gz")
    orig = CutSet.from_file(cuts_path)
    for a, b in zip(orig, copied):
        assert b.features.storage_type == "numpy_files"
        assert (a.load_features() == b.load_features()).all()
    run(
        "shar",
        "export",
        cuts_path,
        tmp_path / "shar",
        "-a",
        "flac",
        "-f",
        "lilcom",
        "--no-shuffle",
        "-s",
        2,
    )
    assert sorted(p.name for p in (tmp_path / "shar").glob("cuts.*")) == [
        "cuts.000000.jsonl.gz",
        "cuts.000001.jsonl.gz",
    ]
    run("shar", "import", tmp_path / "shar", tmp_path / "unpacked")
    back = CutSet.from_file(tmp_path / "unpacked" / "cuts.jsonl.gz")
    assert [c.id for c in back] == [c.id for c in orig]
    for a, b in zip(orig, back):
        assert (a.load_audio() == b.load_audio()).all()
        assert abs(a.load_features() - b.load_features()).max() < 0.02


def test_feat_extract_with_dask(run, small_cuts, tmp_path):
    pytest.importorskip("dask.distributed")
    res = run("feat", "extract", small_cuts, tmp_path / "d", "--executor", "dask", "-j", 2)
    from nuptse.cut import CutSet

    cuts = CutSet.from_file(tmp_path / "d" / "cuts.jsonl.gz")
    assert len(cuts) == 3 and all(c.has_features for c in cuts), res.output


def test_feat_extract_recordings(run, small_cuts, tmp_path):
    run("feat", "write-default-config", tmp_path / "fbank.yml")
    res = run(
        "feat",
        "extract",
        tmp_path / "recs3.jsonl.gz",
        tmp_path / "rf",
        "-f",
        tmp_path / "fbank.yml",
    )
    # lhotse's names: OUTPUT_DIR/feature_manifest.json.gz and OUTPUT_DIR/storage
    assert (tmp_path / "rf" / "feature_manifest.json.gz").is_file(), res.output
    assert list((tmp_path / "rf").glob("storage*"))  # storage.lca: lilcom_chunky adds .lca
    from nuptse.features import FeatureSet

    assert len(FeatureSet.from_file(tmp_path / "rf" / "feature_manifest.json.gz")) == 3


def test_list_commands(run):
    storage = run("list-storage-backends").output.splitlines()
    assert "lilcom_chunky" in storage and "numpy_files" in storage
    assert run("list-storage-types").output.splitlines() == storage  # the older name
    backends = run("list-audio-backends").output.split()
    assert backends


def test_demo(run, tmp_path):
    res = run("demo", "--out", tmp_path / "demo")
    for step in ("prepare", "validate", "cuts", "features", "shar", "describe"):
        assert step in res.output
    assert "FAILED" not in res.output
    assert (tmp_path / "demo" / "describe.png").is_file()
    assert list((tmp_path / "demo" / "shar").glob("cuts.*.jsonl.gz"))


def test_main_entry_point(tmp_path):
    exe = shutil.which("nuptse")
    if exe is None:
        pytest.skip("the console script is not installed")
    proc = subprocess.run([exe, "list-storage-types"], capture_output=True, text=True)
    assert proc.returncode == 0 and "lilcom_chunky" in proc.stdout


def test_feat_local_dask_workers_keep_glibc_trimming_adaptive():
    # Dask's default MALLOC_TRIM_THRESHOLD_=65536 makes every cut's arrays page-fault again
    pytest.importorskip("dask.distributed")
    import click

    from nuptse.cli.feat import _dask_client, extract

    with click.Context(extract).scope():
        client = _dask_client("dask", None, 1)
    try:
        env = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
        assert list(env.values()) == [None]
        assert len(client.scheduler_info()["workers"]) == 1
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()
