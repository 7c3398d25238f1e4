"""``nuptse cut``: wrong manifest kinds and colliding output ids fail with a message naming them."""

from click.testing import CliRunner

from nuptse import CutSet, RecordingSet, SupervisionSet
from nuptse.cli import cli

LW = "lhotse_written"


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_simple_with_supervisions_given_as_recordings(fixtures_dir, tmp_path):
    sups = fixtures_dir / LW / "supervisions.jsonl.gz"
    result = _run("cut", "simple", tmp_path / "c.jsonl.gz", "-r", sups)
    assert result.exit_code != 0
    assert "--recording-manifest" in result.output and "SupervisionSet" in result.output
    assert not (tmp_path / "c.jsonl.gz").exists()


def test_simple_with_recordings_given_as_supervisions(fixtures_dir, tmp_path):
    recs = fixtures_dir / LW / "recordings.jsonl.gz"
    result = _run("cut", "simple", tmp_path / "c.jsonl.gz", "-r", recs, "-s", recs)
    assert result.exit_code != 0
    assert "--supervision-manifest" in result.output and "RecordingSet" in result.output


def test_trim_to_supervisions_of_windows_refuses_to_drop_duplicates(fixtures_dir, tmp_path):
    recs = RecordingSet.from_file(fixtures_dir / LW / "recordings.jsonl.gz")
    sups = SupervisionSet.from_file(fixtures_dir / LW / "supervisions.jsonl.gz")
    cuts = CutSet.from_manifests(recordings=recs, supervisions=sups)
    windows = cuts.cut_into_windows(duration=1.0)
    long_sup = next(s for c in cuts for s in c.supervisions if s.duration > 1.5)
    assert sum(long_sup.id in {s.id for s in w.supervisions} for w in windows) > 1
    windows.to_file(tmp_path / "w.jsonl.gz")
    result = _run(
        "cut",
        "trim-to-supervisions",
        tmp_path / "w.jsonl.gz",
        tmp_path / "t.jsonl.gz",
        "--keep-all-channels",
    )
    assert result.exit_code != 0
    assert "two output cuts have the id" in result.output
    assert not (tmp_path / "t.jsonl.gz").exists()  # nothing published
