"""lhotse's command names and options on nuptse: the same outputs as ``lhotse <command>``.

Where lhotse is installed, a command runs through both command lines on the
same input and the output files are compared (names and items).  Cut
operations are checked against the CutSet methods they call.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from nuptse.cli import cli


def _invoke(group, args, ok=True):
    result = CliRunner().invoke(group, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def run():
    return lambda *args, ok=True: _invoke(cli, args, ok=ok)


@pytest.fixture(scope="module")
def lhotse_cli():
    pytest.importorskip("lhotse")
    from lhotse.bin.lhotse import cli as lcli

    return lambda *args: _invoke(lcli, args)


@pytest.fixture(scope="module")
def manifests(tmp_path_factory):
    """Recordings, supervisions (with word alignments) and cuts of the mini corpus."""
    from nuptse.cut import CutSet
    from nuptse.recipes import prepare_librispeech

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "mini_corpus"
    out = tmp_path_factory.mktemp("manifests")
    m = prepare_librispeech(fixtures, alignments_dir=fixtures / "alignments", output_dir=out)
    part = m["dev-clean-2"]
    cuts = CutSet.from_manifests(recordings=part["recordings"], supervisions=part["supervisions"])
    cuts.to_file(out / "cuts.jsonl.gz")
    return {
        "recordings": out / "librispeech_recordings_dev-clean-2.jsonl.gz",
        "supervisions": out / "librispeech_supervisions_dev-clean-2.jsonl.gz",
        "cuts": out / "cuts.jsonl.gz",
    }


def _items(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        if ".jsonl" in path.name:
            return [json.loads(line) for line in f if line.strip()]
        return json.load(f)


def _tree(folder: Path) -> dict[str, list[dict]]:
    return {p.name: _items(p) for p in sorted(folder.iterdir()) if ".json" in p.name}


def test_help_lists_lhotse_commands(run):
    out = run("--help").output
    for name in (
        "combine copy subset filter split split-lazy fix validate-pair cut feat shar "
        "list-storage-backends download prepare describe demo validate"
    ).split():
        assert f"  {name} " in out, name
    cut_help = run("cut", "--help").output
    for name in (
        "simple trim-to-supervisions trim-to-alignments trim-to-supervision-groups pad "
        "truncate append decompose mix-sequential mix-by-recording-id describe"
    ).split():
        assert f"  {name} " in cut_help, name


def test_combine_copy_subset_like_lhotse(run, lhotse_cli, manifests, tmp_path):
    recs, sups = manifests["recordings"], manifests["supervisions"]
    for tool, d in ((run, tmp_path / "ours"), (lhotse_cli, tmp_path / "theirs")):
        d.mkdir()
        tool("subset", sups, d / "first.jsonl.gz", "--first", 5)
        tool("subset", sups, d / "last.json", "--last", 3)
        tool("combine", d / "first.jsonl.gz", d / "last.json", d / "combined.jsonl.gz")
        tool("copy", recs, d / "recs.json")
    assert _tree(tmp_path / "ours") == _tree(tmp_path / "theirs")
    assert len(_items(tmp_path / "ours" / "combined.jsonl.gz")) == 8


def test_subset_cutids(run, lhotse_cli, manifests, tmp_path):
    ids = [c["id"] for c in _items(manifests["cuts"])][3:5]
    (tmp_path / "ids.json").write_text(json.dumps(ids))
    run("subset", manifests["cuts"], tmp_path / "a.jsonl.gz", "--cutids", json.dumps(ids))
    run("subset", manifests["cuts"], tmp_path / "b.jsonl.gz", "--cutids", tmp_path / "ids.json")
    lhotse_cli("subset", manifests["cuts"], tmp_path / "c.jsonl.gz", "--cutids", json.dumps(ids))
    a, b, c = (_items(tmp_path / f"{x}.jsonl.gz") for x in "abc")
    assert a == b == c and [x["id"] for x in a] == ids
    res = run("subset", manifests["supervisions"], tmp_path / "d.jsonl.gz", "--cutids", "[]", ok=False)
    assert res.exit_code != 0 and "CutSet" in res.output


@pytest.mark.parametrize("predicate", ["duration>2.5", "duration<=2.5", "channel=0", "start!=0"])
def test_filter_like_lhotse(run, lhotse_cli, manifests, tmp_path, predicate):
    run("filter", predicate, manifests["supervisions"], tmp_path / "ours.jsonl.gz")
    lhotse_cli("filter", predicate, manifests["supervisions"], tmp_path / "theirs.jsonl.gz")
    ours, theirs = tmp_path / "ours.jsonl.gz", tmp_path / "theirs.jsonl.gz"
    assert ours.exists() == theirs.exists()
    if ours.exists():
        assert _items(ours) == _items(theirs)


def test_filter_rejects_bad_predicates(run, manifests, tmp_path):
    res = run("filter", "duration~3", manifests["supervisions"], tmp_path / "x.jsonl.gz", ok=False)
    assert res.exit_code == 2 and "ATTRIBUTE OP NUMBER" in res.output
    res = run("filter", "bogus>1", manifests["supervisions"], tmp_path / "x.jsonl.gz", ok=False)
    assert res.exit_code == 2 and "bogus" in res.output


@pytest.mark.parametrize("extra", [[], ["--no-pad", "-i", "3"]])
def test_split_like_lhotse(run, lhotse_cli, manifests, tmp_path, extra):
    run("split", 12, manifests["supervisions"], tmp_path / "ours", *extra)
    lhotse_cli("split", 12, manifests["supervisions"], tmp_path / "theirs", *extra)
    ours = _tree(tmp_path / "ours")
    assert ours == _tree(tmp_path / "theirs")
    assert len(ours) == 12


def test_split_lazy_like_lhotse(run, lhotse_cli, manifests, tmp_path):
    run("split-lazy", manifests["cuts"], tmp_path / "ours", 10, "-i", 2)
    lhotse_cli("split-lazy", manifests["cuts"], tmp_path / "theirs", 10, "-i", 2)
    ours = _tree(tmp_path / "ours")
    assert ours == _tree(tmp_path / "theirs") and len(ours) == 3


def test_validate_pair_and_fix(run, manifests, tmp_path):
    from nuptse.supervision import SupervisionSet

    res = run("validate-pair", manifests["recordings"], manifests["supervisions"])
    assert "[OK]" in res.output
    sups = SupervisionSet.from_file(manifests["supervisions"])
    bad = SupervisionSet.from_items(
        s.with_offset(100.0) if s.id == "9002-501-0003" else s for s in sups
    )
    bad.to_file(tmp_path / "bad.jsonl.gz")
    res = run("validate-pair", manifests["recordings"], tmp_path / "bad.jsonl.gz", ok=False)
    assert res.exit_code == 1 and "9002-501-0003" in res.output
    run("fix", manifests["recordings"], tmp_path / "bad.jsonl.gz", tmp_path / "fixed")
    run("validate-pair", tmp_path / "fixed" / manifests["recordings"].name,
        tmp_path / "fixed" / "bad.jsonl.gz")


@pytest.mark.parametrize("max_pause", [0.0, 0.3])
def test_cut_trim_to_alignments_like_lhotse(run, lhotse_cli, manifests, tmp_path, max_pause):
    """Words that touch (or are less than --max-pause apart) merge into one cut."""
    run("cut", "trim-to-alignments", manifests["cuts"], tmp_path / "ours.jsonl.gz",
        "--max-pause", max_pause, "--delimiter", "|")
    lhotse_cli("cut", "trim-to-alignments", manifests["cuts"], tmp_path / "theirs.jsonl.gz",
               "--max-pause", max_pause, "--delimiter", "|")
    assert _items(tmp_path / "ours.jsonl.gz") == _items(tmp_path / "theirs.jsonl.gz")


def test_cut_trim_commands_equal_the_methods(run, manifests, tmp_path):
    from nuptse.cut import CutSet

    cuts = CutSet.from_file(manifests["cuts"])
    run("cut", "trim-to-supervision-groups", manifests["cuts"], tmp_path / "grp.jsonl.gz")
    want = cuts.trim_to_supervision_groups(max_pause=0.0)
    got = CutSet.from_file(tmp_path / "grp.jsonl.gz")
    assert [c.to_dict() for c in got] == [c.to_dict() for c in want]
    run("cut", "trim-to-supervisions", manifests["cuts"], tmp_path / "sup.jsonl.gz",
        "-d", 5.0, "-c", "left")
    got = CutSet.from_file(tmp_path / "sup.jsonl.gz")
    want = cuts.trim_to_supervisions(min_duration=5.0, context_direction="left")
    assert [c.to_dict() for c in got] == [c.to_dict() for c in want]


def test_cut_pad_truncate_append_mix(run, manifests, tmp_path):
    from nuptse.cut import CutSet

    src = manifests["cuts"]
    cuts = CutSet.from_file(src)
    run("cut", "pad", src, tmp_path / "pad.jsonl.gz")
    longest = max(c.duration for c in cuts)
    assert {c.duration for c in CutSet.from_file(tmp_path / "pad.jsonl.gz")} == {longest}
    run("cut", "truncate", src, tmp_path / "tr.jsonl.gz", "-d", 1.5, "--preserve-id")
    tr = CutSet.from_file(tmp_path / "tr.jsonl.gz")
    assert [c.id for c in tr] == [c.id for c in cuts]
    assert max(c.duration for c in tr) == pytest.approx(1.5)
    run("subset", src, tmp_path / "a.jsonl.gz", "--first", 2)
    run("subset", src, tmp_path / "b.jsonl.gz", "--last", 3)
    run("cut", "append", tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz", tmp_path / "app.jsonl.gz")
    app = CutSet.from_file(tmp_path / "app.jsonl.gz")
    a, b = CutSet.from_file(tmp_path / "a.jsonl.gz"), CutSet.from_file(tmp_path / "b.jsonl.gz")
    assert len(app) == 2  # stops at the shorter input
    assert app[0].duration == pytest.approx(a[0].duration + b[0].duration)
    run("cut", "mix-sequential", tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz",
        tmp_path / "mix.jsonl.gz")
    mix = CutSet.from_file(tmp_path / "mix.jsonl.gz")
    assert [len(m.tracks) for m in mix] == [2, 2]
    assert mix[1].duration == pytest.approx(max(a[1].duration, b[1].duration))
    run("cut", "mix-by-recording-id", tmp_path / "a.jsonl.gz", src, tmp_path / "byrec.jsonl.gz")
    byrec = CutSet.from_file(tmp_path / "byrec.jsonl.gz")
    assert len(byrec) == len(cuts)
    assert sum(type(c).__name__ == "MixedCut" for c in byrec) == 2


def test_cut_decompose_and_describe(run, manifests, tmp_path):
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    run("cut", "decompose", manifests["cuts"], tmp_path / "dec")
    recs = RecordingSet.from_file(tmp_path / "dec" / "recordings.jsonl.gz")
    assert recs == RecordingSet.from_file(manifests["recordings"])
    sups = SupervisionSet.from_file(tmp_path / "dec" / "supervisions.jsonl.gz")
    assert len(sups) == 24
    res = run("cut", "describe", manifests["cuts"])
    assert "Cuts count" in res.output or "cuts" in res.output.lower()


def test_cut_simple_lazy_and_eager(run, manifests, tmp_path):
    from nuptse.cut import CutSet

    args = ("-r", manifests["recordings"], "-s", manifests["supervisions"])
    run("cut", "simple", tmp_path / "lazy.jsonl.gz", *args)
    run("cut", "simple", tmp_path / "eager.jsonl.gz", *args, "--force-eager")
    lazy, eager = (CutSet.from_file(tmp_path / f"{x}.jsonl.gz") for x in ("lazy", "eager"))
    assert [c.recording_id for c in lazy] == [c.recording_id for c in eager]
    assert [len(c.supervisions) for c in lazy] == [1] * 24


def test_feat_extract_cuts_and_shar_compute_features(run, manifests, tmp_path):
    from nuptse.cut import CutSet

    run("subset", manifests["cuts"], tmp_path / "few.jsonl.gz", "--first", 3)
    run("feat", "write-default-config", tmp_path / "fbank.yml", "-f", "kaldi-fbank")
    run("feat", "extract-cuts", tmp_path / "few.jsonl.gz", tmp_path / "withfeats.jsonl.gz",
        tmp_path / "feats", "-f", tmp_path / "fbank.yml", "--storage-type", "numpy_files")
    cuts = CutSet.from_file(tmp_path / "withfeats.jsonl.gz")
    assert all(c.has_features and c.features.storage_type == "numpy_files" for c in cuts)
    run("shar", "export", tmp_path / "few.jsonl.gz", tmp_path / "shar", "-a", "flac",
        "-s", 2, "--no-shuffle")
    run("shar", "compute-features", tmp_path / "shar", "-f", tmp_path / "fbank.yml",
        "-c", "numpy")
    assert sorted(p.name for p in (tmp_path / "shar").glob("features.*.tar")) == [
        "features.000000.tar",
        "features.000001.tar",
    ]
    shar_cuts = list(CutSet.from_shar(in_dir=tmp_path / "shar"))
    assert [c.id for c in shar_cuts] == [c.id for c in cuts]
    for a, b in zip(shar_cuts, cuts):
        assert abs(a.load_features() - b.load_features()).max() < 1e-4


def test_seed_makes_shuffles_repeatable(run, manifests, tmp_path):
    run("-s", 3, "split", 2, manifests["supervisions"], tmp_path / "a", "--shuffle")
    run("-s", 3, "split", 2, manifests["supervisions"], tmp_path / "b", "--shuffle")
    run("-s", 4, "split", 2, manifests["supervisions"], tmp_path / "c", "--shuffle")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b") != _tree(tmp_path / "c")


def test_prepare_commands_write_the_recipe_outputs(run, tmp_path):
    corpora = Path(__file__).resolve().parents[1] / "fixtures" / "corpora"
    shutil.copytree(corpora / "tedlium", tmp_path / "c")
    res = run("prepare", "tedlium", tmp_path / "c" / "TEDLIUM_release-3", tmp_path / "o",
              "-p", "dev", "-p", "test", "--normalize-text", "kaldi")
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "tedlium_recordings_dev.jsonl.gz",
        "tedlium_recordings_test.jsonl.gz",
        "tedlium_supervisions_dev.jsonl.gz",
        "tedlium_supervisions_test.jsonl.gz",
    ]
    assert "dev" in res.output and "supervisions" in res.output
    prepare_help = run("prepare", "--help").output
    for name in "librispeech musan yesno ljspeech aishell commonvoice voxceleb timit ami tedlium".split():
        assert f"  {name} " in prepare_help, name


def test_supervision_with_alignment_from_ctm_like_lhotse(run, lhotse_cli, manifests, tmp_path):
    from nuptse.supervision import SupervisionSet

    ctm = Path(__file__).resolve().parents[1] / "fixtures" / "mini_corpus" / "alignments"
    ctm = ctm / "mini_corpus.ctm"
    import dataclasses

    bare = SupervisionSet.from_items(
        dataclasses.replace(s, alignment=None)
        for s in SupervisionSet.from_file(manifests["supervisions"])
    )
    bare.to_file(tmp_path / "bare.jsonl.gz")
    args = ("--ctm-file", ctm, "--alignment-type", "ctm")
    run("supervision", "with-alignment-from-ctm", tmp_path / "bare.jsonl.gz",
        tmp_path / "ours.jsonl.gz", *args)
    lhotse_cli("supervision", "with-alignment-from-ctm", tmp_path / "bare.jsonl.gz",
               tmp_path / "theirs.jsonl.gz", *args)
    ours = _items(tmp_path / "ours.jsonl.gz")
    # lhotse writes them grouped by recording in its own order; compare by id.
    theirs = {s["id"]: s for s in _items(tmp_path / "theirs.jsonl.gz")}
    assert {s["id"]: s for s in ours} == theirs
    assert [s["id"] for s in ours] == [s.id for s in bare]
    assert all(s["alignment"]["ctm"] for s in ours)


def test_feat_extract_cuts_batch_equals_extract_cuts(run, manifests, tmp_path):
    from nuptse.cut import CutSet

    run("subset", manifests["cuts"], tmp_path / "few.jsonl.gz", "--first", 2)
    run("feat", "extract-cuts", tmp_path / "few.jsonl.gz", tmp_path / "a.jsonl.gz", tmp_path / "fa")
    run("feat", "extract-cuts-batch", tmp_path / "few.jsonl.gz", tmp_path / "b.jsonl.gz",
        tmp_path / "fb", "-j", 0)
    a, b = (CutSet.from_file(tmp_path / f"{x}.jsonl.gz") for x in "ab")
    for x, y in zip(a, b):
        assert abs(x.load_features() - y.load_features()).max() < 0.02


def test_list_backends(run):
    assert "default" in run("list-io-backends").output
    assert "default" in run("list-resampling-backends").output


@pytest.mark.parametrize("group", ["prepare", "download", "cut", "feat", "shar", "kaldi"])
def test_group_help_imports_no_library(group):
    """Subcommand modules import only click; the library loads when a command runs."""
    import subprocess
    import sys

    code = (
        "import sys; from nuptse.cli import main\n"
        f"try:\n    main([{group!r}, '--help'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in ('torch', 'numpy', 'soundfile', 'nuptse.audio', 'nuptse.cut')"
        " if m in sys.modules]\n"
        "assert not bad, bad"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Commands:" in proc.stdout


def test_feat_extract_writes_lhotse_layout(run, lhotse_cli, manifests, tmp_path, monkeypatch):
    """With the same storage backend, `feat extract` writes lhotse's files and features."""
    import numpy as np

    from nuptse.features import FeatureSet

    run("subset", manifests["recordings"], tmp_path / "r.jsonl.gz", "--first", 2)
    monkeypatch.setenv("NUPTSE_FEATURES_STORAGE_BACKEND", "numpy_files")  # lhotse's default
    run("feat", "extract", tmp_path / "r.jsonl.gz", tmp_path / "ours")
    lhotse_cli("feat", "extract", tmp_path / "r.jsonl.gz", tmp_path / "theirs")
    names = sorted(p.name for p in (tmp_path / "ours").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "theirs").iterdir())
    assert names == ["feature_manifest.json.gz", "storage"]
    ours = FeatureSet.from_file(tmp_path / "ours" / "feature_manifest.json.gz")
    theirs = FeatureSet.from_file(tmp_path / "theirs" / "feature_manifest.json.gz")
    for a, b in zip(ours, theirs):
        assert (a.type, a.num_frames, a.storage_type) == (b.type, b.num_frames, b.storage_type)
        np.testing.assert_allclose(a.load(), b.load(), atol=1e-3)
