"""Property tests: the time module's conversions agree with each other and with Kaldi."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from nuptse import timing

RATES = st.sampled_from([8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 96000])


@given(n=st.integers(0, 10**9), sr=RATES)
def test_samples_seconds_samples_is_identity(n, sr):
    assert timing.compute_num_samples(timing.samples_to_seconds(n, sr), sr) == n


@given(n=st.integers(0, 10**7), sr=st.integers(1, 10**7))
def test_identity_for_any_rate(n, sr):
    assert timing.compute_num_samples(n / sr, sr) == n


@given(d=st.floats(0, 10**5, allow_nan=False), sr=RATES)
def test_seconds_to_samples_rounds_to_nearest(d, sr):
    n = timing.compute_num_samples(d, sr)
    assert abs(n - d * sr) <= 0.5 + 1e-6 * max(1.0, d * sr)


@given(d=st.floats(0, 10**4, allow_nan=False), sr=RATES)
def test_snap_is_idempotent(d, sr):
    once = timing.snap_to_samples(d, sr)
    assert timing.snap_to_samples(once, sr) == once


def _kaldi_reference(num_samples: int, win: int, shift: int, snip_edges: bool) -> int:
    """Kaldi's feature-window.cc NumFrames, written independently with numpy."""
    if snip_edges:
        return 0 if num_samples < win else int(np.floor((num_samples - win) / shift)) + 1
    return int(np.floor((num_samples + shift / 2) / shift))


@given(
    n=st.integers(0, 10**6),
    win=st.integers(1, 2048),
    shift=st.integers(1, 1024),
    snip=st.booleans(),
)
def test_kaldi_num_frames(n, win, shift, snip):
    assert timing.kaldi_num_frames(n, win, shift, snip) == _kaldi_reference(n, win, shift, snip)


@given(d=st.floats(0, 3600, allow_nan=False), sr=st.sampled_from([8000, 16000, 22050, 48000]))
def test_compute_num_frames_is_kaldi_count_of_the_sample_count(d, sr):
    shift = 0.01
    n = timing.compute_num_samples(d, sr)
    hop = timing.compute_num_samples(shift, sr)
    assert timing.compute_num_frames(d, shift, sr) == _kaldi_reference(n, 1, hop, False)


@given(n=st.integers(1, 10**7), f=st.sampled_from([0.8, 0.9, 1.1, 1.2, 0.95, 1.05]))
def test_perturb_num_samples_is_nearest(n, f):
    out = timing.perturb_num_samples(n, f)
    assert abs(out - n / f) <= 0.5 + 1e-9 * n


@given(n=st.integers(0, 10**7), a=RATES, b=RATES)
def test_resampled_num_samples(n, a, b):
    assert timing.resampled_num_samples(n, a, b) == math.ceil(n * b / a)


@given(st.lists(st.floats(0, 100, allow_nan=False), max_size=20))
def test_add_durations_is_exact_in_samples(durs):
    total = timing.add_durations(*durs, sampling_rate=16000)
    assert timing.compute_num_samples(total, 16000) == sum(
        timing.compute_num_samples(d, 16000) for d in durs
    )


def test_known_values():
    assert timing.compute_num_samples(0.1, 16000) == 1600
    assert timing.compute_num_samples(2.376, 48000) == 114048
    assert timing.seconds_to_frames(1.0, 0.01) == 100


@given(
    st.one_of(
        st.floats(-1e9, 1e9, allow_nan=False),
        st.integers(-(10**6), 10**6).map(lambda k: k + 0.5),
        st.integers(0, 10**7).map(lambda n: n / 16000 * 16000),
        st.integers(0, 10**8).map(lambda n: n / 1e8),
        # just below, at and above halves, where rounding to 8 decimals matters
        st.tuples(st.integers(0, 10**9), st.floats(-3e-8, 3e-8)).map(lambda t: t[0] + 0.5 + t[1]),
        st.floats(1e12, 9e15, allow_nan=False),  # below 2**53 repr() is exact for integers
    )
)
def test_fast_rounding_equals_decimal_definition(x):
    assert timing._round_half_up(x) == timing._round_half_up_decimal(x)
