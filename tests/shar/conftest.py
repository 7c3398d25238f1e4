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


@pytest.fixture
def ready_decode_helper():
    """A started decode helper, parked so that the next ``decode_workers=1`` read takes it.

    A fresh helper needs about half a second to start, and reads finish
    faster than that on small test corpora (they decode in-process until a
    helper is ready), so tests that exercise the helper path start one first.
    """
    import time

    from nuptse.audio import offload

    if not offload.SUPPORTED:
        pytest.skip("helper processes need POSIX")
    helper = offload.acquire()
    end = time.monotonic() + 30
    while not helper.ready():
        if time.monotonic() > end:
            raise TimeoutError("decode process did not start")
        time.sleep(0.01)
    offload.release(helper)
    yield helper
    offload._stop_parked()
