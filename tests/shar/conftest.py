from __future__ import annotations

import pytest


@pytest.fixture
def in_fixtures(fixtures_dir, monkeypatch):
    """Run with the fixtures folder as working directory (manifest paths are relative to it)."""
    monkeypatch.chdir(fixtures_dir)
    return fixtures_dir


@pytest.fixture
def lhotse_cuts(in_fixtures):
    """The 24 MonoCuts lhotse wrote (16-bit FLAC audio, lilcom_chunky fbank features)."""
    from nuptse.cut import CutSet

    return CutSet.from_file("lhotse_written/cuts.jsonl.gz")

