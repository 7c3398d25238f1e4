"""The search index behind :meth:`SupervisionSet.find`.

Segments are grouped by recording once, on the first query.  The grouping
does no per-segment Python work: one C-level pass reads the recording ids,
one assigns each segment the position of its recording's first segment, and
when a recording's segments are not contiguous (a shuffled set) a stable
numpy argsort groups them.  The first query of a recording then sorts that
recording's segments by start and caches them.

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
from itertools import islice
from operator import attrgetter, gt, le

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

    def __init__(self, segments: list[SupervisionSegment]):
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
        durations = list(map(_get_duration, segments))
        shortest = min(durations, default=0.0)
        longest = max(durations, default=0.0)
        total = sum(durations)
        if total != total and any(d != d for d in durations):
            shortest, longest = 0.0, math.inf
        #: How far past the window's end a start may lie for its segment to end
        #: inside it (only segments with negative durations do that).
        self.reach_back = _START_SLACK + (-shortest if shortest < 0 else 0.0)
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


class SupervisionIndex:
    """Per-recording interval lookup over a fixed list of segments."""

    def __init__(self, segments: list[SupervisionSegment]):
        self.segments = segments
        n = len(segments)
        # first[rid]: position of the recording's first segment;
        # codes[i]: first[recording id of segment i].
        first: dict[str, int] = {}
        codes = list(map(first.setdefault, map(_get_recording_id, segments), range(n)))
        #: Set positions of the segments grouped by recording (None: already grouped).
        self._order = None
        firsts = list(first.values())
        if all(map(le, codes, islice(codes, 1, None))):
            # every recording's segments are contiguous: groups are slices
            ranges = zip(firsts, firsts[1:] + [n])
        else:
            import numpy as np

            arr = np.fromiter(codes, dtype=np.int64, count=n)
            self._order = np.argsort(arr, kind="stable")
            sizes = np.bincount(arr, minlength=n)[firsts]
            ends = np.cumsum(sizes).tolist()
            ranges = zip([0] + ends[:-1], ends)
        self._ranges: dict[str, tuple[int, int]] = dict(zip(first, ranges))
        self._recordings: dict[str, _RecordingIndex] = {}
        self._groups: dict[str, list[SupervisionSegment]] | None = None

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
            rec = self._recordings[recording_id] = _RecordingIndex(self.segments_of(recording_id))
        return rec.query(channel, start_after, end_before, tolerance)
