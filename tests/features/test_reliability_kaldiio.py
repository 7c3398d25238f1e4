"""Kaldi feature entries that are shell pipelines run only with the allow_commands opt-in."""

import numpy as np
import pytest

from nuptse.audio import allow_commands
from nuptse.audio.errors import CommandNotAllowedError
from nuptse.features import Features

kaldiio = pytest.importorskip("kaldiio")


def _features(path, key):
    return Features(
        type="fbank",
        num_frames=3,
        num_features=2,
        frame_shift=0.01,
        sampling_rate=16000,
        start=0,
        duration=0.03,
        storage_type="kaldiio",
        storage_path=str(path),
        storage_key=key,
    )


@pytest.fixture
def ark(tmp_path):
    arr = np.arange(6, dtype=np.float32).reshape(3, 2)
    kaldiio.save_ark(str(tmp_path / "m.ark"), {"u1": arr}, scp=str(tmp_path / "plain.scp"))
    return tmp_path, arr


def test_pipeline_in_scp_is_refused_without_opt_in(ark, monkeypatch):
    tmp_path, arr = ark
    monkeypatch.delenv("NUPTSE_ALLOW_COMMANDS", raising=False)
    marker = tmp_path / "pwned"
    scp = tmp_path / "evil.scp"
    scp.write_text(f"u1 touch {marker}; cat {tmp_path / 'm.ark'} |\n")
    with pytest.raises(CommandNotAllowedError, match="u1"):
        _features(scp, "u1").load()
    assert not marker.exists()
    # plain entries still load
    np.testing.assert_array_equal(_features(tmp_path / "plain.scp", "u1").load(), arr)


def test_pipeline_rxspecifier_is_refused_without_opt_in(ark, monkeypatch):
    tmp_path, _ = ark
    monkeypatch.delenv("NUPTSE_ALLOW_COMMANDS", raising=False)
    marker = tmp_path / "pwned2"
    with pytest.raises(CommandNotAllowedError):
        _features(f"touch {marker} |", "u1").load()
    assert not marker.exists()


def test_pipeline_runs_with_opt_in(ark, monkeypatch):
    tmp_path, arr = ark
    monkeypatch.delenv("NUPTSE_ALLOW_COMMANDS", raising=False)
    scp = tmp_path / "piped.scp"
    # the ark starts with "u1 ": the matrix itself follows those 3 bytes
    scp.write_text(f"u1 tail -c +4 {tmp_path / 'm.ark'} |\n")
    with allow_commands():
        np.testing.assert_array_equal(_features(scp, "u1").load(), arr)
