"""``nuptse cut estimate-bucket-bins`` prints the same bins as lhotse's command."""

from __future__ import annotations

import ast

import pytest
from click.testing import CliRunner

from nuptse.cli import cli

from .conftest import make_cuts


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".json"])
def test_estimate_bucket_bins(suffix, tmp_path):
    cuts = make_cuts(200)
    path = tmp_path / f"cuts{suffix}"
    cuts.to_file(path)
    out = CliRunner().invoke(cli, ["cut", "estimate-bucket-bins", "-b", "5", str(path)])
    assert out.exit_code == 0, out.output
    bins = ast.literal_eval(out.output.strip())
    # hand-computed reference: walk the sorted durations, close a bucket past total/5
    durs = sorted(c.duration for c in cuts)
    expected, acc = [], 0.0
    for d in durs:
        if acc > sum(durs) / 5:
            expected.append(d)
            acc = 0.0
        acc += d
    assert bins == pytest.approx(expected)
    sample = CliRunner().invoke(cli, ["cut", "estimate-bucket-bins", "-b", "2", "-s", "10", str(path)])
    assert len(ast.literal_eval(sample.output.strip())) == 1
