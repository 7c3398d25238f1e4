"""The search index behind :meth:`SupervisionSet.find`.

Segments are grouped by recording once, on the first query (a stable numpy
argsort of recording codes, so the cost is a few passes over the segments
with no per-segment Python work beyond reading two attributes).  The first
query of a recording then sorts that recording's starts and caches them;
every query is two binary searches plus the matches (and, when an
``end_before`` is given, the segments that start inside the window but end
after it).

The result is exactly what a linear scan with these conditions returns, in
the set's own order:

* ``channel is None`` or every requested channel is among the segment's;
* ``segment.start >= start_after - tolerance``;
* ``end_before is None`` or ``segment.end <= end_before + tolerance``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from itertools import count
from operator import attrgetter

from nuptse.supervision.segment import SupervisionSegment

#: Margin added to the window's right edge when choosing candidates by start,
#: so that rounding ``end`` to 8 decimals can never hide a match.  Candidates
#: are then checked exactly.
_START_SLACK = 1e-6

_get_recording_id = attrgetter("recording_id")


class _RecordingIndex:
    """The segments of one recording, sorted by start."""

    __slots__ = ("starts", "ends", "segments", "positions", "slack")

    def __init__(self, segments: list[SupervisionSegment]):
        # ``segments`` are in the set's order; NaN starts can never match.
        starts = [s.start for s in segments]
        if any(x != x for x in starts):
            segments = [s for s, x in zip(segments, starts) if x == x]
            starts = [x for x in starts if x == x]
        #: The set-order rank of each sorted entry (None: already in start order).
        self.positions: list[int] | None = None
        if any(a > b for a, b in zip(starts, starts[1:])):
            perm = sorted(range(len(starts)), key=starts.__getitem__)
            segments = [segments[i] for i in perm]
            starts = [starts[i] for i in perm]
            self.positions = perm
        self.starts = starts
        self.segments = segments
        self.ends = [round(s.start + s.duration, 8) for s in segments]
        shortest = min((s.duration for s in segments), default=0.0)
        self.slack = _START_SLACK + (-shortest if shortest < 0 else 0.0)

    def query(
        self,
        channel: int | Sequence[int] | None,
        start_after: float,
        end_before: float | None,
        tolerance: float,
    ) -> list[SupervisionSegment]:
        starts = self.starts
        lo = bisect_left(starts, start_after - tolerance)
        if end_before is None:
            hi = len(starts)
            picked = range(lo, hi)
        else:
            limit = end_before + tolerance
            hi = bisect_right(starts, limit + self.slack, lo)
            ends = self.ends
            picked = [k for k in range(lo, hi) if ends[k] <= limit]
        segments = self.segments
        if channel is not None:
            picked = [k for k in picked if _has_channels(segments[k].channel, channel)]
        if self.positions is not None:
            positions = self.positions
            picked = sorted(picked, key=positions.__getitem__)
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
        import numpy as np

        self.segments = segments
        rids = list(map(_get_recording_id, segments))
        codes_by_rid = dict(zip(dict.fromkeys(rids), count()))
        self._codes = codes_by_rid
        if segments:
            codes = np.fromiter(map(codes_by_rid.__getitem__, rids), np.int64, len(rids))
            # Stable: within a recording the set's order is kept.
            self._order = np.argsort(codes, kind="stable")
            bounds = np.zeros(len(codes_by_rid) + 1, dtype=np.int64)
            np.cumsum(np.bincount(codes, minlength=len(codes_by_rid)), out=bounds[1:])
            self._bounds = bounds.tolist()
        else:
            self._order = np.zeros(0, dtype=np.int64)
            self._bounds = [0]
        self._recordings: list[_RecordingIndex | None] = [None] * len(codes_by_rid)
        self._groups: dict[str, list[SupervisionSegment]] | None = None

    def __len__(self) -> int:
        return len(self.segments)

    def recording_ids(self) -> Iterator[str]:
        return iter(self._codes)

    def groups(self) -> dict[str, list[SupervisionSegment]]:
        """Every recording's segments in the set's order (computed once)."""
        if self._groups is None:
            self._groups = {rid: self.segments_of(rid) for rid in self._codes}
        return self._groups

    def segments_of(self, recording_id: str) -> list[SupervisionSegment]:
        """The segments of one recording, in the set's order."""
        code = self._codes.get(recording_id)
        if code is None:
            return []
        positions = self._order[self._bounds[code] : self._bounds[code + 1]].tolist()
        segments = self.segments
        return [segments[i] for i in positions]

    def _recording(self, recording_id: str) -> _RecordingIndex | None:
        code = self._codes.get(recording_id)
        if code is None:
            return None
        rec = self._recordings[code]
        if rec is None:
            rec = self._recordings[code] = _RecordingIndex(self.segments_of(recording_id))
        return rec

    def find(
        self,
        recording_id: str,
        channel: int | Sequence[int] | None = None,
        start_after: float = 0,
        end_before: float | None = None,
        tolerance: float = 0.001,
    ) -> list[SupervisionSegment]:
        rec = self._recording(recording_id)
        if rec is None:
            return []
        return rec.query(channel, start_after, end_before, tolerance)
