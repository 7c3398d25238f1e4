"""The one place where seconds, sample counts and frame counts meet.

Every other module converts time through these functions, so a cut, a
supervision and a feature matrix that describe the same span always agree on
its length.  The rules:

* Seconds -> samples rounds half up, after first rounding the product to 8
  decimals (so ``0.1 * 16000`` is 1600, not 1599.9999999999998 -> 1599).
* Samples -> seconds is a plain division; converting back gives the same
  sample count for every rate up to at least 10 MHz.
* Frames follow lhotse's convention for the frame count of a duration
  (``(num_samples + hop // 2) // hop``, i.e. Kaldi's ``snip_edges=False``)
  and Kaldi's formulas for both ``snip_edges`` settings of a signal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

Seconds = float

#: Tolerance used when comparing two durations (half a sample at 16 kHz is 3e-5).
DURATION_TOLERANCE = 1e-3


def _round_half_up(value: float) -> int:
    """Round to the nearest integer, halves away from zero, after rounding to 8 decimals.

    Equal to ``Decimal(repr(round(value, 8))).quantize(0, ROUND_HALF_UP)``
    (tested), at a fraction of its cost: this runs for every cut and supervision.
    """
    if value >= 0.0:
        # Rounding to 8 decimals moves ``value`` by at most 5e-9 plus half an
        # ulp, and never across a half (halves are multiples of 1e-8; the
        # rounding is monotonic).  So it can only matter just below a half:
        # elsewhere the answer is floor or floor + 1 without it (~10x cheaper).
        if value >= 4503599627370496.0:  # 2**52: every float from here is an integer
            return int(value)
        whole = math.floor(value)
        frac = value - whole  # exact
        if frac > 0.5:
            return whole + 1
        if frac < 0.5 - 1e-8 - 2.0 * math.ulp(value):
            return whole
    elif value <= -4503599627370496.0:
        return int(value)
    v = round(value, 8)
    if v >= 0:
        return int(math.floor(v + 0.5))
    return -int(math.floor(-v + 0.5))


def _round_half_up_decimal(value: float) -> int:
    """The reference definition of :func:`_round_half_up` (slow; used in tests)."""
    return int(Decimal(repr(round(value, 8))).quantize(0, rounding=ROUND_HALF_UP))


def compute_num_samples(duration: Seconds, sampling_rate: int | float) -> int:
    """Number of samples that ``duration`` seconds span at ``sampling_rate``.

    >>> compute_num_samples(0.1, 16000)
    1600
    >>> compute_num_samples(1.5396, 22050)
    33948
    """
    return _round_half_up(duration * sampling_rate)


def samples_to_seconds(num_samples: int, sampling_rate: int | float) -> Seconds:
    """Duration in seconds of ``num_samples`` samples.

    >>> samples_to_seconds(33949, 22050)
    1.5396371882086168
    """
    return num_samples / sampling_rate


def seconds_to_samples(duration: Seconds, sampling_rate: int | float) -> int:
    """Alias of :func:`compute_num_samples`, named for symmetry."""
    return compute_num_samples(duration, sampling_rate)


def snap_to_samples(duration: Seconds, sampling_rate: int | float) -> Seconds:
    """The duration that an exact number of samples at ``sampling_rate`` spans."""
    return samples_to_seconds(compute_num_samples(duration, sampling_rate), sampling_rate)


def compute_num_frames(duration: Seconds, frame_shift: Seconds, sampling_rate: int) -> int:
    """Number of feature frames for ``duration`` seconds (lhotse's convention).

    The duration is first converted to samples and the hop to samples, then
    ``(num_samples + hop // 2) // hop``: Kaldi's count for ``snip_edges=False``.

    >>> compute_num_frames(1.0, 0.01, 16000)
    100
    >>> compute_num_frames(1.2290625, 0.01, 16000)
    123
    """
    num_samples = compute_num_samples(duration, sampling_rate)
    return compute_num_frames_from_samples(num_samples, frame_shift, sampling_rate)


def compute_num_frames_from_samples(
    num_samples: int, frame_shift: Seconds, sampling_rate: int
) -> int:
    """Frame count (``snip_edges=False`` convention) of a signal of ``num_samples``."""
    hop = compute_num_samples(frame_shift, sampling_rate)
    return int((num_samples + hop // 2) // hop)


def seconds_to_frames(time: Seconds, frame_shift: Seconds, round_fn=round) -> int:
    """Index of the frame that contains ``time`` (rounded with ``round_fn``).

    Used to slice stored feature matrices: ``frames[seconds_to_frames(start):...]``.

    >>> seconds_to_frames(0.0349, 0.01)
    3
    """
    return int(round_fn(round(time / frame_shift, 8)))


def frames_to_seconds(num_frames: int, frame_shift: Seconds) -> Seconds:
    """Duration covered by ``num_frames`` frames at ``frame_shift``."""
    return round(num_frames * frame_shift, 8)


def kaldi_num_frames(
    num_samples: int, window_length: int, window_shift: int, snip_edges: bool
) -> int:
    """Kaldi's ``NumFrames``: frames a signal of ``num_samples`` yields.

    With ``snip_edges=True`` only frames that fit entirely are kept;
    otherwise the count is ``(num_samples + shift // 2) // shift``.

    >>> kaldi_num_frames(16000, 400, 160, snip_edges=True)
    98
    >>> kaldi_num_frames(16000, 400, 160, snip_edges=False)
    100
    """
    if snip_edges:
        if num_samples < window_length:
            return 0
        return 1 + (num_samples - window_length) // window_shift
    return (num_samples + window_shift // 2) // window_shift


def perturb_num_samples(num_samples: int, factor: float) -> int:
    """Sample count after speed or tempo perturbation by ``factor`` (half up).

    >>> perturb_num_samples(16251, 1.1)
    14774
    """
    return _round_half_up(num_samples / factor)


def resampled_num_samples(num_samples: int, old_rate: int, new_rate: int) -> int:
    """Sample count after resampling from ``old_rate`` to ``new_rate`` (ceil).

    Resampling keeps every input sample's time span, so a partial output
    sample at the end is kept: ``ceil(num_samples * new_rate / old_rate)``.

    >>> resampled_num_samples(32447, 16000, 8000)
    16224
    """
    return math.ceil(num_samples * new_rate / old_rate)


def speed_sampling_rate(sampling_rate: int, factor: float) -> int:
    """The rate the signal is treated as having for speed perturbation."""
    return _round_half_up(sampling_rate * factor)


def add_durations(*durations: Seconds, sampling_rate: int) -> Seconds:
    """Sum durations exactly by summing their sample counts.

    >>> add_durations(0.1, 0.2, sampling_rate=16000)
    0.3
    """
    total = sum(compute_num_samples(d, sampling_rate) for d in durations)
    return samples_to_seconds(total, sampling_rate)


def duration_sum(durations: Iterable[Seconds], sampling_rate: int) -> Seconds:
    """:func:`add_durations` over an iterable."""
    return add_durations(*durations, sampling_rate=sampling_rate)


def time_diff_samples(end: Seconds, start: Seconds, sampling_rate: int) -> int:
    """Samples between two time points, computed without float drift."""
    return compute_num_samples(end, sampling_rate) - compute_num_samples(start, sampling_rate)


def overlaps(start_a: Seconds, end_a: Seconds, start_b: Seconds, end_b: Seconds) -> bool:
    """Whether two half-open intervals ``[start, end)`` overlap."""
    return start_a < end_b and start_b < end_a


def round_time(value: Seconds, ndigits: int = 8) -> Seconds:
    """Round a time in seconds to suppress float noise before storing it."""
    return round(value, ndigits)


def time_diff_to_num_frames(time_diff: Seconds, frame_length: Seconds, frame_shift: Seconds) -> int:
    """Frames of ``frame_length`` every ``frame_shift`` that fit in ``time_diff`` without overrun.

    A difference that is (close to) zero gives zero frames.

    >>> time_diff_to_num_frames(1.0, 0.025, 0.01)
    98
    """
    if math.isclose(time_diff, 0.0):
        return 0
    return int(math.ceil((time_diff - frame_length) / frame_shift))


def compute_num_windows(sig_len: Seconds, win_len: Seconds, hop: Seconds) -> int:
    """How many windows of ``win_len`` every ``hop`` seconds cover ``sig_len`` seconds.

    The last window may be shorter than ``win_len`` (it ends with the signal);
    a signal shorter than one window still gives one window, an empty one none.

    >>> compute_num_windows(6.1, 3, 1)  # 0-3, 1-4, 2-5, 3-6, 4-6.1
    5
    >>> compute_num_windows(5.9, 1, 3)  # 0-1, 3-4
    2
    """
    if sig_len <= 0:
        return 0
    full = math.ceil(max(sig_len - win_len, 0) / hop)
    return full + (1 if sig_len - full * hop > 0 else 0)


def supervision_to_frames(
    supervision, frame_shift: Seconds, sampling_rate: int, max_frames: int | None = None
) -> tuple[int, int]:
    """``(start_frame, num_frames)`` of a supervision's span inside its cut.

    Start and length are each counted with :func:`compute_num_frames`; with
    ``max_frames`` the length is shortened so that the span ends by then.

    >>> from types import SimpleNamespace
    >>> supervision_to_frames(SimpleNamespace(start=0.5, duration=2.0), 0.01, 16000)
    (50, 200)
    """
    start = compute_num_frames(supervision.start, frame_shift, sampling_rate)
    num = compute_num_frames(supervision.duration, frame_shift, sampling_rate)
    if max_frames:
        num -= max(0, start + num - max_frames)
    return start, num


def supervision_to_samples(
    supervision, sampling_rate: int, max_samples: int | None = None
) -> tuple[int, int]:
    """``(start_sample, num_samples)`` of a supervision's span inside its cut.

    >>> from types import SimpleNamespace
    >>> supervision_to_samples(SimpleNamespace(start=0.5, duration=2.0), 16000, max_samples=40000)
    (8000, 32000)
    """
    start = compute_num_samples(supervision.start, sampling_rate)
    num = compute_num_samples(supervision.duration, sampling_rate)
    if max_samples:
        num -= max(0, start + num - max_samples)
    return start, num
