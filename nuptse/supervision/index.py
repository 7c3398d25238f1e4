"""The search index behind :meth:`SupervisionSet.find`.

Segments are grouped by recording once, on the first query.  When each
recording's segments are contiguous in the set (prepared corpora usually are)
one C-level ``groupby`` pass over the recording ids finds their slices;
otherwise one C-level pass gives each segment a recording code and a stable
numpy argsort groups them.  The first query of a recording then sorts that
recording's segments by start and caches them.  The longest and the most
negative duration bound the search; they are taken over the whole set in the
same sequential style for a grouped set, or per recording on its first query
for an interleaved one (whose segments are scattered in memory).

A query is three binary searches over the recording's starts: where the
window opens, where it closes, and below which start every segment is sure to
end inside the window (start <= window end - longest duration).  Only the
segments between the last two are checked one by one, so a query costs
O(log n + k + t), with t the segments that start in the window's last
"longest duration" (those that may stick out of it).

The result is exactly what a linear scan with these conditions returns, in
the set's own order:

* ``channel is None`` or every requested channel is among the segment's;
* ``segment.start >= start_after - tolerance``;
* ``end_before is None`` or ``segment.end <= end_before + tolerance``.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from itertools import groupby, islice
from operator import attrgetter, gt

from nuptse.supervision.segment import SupervisionSegment

#: Margin added to the window's right edge when choosing candidates by start,
#: so that rounding ``end`` to 8 decimals can never hide a match.  Candidates
#: are then checked exactly.
_START_SLACK = 1e-6

_get_recording_id = attrgetter("recording_id")
_get_start = attrgetter("start")
_get_duration = attrgetter("duration")


class _RecordingIndex:
    """The segments of one recording, sorted by start."""

    __slots__ = ("starts", "segments", "positions", "reach_back", "longest")

    def __init__(self, segments: list[SupervisionSegment], reach_back: float, longest: float):
        # ``segments`` are in the set's order; NaN starts can never match.
        starts = list(map(_get_start, segments))
        total = sum(starts)
        if total != total and any(x != x for x in starts):
            segments = [s for s, x in zip(segments, starts) if x == x]
            starts = [x for x in starts if x == x]
        #: The set-order rank of each sorted entry (None: already in start order).
        self.positions: list[int] | None = None
        if any(map(gt, starts, islice(starts, 1, None))):
            perm = sorted(range(len(starts)), key=starts.__getitem__)
            segments = [segments[i] for i in perm]
            starts = [starts[i] for i in perm]
            self.positions = perm
        self.starts = starts
        self.segments = segments
        #: How far past the window's end a start may lie for its segment to end
        #: inside it (more than a rounding slack only with negative durations).
        self.reach_back = reach_back
        #: The longest duration (of the set or this recording; inf when unknown).
        self.longest = longest

    def query(
        self,
        channel: int | Sequence[int] | None,
        start_after: float,
        end_before: float | None,
        tolerance: float,
    ) -> list[SupervisionSegment]:
        starts = self.starts
        segments = self.segments
        low = start_after - tolerance
        if low != low:  # NaN: nothing compares true, as in a scan
            return []
        lo = bisect_left(starts, low)
        if end_before is None:
            hi = mid = len(starts)
            tail: list[int] = []
        else:
            limit = end_before + tolerance
            if limit != limit:
                return []
            hi = bisect_right(starts, limit + self.reach_back, lo)
            margin = _START_SLACK + abs(limit) * 1e-15
            # Below ``sure`` every segment ends by ``limit`` even after rounding.
            sure = limit - self.longest - margin
            mid = bisect_right(starts, sure, lo, hi) if sure == sure else lo
            tail = []
            if mid < hi:
                # ``end`` rounds to 8 decimals (moving by <= 5e-9 plus float
                # error): only ends within ``close`` of the limit need rounding.
                close = 1e-8 + abs(limit) * 1e-15
                below, above = limit - close, limit + close
                for k in range(mid, hi):
                    seg = segments[k]
                    e = seg.start + seg.duration
                    if e <= below or (e <= above and round(e, 8) <= limit):
                        tail.append(k)
        if channel is None and self.positions is None:
            found = segments[lo:mid]
            if tail:
                found.extend([segments[k] for k in tail])
            return found
        picked = list(range(lo, mid))
        picked.extend(tail)
        if channel is not None:
            if type(channel) is int:
                picked = [
                    k
                    for k in picked
                    if (c := segments[k].channel) == channel
                    or (type(c) is not int and _has_channels(c, channel))
                ]
            else:
                picked = [k for k in picked if _has_channels(segments[k].channel, channel)]
        if self.positions is not None:
            picked.sort(key=self.positions.__getitem__)
        return [segments[k] for k in picked]


def _has_channels(segment_channel, wanted) -> bool:
    """Whether every channel in ``wanted`` (an int or a list) is one of the segment's."""
    if type(wanted) is int:
        if type(segment_channel) is int:
            return segment_channel == wanted
        return wanted in segment_channel
    have = set(segment_channel) if isinstance(segment_channel, (list, tuple)) else {segment_channel}
    wanted = set(wanted) if isinstance(wanted, (list, tuple, set)) else {wanted}
    return wanted <= have


