"""Global feature statistics against numpy, per-shard merging, lhotse's file format."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nuptse.features.stats import (
    StatsAccumulator,
    compute_global_stats_from_arrays,
    load_stats,
)


def numpy_stats(arrays):
    whole = np.concatenate([np.asarray(a, dtype=np.float64) for a in arrays], axis=0)
    return whole.mean(axis=0), whole.std(axis=0)


def test_matches_numpy_on_fbank_like_matrices():
    rng = np.random.default_rng(0)
    arrays = [(rng.standard_normal((n, 80)) * 3 - 10).astype(np.float32) for n in (1, 7, 300, 1000)]
    stats = compute_global_stats_from_arrays(arrays)
    mean, std = numpy_stats(arrays)
    assert stats["norm_means"].dtype == np.float64 and stats["norm_means"].shape == (80,)
    np.testing.assert_allclose(stats["norm_means"], mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(stats["norm_stds"], std, rtol=1e-10)


def test_real_features_from_fixtures(fixtures_dir):
    exp = fixtures_dir / "lhotse_written" / "expected_features"
    arrays = [np.load(exp / f"numpy_files-{u}.npy") for u in ("9001-500-0005", "9002-501-0005")]
    acc = StatsAccumulator(80)
    for a in arrays:
        acc.update(a)
    mean, std = numpy_stats(arrays)
    np.testing.assert_allclose(acc.norm_means, mean, rtol=1e-12)
    np.testing.assert_allclose(acc.norm_stds, std, rtol=1e-10)
    assert acc.total_frames == 123 + 124


def test_stable_with_large_offset():
    # E[x^2] - E[x]^2 loses every digit here; the pairwise update does not.
    rng = np.random.default_rng(1)
    arrays = [1e8 + rng.standard_normal((500, 4)) for _ in range(20)]
    stats = compute_global_stats_from_arrays(arrays)
    _, std = numpy_stats(arrays)
    np.testing.assert_allclose(stats["norm_stds"], std, rtol=1e-6)


def test_constant_bins_have_zero_std():
    stats = compute_global_stats_from_arrays([np.full((10, 3), -23.0), np.full((5, 3), -23.0)])
    np.testing.assert_array_equal(stats["norm_stds"], 0.0)
    np.testing.assert_array_equal(stats["norm_means"], -23.0)


def test_matches_lhotse_accumulator():
    base = pytest.importorskip("lhotse.features.base")
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((n, 13)).astype(np.float32) * 5 for n in (50, 3, 400)]
    theirs = base.StatsAccumulator(13)
    ours = StatsAccumulator(13)
    for a in arrays:
        theirs.update(a)
        ours.update(a)
    for k, v in theirs.get().items():
        np.testing.assert_allclose(ours.get()[k], v, rtol=1e-10)
    np.testing.assert_allclose(ours.total_sum, theirs.total_sum, rtol=1e-12)
    np.testing.assert_allclose(ours.total_unnorm_var, theirs.total_unnorm_var, rtol=1e-10)
    assert ours.total_frames == theirs.total_frames


def test_storage_path_is_a_pickled_dict_like_lhotse(tmp_path):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((20, 5)) for _ in range(3)]
    path = tmp_path / "stats.pkl"
    stats = compute_global_stats_from_arrays(iter(arrays), storage_path=path)
    with open(path, "rb") as f:
        loaded = pickle.load(f)
    assert set(loaded) == {"norm_means", "norm_stds"}
    for k in loaded:
        assert isinstance(loaded[k], np.ndarray) and loaded[k].dtype == np.float64
        np.testing.assert_array_equal(loaded[k], stats[k])
    np.testing.assert_array_equal(load_stats(path)["norm_stds"], stats["norm_stds"])
    assert [p.name for p in tmp_path.iterdir()] == ["stats.pkl"]


def test_lhotse_stats_file_loads(tmp_path):
    base = pytest.importorskip("lhotse.features.base")
    acc = base.StatsAccumulator(4)
    acc.update(np.arange(40, dtype=np.float64).reshape(10, 4))
    with open(tmp_path / "l.pkl", "wb") as f:
        pickle.dump(acc.get(), f)
    np.testing.assert_allclose(load_stats(tmp_path / "l.pkl")["norm_means"], acc.norm_means)


def test_errors():
    acc = StatsAccumulator(3)
    with pytest.raises(ValueError, match="no frames"):
        acc.get()
    with pytest.raises(ValueError, match=r"\(frames, 3\).*\(4, 2\)"):
        acc.update(np.zeros((4, 2)))
    acc.update(np.zeros((0, 3)))  # empty updates are fine
    assert acc.total_frames == 0
    with pytest.raises(ValueError, match="dimension 2 into 3"):
        acc.merge(StatsAccumulator(2))
    with pytest.raises(ValueError, match="no arrays"):
        compute_global_stats_from_arrays([])
    with pytest.raises(ValueError, match="array #1"):
        compute_global_stats_from_arrays([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match="positive"):
        StatsAccumulator(0)


matrices = st.lists(
    st.tuples(
        st.integers(0, 40),  # frames
        st.integers(0, 2**32 - 1),  # seed
        st.floats(1e-3, 1e3),  # scale
        st.floats(-1e4, 1e4),  # offset
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(specs=matrices, cuts=st.lists(st.integers(0, 8), max_size=4))
def test_merged_shards_equal_whole_set(specs, cuts):
    arrays = [
        np.random.default_rng(seed).standard_normal((n, 3)) * scale + offset
        for n, seed, scale, offset in specs
    ]
    if sum(a.shape[0] for a in arrays) == 0:
        return
    bounds = sorted({0, len(arrays), *[min(c, len(arrays)) for c in cuts]})
    shards = []
    for lo, hi in zip(bounds, bounds[1:]):
        acc = StatsAccumulator(3)
        for a in arrays[lo:hi]:
            acc.update(a)
        shards.append(acc)
    merged = StatsAccumulator(3)
    for s in shards:
        merged.merge(s)
    whole = StatsAccumulator(3)
    for a in arrays:
        whole.update(a)
    mean, std = numpy_stats(arrays)
    scale = np.abs(mean) + std + 1e-300
    assert merged.total_frames == whole.total_frames
    for acc in (merged, whole, sum(shards[1:], shards[0])):
        np.testing.assert_allclose(acc.norm_means, mean, rtol=0, atol=1e-12 * scale.max())
        np.testing.assert_allclose(acc.norm_stds, std, rtol=1e-9, atol=1e-11 * scale.max())
