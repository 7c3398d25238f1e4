"""SpecAugment, time warping, GlobalMVN and RandomizedSmoothing on real features."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nuptse.dataset import GlobalMVN, RandomizedSmoothing, SpecAugment
from nuptse.dataset.collation import collate_features
from nuptse.dataset.signal_transforms import schedule_value_for_step, time_warp


@pytest.fixture
def feats(cuts_with_feats):
    feats, _ = collate_features(cuts_with_feats)
    return feats


def test_specaugment_p0_is_identity_and_p1_masks_with_the_mean(feats):
    torch.manual_seed(0)
    assert torch.equal(SpecAugment(p=0.0)(feats), feats)
    aug = SpecAugment(p=1.0, time_warp_factor=None, num_frame_masks=1, frames_mask_size=50,
                      num_feature_masks=2, features_mask_size=10)(feats)
    assert aug.shape == feats.shape
    for i in range(feats.shape[0]):
        changed = aug[i] != feats[i]
        assert changed.any()
        # every changed value is the example's mean
        mean = feats[i].mean()
        torch.testing.assert_close(aug[i][changed], mean.expand(int(changed.sum())))
        # feature masks are whole columns (< 10 wide each), time masks whole rows
        cols = changed.all(dim=0).sum()
        assert cols <= 2 * 9


def test_specaugment_time_mask_budget(feats):
    torch.manual_seed(1)
    aug = SpecAugment(p=1.0, time_warp_factor=None, num_feature_masks=0, num_frame_masks=10,
                      frames_mask_size=100, max_frames_mask_fraction=0.15)(feats)
    masked_rows = (aug != feats).all(dim=2).sum(dim=1)
    assert (masked_rows <= int(0.15 * feats.shape[1])).all()


def test_specaugment_is_reproducible_with_torch_seed(feats):
    torch.manual_seed(5)
    a = SpecAugment(p=1.0)(feats)
    torch.manual_seed(5)
    b = SpecAugment(p=1.0)(feats)
    assert torch.equal(a, b)


def test_specaugment_needs_a_batch(feats):
    with pytest.raises(AssertionError):
        SpecAugment()(feats[0])


def test_specaugment_state_dict_round_trip():
    src = SpecAugment(time_warp_factor=40, num_feature_masks=1, p=0.3)
    dst = SpecAugment()
    dst.load_state_dict(src.state_dict())
    assert dst.state_dict() == src.state_dict()


def test_time_warp_keeps_shape(feats):
    torch.manual_seed(0)
    x = feats[0]
    warped = time_warp(x, factor=80)
    assert warped.shape == x.shape
    assert not torch.equal(warped, x)
    # a resampling of the rows: values stay within the input's range (bicubic overshoot aside)
    assert warped.min() > x.min() - 1.0 and warped.max() < x.max() + 1.0
    short = x[:100]
    assert torch.equal(time_warp(short, factor=80), short)


def test_global_mvn_matches_numpy_statistics(cuts_with_feats, feats):
    mvn = GlobalMVN.from_cuts(cuts_with_feats)
    stacked = np.concatenate([c.load_features() for c in cuts_with_feats]).astype(np.float64)
    np.testing.assert_allclose(mvn.norm_means.numpy(), stacked.mean(axis=0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(mvn.norm_stds.numpy(), stacked.std(axis=0), rtol=1e-3, atol=1e-4)
    out = mvn(feats)
    torch.testing.assert_close(mvn.inverse(out), feats, atol=1e-4, rtol=1e-5)


def test_global_mvn_file_round_trip(cuts_with_feats, tmp_path):
    mvn = GlobalMVN.from_cuts(cuts_with_feats)
    mvn.to_file(tmp_path / "stats.pt")
    again = GlobalMVN.from_file(tmp_path / "stats.pt")
    assert torch.equal(again.norm_means, mvn.norm_means) and torch.equal(again.norm_stds, mvn.norm_stds)


def test_randomized_smoothing_noise_and_clipping():
    torch.manual_seed(0)
    audio = torch.zeros(32, 4000)
    out = RandomizedSmoothing(sigma=0.1, sample_sigma=False, p=1.0)(audio)
    assert 0.08 < float(out.std()) < 0.12
    assert out.abs().max() <= 1.0
    loud = RandomizedSmoothing(sigma=5.0, p=1.0)(torch.zeros(4, 1000))
    assert loud.abs().max() == 1.0
    assert torch.equal(RandomizedSmoothing(p=0.0)(audio), audio)


def test_schedule():
    assert schedule_value_for_step([(0, 0.1), (100, 0.5)], 99) == 0.1
    assert schedule_value_for_step([(0, 0.1), (100, 0.5)], 100) == 0.5
    with pytest.raises(ValueError):
        schedule_value_for_step([(10, 0.1)], 0)


def test_global_mvn_from_compute_global_stats_file(cuts_with_feats, tmp_path):
    from nuptse.features import compute_global_stats

    path = tmp_path / "stats.pkl"
    stats = compute_global_stats([c.features for c in cuts_with_feats], storage_path=path)
    mvn = GlobalMVN.from_file(path)
    np.testing.assert_allclose(mvn.norm_means.numpy(), stats["norm_means"], rtol=1e-6)
    np.testing.assert_allclose(mvn.norm_stds.numpy(), stats["norm_stds"], rtol=1e-6)
