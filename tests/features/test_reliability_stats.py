"""load_stats never runs code from a file unless told to; npz and JSON round trips."""

import pickle

import numpy as np
import pytest

from nuptse.features.stats import UnsafeStatsFileError, load_stats, save_stats


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _stats():
    return {"norm_means": np.array([1.0, -2.5]), "norm_stds": np.array([0.5, 3.0])}


def test_crafted_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "stats.pkl"
    with open(path, "wb") as f:
        pickle.dump({"norm_means": _Payload(marker), "norm_stds": np.zeros(2)}, f)
    with pytest.raises(UnsafeStatsFileError, match="stats.pkl"):
        load_stats(path)
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_plain_array_pickles_load_safely(tmp_path, protocol):
    path = tmp_path / "stats.pkl"
    with open(path, "wb") as f:
        pickle.dump(_stats(), f, protocol=protocol)
    out = load_stats(path)
    for k, v in _stats().items():
        np.testing.assert_array_equal(out[k], v)


@pytest.mark.parametrize("name", ["stats.npz", "stats.json"])
def test_safe_formats_round_trip(tmp_path, name):
    save_stats(_stats(), tmp_path / name)
    out = load_stats(tmp_path / name)
    for k, v in _stats().items():
        np.testing.assert_array_equal(out[k], v)
    if name.endswith(".npz"):
        assert (tmp_path / name).read_bytes()[:2] == b"PK"
