"""Random chains of cut operations on real fixture audio keep exact sizes.

After any chain of truncate/pad/append/mix/perturb/resample/trim, every cut
must load exactly ``num_samples`` samples and ``num_frames`` frames, and
(when nothing asked to keep excessive supervisions) keep its supervisions
inside ``[0, duration]``.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nuptse.cut import MixedCut
from nuptse.timing import compute_num_frames, compute_num_samples

IDS = ["9001-500-0005-5", "9002-501-0005-13", "9003-502-0005-21", "9003-502-0002-18"]

op = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0.0, 0.6), st.floats(0.05, 2.0)),
    st.tuples(st.just("pad"), st.floats(0.0, 1.5), st.sampled_from(["right", "left", "both"])),
    st.tuples(st.just("pad_frames"), st.integers(0, 80), st.just(None)),
    st.tuples(st.just("append"), st.sampled_from(IDS), st.just(None)),
    st.tuples(st.just("mix"), st.sampled_from(IDS), st.floats(0.0, 1.0)),
    st.tuples(st.just("speed"), st.sampled_from([0.9, 1.1]), st.just(None)),
    st.tuples(st.just("volume"), st.sampled_from([0.5, 2.0]), st.just(None)),
    st.tuples(st.just("resample"), st.sampled_from([8000, 16000]), st.just(None)),
)


def _apply(cut, step, pool):
    name, a, b = step
    if name == "truncate":
        if a >= cut.duration - 0.01:
            return cut
        return cut.truncate(offset=a, duration=b, keep_excessive_supervisions=False)
    if name == "pad":
        return cut.pad(duration=cut.duration + a, direction=b)
    if name == "pad_frames":
        if not cut.has_features:
            return cut
        return cut.pad(num_frames=cut.num_frames + a)
    other = pool[a] if name in ("append", "mix") else None
    if other is not None:
        if other.sampling_rate != cut.sampling_rate:
            other = other.resample(cut.sampling_rate)
        if cut.has_features != other.has_features:
            cut, other = cut.drop_features(), other.drop_features()
    if name == "append":
        return cut.append(other)
    if name == "mix":
        return cut.mix(other, offset_other_by=round(min(b, cut.duration), 4), snr=10)
    if name == "speed":
        return cut.perturb_speed(a)
    if name == "volume":
        return cut.perturb_volume(a)
    if name == "resample":
        return cut.resample(a)
    raise AssertionError(name)


def _check(cut):
    sr = cut.sampling_rate
    assert cut.num_samples == compute_num_samples(cut.duration, sr)
    audio = cut.load_audio()
    assert audio.shape[-1] == cut.num_samples
    assert np.isfinite(audio).all()
    if cut.has_features:
        feats = cut.load_features()
        assert feats.shape[0] == cut.num_frames
        assert cut.num_frames == compute_num_frames(cut.duration, cut.frame_shift, sr)
    tol = 2.0 / sr + 1e-6
    for s in cut.supervisions:
        assert s.start >= -tol, (cut.id, s)
        assert s.start + s.duration <= cut.duration + tol, (cut.id, s, cut.duration)


@pytest.fixture(scope="module")
def pool(fixture_cuts):
    return {i: fixture_cuts[i] for i in IDS}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(start=st.sampled_from(IDS), steps=st.lists(op, min_size=1, max_size=4))
def test_random_chains_keep_exact_sizes(pool, start, steps):
    cut = pool[start]
    for step in steps:
        cut = _apply(cut, step, pool)
        _check(cut)
    # trimming and windowing the result keeps the sizes exact too
    if cut.supervisions and not isinstance(cut, MixedCut):
        for piece in cut.trim_to_supervisions(keep_overlapping=False):
            _check(piece)
    for piece in cut.cut_into_windows(0.7):
        assert piece.duration <= 0.7 + 1e-9
        assert piece.load_audio().shape[-1] == piece.num_samples
        if piece.has_features:
            assert piece.load_features().shape[0] == piece.num_frames