def _duration_bounds(segments: list[SupervisionSegment]) -> tuple[float, float]:
    """``(reach_back, longest)`` over the durations of ``segments`` (one C-level pass).

    NaN durations never end inside a window, so they are left out of the
    shortest; but they disable the "surely inside" shortcut (longest = inf).
    Durations that are not numbers disable both shortcuts.
    """
    durations = list(map(_get_duration, segments))
    try:
        shortest = min(durations, default=0.0)
        longest = max(durations, default=0.0)
        total = sum(durations)
    except TypeError:
        return math.inf, math.inf
    if total != total and any(d != d for d in durations):
        shortest = min((d for d in durations if d == d), default=0.0)
        longest = math.inf
    return _START_SLACK + (-shortest if shortest < 0 else 0.0), longest


def _contiguous_ranges(segments: list[SupervisionSegment]) -> dict[str, tuple[int, int]] | None:
    """``{recording_id: (lo, hi)}`` if each recording's segments are contiguous, else None.

    One C-level pass (``groupby`` over the recording ids) with Python work per
    run only; it stops at the first recording that comes back after another.
    """
    ranges: dict[str, tuple[int, int]] = {}
    pos = 0
    for rid, run in groupby(map(_get_recording_id, segments)):
        if rid in ranges:
            return None
        end = pos + len(list(run))
        ranges[rid] = (pos, end)
        pos = end
    return ranges


class SupervisionIndex:
    """Per-recording interval lookup over a fixed list of segments."""

    def __init__(self, segments: list[SupervisionSegment]):
        self.segments = segments
        #: Set positions of the segments grouped by recording (None: already grouped).
        self._order = None
        #: ``(reach_back, longest)`` of the whole set, or None to compute them
        #: per recording (see below).
        self._bounds: tuple[float, float] | None = None
        ranges = _contiguous_ranges(segments)
        if ranges is None:
            # Interleaved recordings: segments are scattered in memory, so a
            # recording's duration bounds are taken when it is first queried,
            # while its segments are being read anyway.
            ranges = self._group(segments)
        else:
            # A sequential pass over the set is cheap: take them once.
            self._bounds = _duration_bounds(segments)
        #: recording id -> (lo, hi) into the grouped order
        self._ranges: dict[str, tuple[int, int]] = ranges
        self._recordings: dict[str, _RecordingIndex] = {}
        self._groups: dict[str, list[SupervisionSegment]] | None = None

    def _group(self, segments: list[SupervisionSegment]) -> dict[str, tuple[int, int]]:
        """Group a set whose recordings are interleaved (a stable numpy argsort)."""
        import numpy as np

        n = len(segments)
        # first[rid]: position of the recording's first segment;
        # codes[i]: first[recording id of segment i].
        first: dict[str, int] = {}
        codes = np.fromiter(
            map(first.setdefault, map(_get_recording_id, segments), range(n)),
            dtype=np.int64,
            count=n,
        )
        self._order = np.argsort(codes, kind="stable")
        sizes = np.bincount(codes, minlength=n)[list(first.values())]
        ends = np.cumsum(sizes).tolist()
        return dict(zip(first, zip([0] + ends[:-1], ends)))

    def __len__(self) -> int:
        return len(self.segments)

    def recording_ids(self) -> Iterator[str]:
        return iter(self._ranges)

    def groups(self) -> dict[str, list[SupervisionSegment]]:
        """Every recording's segments in the set's order (computed once)."""
        if self._groups is None:
            self._groups = {rid: self.segments_of(rid) for rid in self._ranges}
        return self._groups

    def segments_of(self, recording_id: str) -> list[SupervisionSegment]:
        """The segments of one recording, in the set's order."""
        bounds = self._ranges.get(recording_id)
        if bounds is None:
            return []
        lo, hi = bounds
        if self._order is None:
            return self.segments[lo:hi]
        segments = self.segments
        return [segments[i] for i in self._order[lo:hi].tolist()]

    def find(
        self,
        recording_id: str,
        channel: int | Sequence[int] | None = None,
        start_after: float = 0,
        end_before: float | None = None,
        tolerance: float = 0.001,
    ) -> list[SupervisionSegment]:
        rec = self._recordings.get(recording_id)
        if rec is None:
            if recording_id not in self._ranges:
                return []
            segments = self.segments_of(recording_id)
            bounds = self._bounds if self._bounds is not None else _duration_bounds(segments)
            rec = _RecordingIndex(segments, *bounds)
            self._recordings[recording_id] = rec
        return rec.query(channel, start_after, end_before, tolerance)
