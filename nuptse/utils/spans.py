"""Time spans: ``TimeSpan`` and the overlap predicates on objects with ``start``/``end``."""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from typing import Any, Literal

from nuptse.timing import (
    Seconds,
)
from nuptse.timing import overlaps as _intervals_overlap

logger = logging.getLogger(__name__)


@dataclass
class TimeSpan:
    """A ``[start, end)`` interval in seconds."""

    start: Seconds
    end: Seconds

    @property
    def duration(self) -> Seconds:
        return self.end - self.start


def overlaps(lhs: Any, rhs: Any) -> bool:
    """Whether two objects with ``start``/``end`` overlap by more than float noise.

    Spans that only touch (one ends where the other starts) do not overlap.

    >>> overlaps(TimeSpan(0, 1), TimeSpan(1, 2))
    False
    """
    return (
        _intervals_overlap(lhs.start, lhs.end, rhs.start, rhs.end)
        and not math.isclose(lhs.start, rhs.end)
        and not math.isclose(rhs.start, lhs.end)
    )


def overspans(spanning: Any, spanned: Any, tolerance: float = 1e-3) -> bool:
    """Whether ``spanning`` covers all of ``spanned`` (to within ``tolerance`` seconds).

    >>> overspans(TimeSpan(0, 1), TimeSpan(0.5, 1.0005)), overspans(TimeSpan(0.5, 1), TimeSpan(0, 1))
    (True, False)
    """
    return spanning.start - tolerance <= spanned.start <= spanned.end <= spanning.end + tolerance


def measure_overlap(lhs: Any, rhs: Any) -> float:
    """Overlap of two spans as a fraction of the shorter one's duration.

    >>> measure_overlap(TimeSpan(0, 2), TimeSpan(1, 5))
    0.5
    """
    first, second = sorted([lhs, rhs], key=lambda span: span.start)
    overlap = first.end - second.start
    if overlap <= 0:
        return 0.0
    return overlap / min(first.end - first.start, second.end - second.start)


def compute_start_duration_for_extended_cut(
    start: Seconds,
    duration: Seconds,
    new_duration: Seconds,
    direction: Literal["center", "left", "right", "random"] = "center",
) -> tuple[Seconds, Seconds]:
    """Start and duration of a span of ``start``/``duration`` grown to ``new_duration``.

    ``direction`` says where the extra time goes: before (``"left"``), after
    (``"right"``), half on each side (``"center"``) or a random split
    (``"random"``).  A start that would fall before 0 is clipped to 0 and the
    duration shrinks by the clipped amount.  A ``new_duration`` not longer
    than ``duration`` leaves the span as it is.

    >>> compute_start_duration_for_extended_cut(5.0, 10.0, 11.0, "center")
    (4.5, 11.0)
    >>> compute_start_duration_for_extended_cut(0.0, 10.0, 11.0, "center")
    (0, 10.5)
    """
    if new_duration <= duration:
        return start, duration
    extra = new_duration - duration
    if direction == "center":
        new_start = start - extra / 2
    elif direction == "left":
        new_start = start - extra
    elif direction == "right":
        new_start = start
    elif direction == "random":
        new_start = random.uniform(start - extra, start)
    else:
        raise ValueError(
            f"Unexpected direction {direction!r}: expected 'center', 'left', 'right' or 'random'."
        )
    if new_start < 0:
        new_duration = round(new_duration + new_start, 15)
        new_start = 0
    return round(new_start, 15), new_duration
