"""Cut transforms on real cuts: mixing, concatenation, padding, perturbation; pickling."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest

from nuptse.cut import CutSet, MixedCut, PaddingCut
from nuptse.dataset import (
    CutConcatenate,
    CutMix,
    ExtraPadding,
    PerturbSpeed,
    PerturbTempo,
    PerturbVolume,
)
from nuptse.timing import compute_num_frames, compute_num_samples, perturb_num_samples


@pytest.fixture
def noise(cuts):
    first = next(iter(cuts))
    return CutSet.from_cuts([first.truncate(duration=1.5).with_id("noise-0")])


def test_cutmix_covers_each_cut_and_tags_noise(cuts, noise):
    out = CutMix(noise, snr=None, p=1.0, preserve_id=True, tag="noise")(cuts)
    longest = max(c.duration for c in cuts)
    for before, after in zip(cuts, out):
        assert isinstance(after, MixedCut)
        assert after.id == before.id
        assert after.duration == pytest.approx(longest)
        tags = [t.tag for t in after.tracks if not isinstance(t.cut, PaddingCut)]
        assert tags[0] is None and set(tags[1:]) == {"noise"}
        noise_time = sum(t.cut.duration for t in after.tracks if t.tag == "noise")
        assert noise_time == pytest.approx(longest, abs=1e-3)
    assert after.load_audio().shape[-1] == compute_num_samples(longest, 16000)


def test_cutmix_snr_changes_the_audio_and_state_advances(cuts, noise):
    mixer = CutMix(noise, snr=(10, 20), p=1.0, seed=0, pad_to_longest=False)
    first = list(mixer(cuts))
    second = list(mixer(cuts))
    assert [c.tracks[1].snr for c in first] != [c.tracks[1].snr for c in second]
    clean = next(iter(cuts)).load_audio()
    mixed = first[0].load_audio()
    assert mixed.shape == clean.shape and not np.array_equal(mixed, clean)


def test_cutmix_with_no_noise_is_identity(cuts):
    assert CutMix(CutSet.from_cuts([]))(cuts) is cuts


def test_concatenate_packs_short_cuts(cuts):
    out = list(CutConcatenate(gap=1.0, duration_factor=2.0)(cuts))
    # 16.04 s + 1 s + 10.51 s fits in 2 * 16.04 s; the 11.66 s cut then no longer fits.
    assert len(out) == 2
    assert sorted(round(c.duration, 2) for c in out) == [11.66, 27.55]
    assert sum(len(c.supervisions) for c in out) == 6


def test_extra_padding_frames_both_sides(cuts_with_feats):
    out = ExtraPadding(extra_frames=20)(cuts_with_feats)
    for before, after in zip(cuts_with_feats, out):
        assert after.tracks[0].cut.num_frames == 10 and after.tracks[-1].cut.num_frames == 10
        assert after.num_frames == before.num_frames + 20
        assert after.num_frames == compute_num_frames(after.duration, 0.01, 16000)


def test_extra_padding_needs_one_amount():
    with pytest.raises(ValueError):
        ExtraPadding(extra_frames=2, extra_samples=3)


def test_perturb_speed_durations_follow_timing(cuts):
    out = PerturbSpeed(factors=[1.1], p=1.0, randgen=random.Random(0))(cuts)
    for before, after in zip(cuts, out):
        assert after.num_samples == perturb_num_samples(before.num_samples, 1.1)
        assert after.id != before.id


def test_perturb_tempo_and_volume_preserve_ids(cuts):
    tempo = PerturbTempo(factors=[0.9], p=1.0, randgen=random.Random(0), preserve_id=True)(cuts)
    assert [c.id for c in tempo] == [c.id for c in cuts]
    vol = PerturbVolume(p=1.0, scale_low=0.5, scale_high=0.5, randgen=random.Random(0))(cuts)
    first, scaled = next(iter(cuts)), next(iter(vol))
    np.testing.assert_allclose(scaled.load_audio(), first.load_audio() * 0.5, atol=1e-6)


def test_transforms_pickle(noise):
    for t in (CutMix(noise), CutConcatenate(), ExtraPadding(extra_seconds=0.1),
              PerturbSpeed([0.9, 1.1], p=0.5), PerturbVolume(p=0.5)):
        assert type(pickle.loads(pickle.dumps(t))) is type(t)
