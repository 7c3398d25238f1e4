"""Wrong field types and ranges are refused with a message naming the item and the field."""

import json

import pytest
from click.testing import CliRunner

from nuptse import AudioSource, Recording, RecordingSet, SupervisionSegment, SupervisionSet
from nuptse.cli import cli
from nuptse.qa import ManifestValidationError, validate


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


GOOD_SUP = {"id": "s0", "recording_id": "r", "start": 0.0, "duration": 1.0}


@pytest.mark.parametrize(
    "change,field",
    [
        ({"duration": "0.5"}, "duration"),
        ({"start": "0"}, "start"),
        ({"channel": "x"}, "channel"),
        ({"channel": 1.5}, "channel"),
        ({"channel": [0, "a"]}, "channel"),
    ],
)
def test_supervision_fields_are_checked_on_read(tmp_path, change, field):
    bad = dict(GOOD_SUP, id="bad-one", **change)
    path = _write(tmp_path / "s.jsonl", [GOOD_SUP, bad])
    with pytest.raises(ValueError) as err:
        list(SupervisionSet.from_file(path))
    msg = str(err.value)
    assert "bad-one" in msg and repr(field) in msg and "line 2" in msg


def _rec(fixtures_dir, **change):
    d = {
        "id": "r",
        "sources": [{"type": "file", "channels": [0], "source": str(fixtures_dir / "mono_c0.wav")}],
        "sampling_rate": 8000,
        "num_samples": 4000,
        "duration": 0.5,
    }
    d.update(change)
    return d


@pytest.mark.parametrize(
    "change,needle",
    [
        ({"sampling_rate": 0}, "'sampling_rate'"),
        ({"duration": "0.5"}, "'duration'"),
        ({"sampling_rate": 16000, "num_samples": 8000}, "16000 Hz"),
    ],
)
def test_validate_names_the_field(fixtures_dir, change, needle):
    # Built directly (from_dict refuses these already): validate must report them too.
    d = _rec(fixtures_dir, **change)
    d["sources"] = [AudioSource.from_dict(x) for x in d["sources"]]
    recs = RecordingSet.from_recordings([Recording(**d)])
    with pytest.raises(ManifestValidationError, match=needle):
        validate(recs, read_data=True)


def test_validate_reports_declared_rate_mismatch(fixtures_dir):
    # The file is 8 kHz; a manifest claiming 16 kHz would load resampled audio silently.
    rec = Recording.from_dict(
        _rec(fixtures_dir, sampling_rate=16000, num_samples=8000, duration=0.5)
    )
    report = validate(RecordingSet.from_recordings([rec]), read_data=True, raise_on_error=False)
    assert any("8000 Hz" in p.message and "16000 Hz" in p.message for p in report.problems)


def test_validate_supervision_types_report_all(tmp_path):
    sups = SupervisionSet.from_segments(
        [SupervisionSegment(id="a", recording_id="r", start="0", duration="1")]
    )
    report = validate(sups, raise_on_error=False)
    text = str(report)
    assert "'start'" in text and "'duration'" in text


@pytest.mark.parametrize(
    "args,needle",
    [
        (["kaldi", "import", "{dir}", "-8000", "{out}"], "SAMPLING_RATE"),
        (["kaldi", "import", "{dir}", "0", "{out}"], "SAMPLING_RATE"),
        (["kaldi", "import", "{dir}", "16000", "{out}", "-j", "0"], "--num-jobs"),
    ],
)
def test_cli_rejects_bad_numbers_naming_the_option(fixtures_dir, tmp_path, args, needle):
    argv = [a.format(dir=fixtures_dir / "mini_librispeech", out=tmp_path / "o") for a in args]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code != 0
    assert needle in result.output


@pytest.mark.parametrize(
    "change,field",
    [
        ({"sampling_rate": 8000.5}, "sampling_rate"),
        ({"num_samples": 4000.5}, "num_samples"),
        ({"sampling_rate": 0}, "sampling_rate"),
        ({"duration": "0.5"}, "duration"),
    ],
)
def test_recording_fields_are_checked_on_read(fixtures_dir, change, field):
    with pytest.raises(ValueError, match=f"'r'.*'{field}'"):
        Recording.from_dict(_rec(fixtures_dir, **change))


def test_recording_channel_must_be_a_number(fixtures_dir):
    d = _rec(fixtures_dir)
    d["sources"][0]["channels"] = ["x"]
    with pytest.raises(ValueError, match="channels"):
        Recording.from_dict(d)


@pytest.mark.parametrize(
    "change,field",
    [({"duration": "3.0"}, "duration"), ({"start": "0"}, "start"), ({"channel": "x"}, "channel")],
)
def test_cut_fields_are_checked_on_read(fixtures_dir, tmp_path, change, field):
    from nuptse import CutSet

    cut = next(iter(CutSet.from_file(fixtures_dir / "lhotse_written" / "cuts.jsonl.gz")))
    path = _write(tmp_path / "c.jsonl", [dict(cut.to_dict(), id="bad-cut", **change)])
    with pytest.raises(ValueError) as err:
        list(CutSet.from_file(path))
    assert "bad-cut" in str(err.value) and repr(field) in str(err.value)
