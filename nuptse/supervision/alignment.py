"""Time-aligned symbols (words, phones, ...) inside a supervision.

An :class:`AlignmentItem` is a plain named tuple, so millions of them stay
small, compare by value and serialize as the compact list
``[symbol, start, duration, score]`` that lhotse writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from nuptse.timing import (
    Seconds,
    add_durations,
    compute_num_samples,
    perturb_num_samples,
    samples_to_seconds,
)

#: Sample rate used to add and subtract times exactly (a multiple of every
#: common audio rate's grid: 8k, 16k, 24k and 48k).
TIME_GRID_RATE = 48000


class AlignmentItem(NamedTuple):
    """One aligned symbol: its text, start (seconds, from the start of the
    recording), duration and an optional confidence ``score``.

    >>> item = AlignmentItem(symbol="HELLO", start=0.2, duration=0.35)
    >>> item.end
    0.55
    >>> item.serialize()
    ['HELLO', 0.2, 0.35, None]
    >>> AlignmentItem.deserialize(['HELLO', 0.2, 0.35, None]) == item
    True
    """

    symbol: str
    start: Seconds
    duration: Seconds
    score: float | None = None

    @staticmethod
    def deserialize(data: list | tuple | dict) -> AlignmentItem:
        """Build an item from its list form (or the older ``{"symbol": ...}`` dict form)."""
        if isinstance(data, dict):
            return AlignmentItem(data["symbol"], data["start"], data["duration"], data.get("score"))
        return AlignmentItem(*data)

    def serialize(self) -> list:
        """The list form ``[symbol, start, duration, score]``."""
        return list(self)

    @property
    def end(self) -> Seconds:
        return round(self.start + self.duration, 8)

    def with_offset(self, offset: Seconds) -> AlignmentItem:
        """The same item shifted by ``offset`` seconds (added on a 48 kHz grid).

        >>> AlignmentItem("A", 0.1, 0.2).with_offset(0.3)
        AlignmentItem(symbol='A', start=0.4, duration=0.2, score=None)
        """
        start = add_durations(self.start, offset, sampling_rate=TIME_GRID_RATE)
        return AlignmentItem(self.symbol, start, self.duration, self.score)

    def perturb_speed(self, factor: float, sampling_rate: int) -> AlignmentItem:
        """Boundaries matching audio sped up by ``factor`` (through sample counts).

        >>> AlignmentItem("A", 0.1, 0.5).perturb_speed(1.1, 16000)
        AlignmentItem(symbol='A', start=0.0909375, duration=0.4545625, score=None)
        """
        start, duration = _perturb_span(self.start, self.duration, factor, sampling_rate)
        return AlignmentItem(self.symbol, start, duration, self.score)

    def trim(self, end: Seconds, start: Seconds = 0) -> AlignmentItem:
        """Clip the item to ``[start, end]`` (see :meth:`SupervisionSegment.trim`).

        An item that lies entirely outside the window becomes a zero-length item
        at the nearest bound, so durations never turn negative.

        >>> AlignmentItem("A", 0.1, 0.5).trim(end=0.4, start=0.2)
        AlignmentItem(symbol='A', start=0.2, duration=0.2, score=None)
        """
        new_start, new_duration = trim_span(self.start, self.duration, end, start)
        return AlignmentItem(self.symbol, new_start, new_duration, self.score)

    def transform(self, transform_fn: Callable[[str], str]) -> AlignmentItem:
        """The item with ``transform_fn`` applied to its symbol.

        >>> AlignmentItem("hello", 0.0, 0.5).transform(str.upper).symbol
        'HELLO'
        """
        return AlignmentItem(transform_fn(self.symbol), self.start, self.duration, self.score)


def _perturb_span(
    start: Seconds, duration: Seconds, factor: float, sampling_rate: int
) -> tuple[Seconds, Seconds]:
    """Start and duration after speed/tempo perturbation, via sample counts."""
    start_samples = perturb_num_samples(compute_num_samples(start, sampling_rate), factor)
    num_samples = perturb_num_samples(compute_num_samples(duration, sampling_rate), factor)
    return (
        samples_to_seconds(start_samples, sampling_rate),
        samples_to_seconds(num_samples, sampling_rate),
    )


def trim_span(
    start: Seconds, duration: Seconds, end_bound: Seconds, start_bound: Seconds = 0
) -> tuple[Seconds, Seconds]:
    """Clip ``[start, start + duration]`` to ``[start_bound, end_bound]``.

    Within the window the arithmetic is done on a 48 kHz sample grid, as lhotse
    does; a span that falls entirely outside gets duration 0 at the nearest bound.

    >>> trim_span(0.1, 1.2345, end_bound=1.0, start_bound=0.2)
    (0.2, 0.8)
    >>> trim_span(2.0, 1.0, end_bound=1.0)
    (1.0, 0.0)
    """
    if start_bound < 0:
        raise ValueError(f"trim: start must be >= 0, got {start_bound}")
    end = round(start + duration, 8)
    cut_left = max(0.0, start_bound - start)
    cut_right = max(0.0, end - end_bound)
    new_start = max(start_bound, start)
    new_duration = add_durations(duration, -cut_right, -cut_left, sampling_rate=TIME_GRID_RATE)
    if new_duration < 0:
        return min(new_start, max(end_bound, start_bound)), 0.0
    return new_start, new_duration
