"""Splitting one cut into many: windows, per-supervision pieces, alignment
pieces and supervision groups.

:class:`WindowsMixin` holds the methods; every one returns a ``CutSet`` (lent by
:mod:`nuptse.cut.set` through :func:`~nuptse.cut.registry.provided`).  Long cuts
with many supervisions are split with a :class:`SupervisionIndex`, so finding
the supervisions of each piece costs a bisection, not a scan.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from typing import Any

from nuptse.cut.registry import CutError, provided, to_list, uuid_id
from nuptse.timing import add_durations


class MixedChannelsError(CutError, AssertionError):
    """A trimmed multi-channel cut would hold supervisions of different channels."""


def overlap_ratio(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    """Overlap of two spans as a fraction of the shorter one (0 when disjoint).

    >>> overlap_ratio(0, 2, 1, 3)
    0.5
    """
    inter = min(a_end, b_end) - max(a_start, b_start)
    if inter <= 0:
        return 0.0
    shorter = min(a_end - a_start, b_end - b_start)
    return inter / shorter if shorter > 0 else 1.0


def num_windows(total: float, window: float, hop: float) -> int:
    """How many windows of ``window`` s, ``hop`` s apart, cover ``total`` s.

    >>> num_windows(61.0, 10.0, 10.0)
    7
    >>> num_windows(5.9, 3, 1)
    4
    """
    if total <= 0:
        return 0
    n = math.ceil(round(max(total - window, 0) / hop, 8))
    return n + int(round(total - n * hop, 8) > 0)


def extended_span(
    start: float,
    duration: float,
    new_duration: float,
    direction: str = "center",
    rng: random.Random | None = None,
) -> tuple[float, float]:
    """Start and duration of a span grown to ``new_duration`` in ``direction``.

    The span never starts before 0: what would lie before is cut off (so the
    span is then shorter than ``new_duration``).

    >>> extended_span(2.0, 1.0, 3.0)
    (1.0, 3.0)
    >>> extended_span(2.0, 1.0, 3.0, "right")
    (2.0, 3.0)
    >>> extended_span(0.5, 1.0, 3.0)
    (0.0, 2.5)
    """
    if new_duration <= duration:
        return start, duration
    extra = new_duration - duration
    if direction == "center":
        left = extra / 2
    elif direction == "left":
        left = extra
    elif direction == "right":
        left = 0.0
    elif direction == "random":
        left = (rng or random).uniform(0, extra)
    else:
        raise CutError(
            f"context_direction must be center, left, right or random, got {direction!r}"
        )
    new_start = start - left
    if new_start < 0:
        new_duration = new_duration + new_start
        new_start = 0.0
    return round(new_start, 8), round(new_duration, 8)


class SupervisionIndex:
    """Supervisions sorted by start, to find those near a span without scanning all."""

    def __init__(self, supervisions: list):
        self.sups = sorted(supervisions, key=lambda s: s.start)
        self.starts = [s.start for s in self.sups]
        self.max_duration = max((s.duration for s in self.sups), default=0.0)

    def __len__(self) -> int:
        return len(self.sups)

    def candidates(self, lo: float, hi: float) -> list:
        """Supervisions that may overlap ``[lo, hi)`` (a superset, in start order)."""
        i = bisect_left(self.starts, lo - self.max_duration - 1e-3)
        j = bisect_right(self.starts, hi + 1e-3)
        return self.sups[i:j]

    def overlapping(self, lo: float, hi: float) -> list:
        """Supervisions that overlap ``[lo, hi)`` by more than zero time."""
        return [s for s in self.candidates(lo, hi) if s.start < hi and s.start + s.duration > lo]


class _SameId:
    def __init__(self, sup_id: str):
        self.sup_id = sup_id

    def __call__(self, sup) -> bool:
        return sup.id == self.sup_id


def unsupervised_spans(cut) -> list[tuple[float, float]]:
    """``(start, duration)`` of the stretches of ``cut`` that no supervision covers.

    >>> from types import SimpleNamespace as NS
    >>> c = NS(duration=10.0, supervisions=[NS(start=1.0, end=3.0), NS(start=2.0, end=5.0)])
    >>> unsupervised_spans(c)
    [(0.0, 1.0), (5.0, 5.0)]
    """
    spans = sorted((max(s.start, 0.0), min(s.end, cut.duration)) for s in cut.supervisions)
    out, pos = [], 0.0
    for lo, hi in spans:
        if lo > pos:
            out.append((round(pos, 8), round(lo - pos, 8)))
        pos = max(pos, hi)
    if pos < cut.duration:
        out.append((round(pos, 8), round(cut.duration - pos, 8)))
    return out


class WindowsMixin:
    """Methods that split a cut into a ``CutSet`` of shorter cuts."""

    def index_supervisions(
        self, index_mixed_tracks: bool = False, keep_ids: set[str] | None = None
    ) -> dict[str, SupervisionIndex]:
        """An index of the supervisions by cut id (and by track cut id for mixed cuts).

        Pass it as ``_supervisions_index`` to ``truncate`` when cutting many
        pieces from one long cut.
        """

        def keep(sups):
            return [s for s in sups if (keep_ids is None or s.id in keep_ids) and s.duration > 0]

        out = {self.id: SupervisionIndex(keep(self.supervisions))}
        if index_mixed_tracks:
            for t in getattr(self, "tracks", None) or ():
                out[t.cut.id] = SupervisionIndex(keep(t.cut.supervisions))
        return out

    def _unsupervised_segments(self) -> list:
        """Cuts of the stretches that no supervision covers (for
        ``CutSet.trim_to_unsupervised_segments``)."""
        return [self.truncate(offset=lo, duration=d) for lo, d in unsupervised_spans(self)]

    def split(self, timestamp: float) -> tuple:
        """Two cuts: ``[0, timestamp)`` and ``[timestamp, duration)`` of this one."""
        if not 0 < timestamp < self.duration:
            raise CutError(
                f"cut {self.id!r}: split point must lie in (0, {self.duration}), got {timestamp}"
            )
        return self.truncate(duration=timestamp), self.truncate(offset=timestamp)

    def cut_into_windows(
        self, duration: float, hop: float | None = None, keep_excessive_supervisions: bool = True
    ):
        """Windows of ``duration`` s every ``hop`` s (the last may be shorter), ids ``{id}-{i}``."""
        if duration <= 0:
            raise CutError(f"cut {self.id!r}: window duration must be > 0, got {duration}")
        hop = hop or duration
        if hop <= 0:
            raise CutError(f"cut {self.id!r}: hop must be > 0, got {hop}")
        return provided("CutSet").from_cuts(
            self._windows(duration, hop, keep_excessive_supervisions, None)
        )

    def _windows(self, duration: float, hop: float, keep_excessive: bool, extra_custom):
        out = []
        index = SupervisionIndex(self.supervisions)
        for i in range(num_windows(self.duration, duration, hop)):
            piece = self.truncate(
                offset=round(hop * i, 8),
                duration=duration,
                keep_excessive_supervisions=keep_excessive,
                preserve_id=True,
                _supervisions_index=index,
            )
            changes = {"id": f"{self.id}-{i}"}
            if extra_custom:
                changes["custom"] = {**(piece.custom or {}), **extra_custom}
            out.append(piece._copy(**changes))
        return out

    def cut_into_windows_balanced(
        self,
        min_duration: float,
        max_duration: float,
        overlap: float = 0.0,
        keep_excessive_supervisions: bool = True,
    ):
        """Windows of one length in ``[min_duration, max_duration]`` (whole seconds),
        chosen so that the last window is as long as possible (least padding).

        Every window carries ``custom["source_cut_id"]`` and
        ``custom["source_cut_start"]`` (this cut's id and start).  A cut no
        longer than ``max_duration`` is returned alone, unchanged.
        """
        CutSet = provided("CutSet")
        if self.duration <= max_duration:
            return CutSet.from_cuts([self])
        best, best_last = float(min_duration), 0.0
        for d in range(math.floor(min_duration), math.floor(max_duration) + 1):
            hop = d - overlap
            if hop <= 0 or d > self.duration:
                continue
            last = self.duration - hop * (math.ceil(self.duration / hop) - 1)
            if last > best_last:
                best, best_last = float(d), last
        hop = best - overlap
        if hop <= 0:
            raise CutError(f"cut {self.id!r}: overlap {overlap} leaves no hop between windows")
        extra = {"source_cut_id": self.id, "source_cut_start": self.start}
        return CutSet.from_cuts(self._windows(best, hop, keep_excessive_supervisions, extra))

    def trim_to_supervisions(
        self,
        keep_overlapping: bool = True,
        min_duration: float | None = None,
        context_direction: str = "center",
        keep_all_channels: bool = False,
    ):
        """One cut per supervision, spanning it (grown to ``min_duration`` with context if given).

        A cut that ends up with one supervision takes that supervision's id.
        Without ``keep_all_channels`` a multi-channel cut is narrowed to its
        supervisions' channel (a :class:`MixedChannelsError` if they differ).
        """
        return provided("CutSet").from_cuts(
            self._trim_to_supervisions(
                keep_overlapping, min_duration, context_direction, keep_all_channels
            )
        )

    def _trim_to_supervisions(
        self,
        keep_overlapping: bool,
        min_duration: float | None,
        context_direction: str,
        keep_all_channels: bool,
        rng: random.Random | None = None,
    ) -> list:
        from nuptse.timing import compute_num_samples

        out = []
        index = SupervisionIndex(self.supervisions)
        sr = self.sampling_rate
        fast = sr is not None and hasattr(self, "_truncate_samples")
        if fast:
            bounds = (compute_num_samples(self.start, sr), compute_num_samples(self.duration, sr))
        for sup in self.supervisions:
            start, dur = sup.start, sup.duration
            if min_duration is not None:
                start, dur = extended_span(start, dur, min_duration, context_direction, rng)
            if start < 0:
                dur, start = dur + start, 0.0
            dur = min(dur, add_durations(self.duration, -start, sampling_rate=sr))
            if dur <= 0:
                continue
            if fast:
                trimmed = self._truncate_samples(
                    start,
                    compute_num_samples(start, sr),
                    compute_num_samples(dur, sr),
                    sr,
                    keep_overlapping,
                    True,
                    index,
                    bounds,
                )
            else:
                trimmed = self.truncate(
                    offset=start,
                    duration=dur,
                    keep_excessive_supervisions=keep_overlapping,
                    preserve_id=True,
                    _supervisions_index=index,
                )
            # ``trimmed`` is a fresh copy, so it may be edited in place.
            if not keep_overlapping:
                trimmed = trimmed.filter_supervisions(_SameId(sup.id))
            if not keep_all_channels and hasattr(trimmed, "_narrow_to_channel"):
                channels = {tuple(to_list(s.channel)) for s in trimmed.supervisions}
                if len(channels) > 1:
                    raise MixedChannelsError(
                        f"cut {self.id!r}: the piece around supervision {sup.id!r} holds "
                        f"supervisions of channels {sorted(channels)}; pass "
                        f"keep_all_channels=True or keep_overlapping=False"
                    )
                trimmed = trimmed._narrow_to_channel(sup.channel)
            new_id = sup.id if len(trimmed.supervisions) == 1 else uuid_id(rng)
            object.__setattr__(trimmed, "id", new_id)
            out.append(trimmed)
        return out

    def trim_to_alignments(
        self,
        type: str,
        max_pause: float | None = None,
        max_segment_duration: float | None = None,
        delimiter: str = " ",
        keep_all_channels: bool = False,
    ):
        """One cut per alignment item of kind ``type`` (e.g. ``"word"``), or per run of items.

        Items less than ``max_pause`` s apart are joined (their symbols with
        ``delimiter``) while the run stays within ``max_segment_duration``.
        Each piece gets a supervision ``{sup.id}-{i}`` with the joined text and
        its items as alignment.
        """
        from nuptse.supervision import AlignmentItem, SupervisionSegment

        pause = -1.0 if max_pause is None else max_pause
        longest = self.duration if max_segment_duration is None else max_segment_duration
        new_sups = []
        for sup in self.supervisions:
            items = (sup.alignment or {}).get(type)
            if not items:
                continue
            items = sorted(items, key=lambda a: a.start)
            runs: list[tuple[Any, list[int]]] = [(items[0], [0])]
            for i, item in enumerate(items[1:], start=1):
                if not item.symbol.strip():
                    continue  # a blank item marks a pause
                prev, idx = runs[-1]
                if item.start - prev.end <= pause and item.end - prev.start <= longest:
                    joined = AlignmentItem(
                        symbol=delimiter.join([prev.symbol, item.symbol]),
                        start=prev.start,
                        duration=item.end - prev.start,
                    )
                    runs[-1] = (joined, idx + [i])
                else:
                    runs.append((item, [i]))
            for i, (item, idx) in enumerate(runs):
                new_sups.append(
                    SupervisionSegment(
                        id=f"{sup.id}-{i}",
                        recording_id=sup.recording_id,
                        start=item.start - self.start,
                        duration=item.duration,
                        channel=sup.channel,
                        text=item.symbol,
                        language=sup.language,
                        speaker=sup.speaker,
                        gender=sup.gender,
                        alignment={type: [items[j] for j in idx]},
                    )
                )
        return self._copy(supervisions=new_sups).trim_to_supervisions(
            keep_overlapping=False, keep_all_channels=keep_all_channels
        )

    def trim_to_supervision_groups(self, max_pause: float = 0.0):
        """One cut per group of supervisions less than ``max_pause`` s apart.

        Ids are ``{id}-{max_pause}-{group}``; every supervision lands in exactly one piece.
        """
        CutSet = provided("CutSet")
        if not self.supervisions:
            return CutSet.from_cuts([self])
        sr = self.sampling_rate
        sups = sorted(self.supervisions, key=lambda s: s.start)
        groups: list[list] = [[sups[0]]]
        ends = [sups[0].end]
        for s in sups[1:]:
            if s.start - ends[-1] <= max_pause:
                groups[-1].append(s)
                ends[-1] = max(ends[-1], s.end)
            else:
                groups.append([s])
                ends.append(s.end)
        out = []
        for i, (group, end) in enumerate(zip(groups, ends)):
            offset = group[0].start
            piece = self.truncate(
                offset=offset,
                duration=add_durations(end, -offset, sampling_rate=sr),
                keep_excessive_supervisions=False,
            )
            out.append(piece.with_id(f"{self.id}-{max_pause}-{i}"))
        total = sum(len(c.supervisions) for c in out)
        if total != len(self.supervisions):
            raise CutError(
                f"cut {self.id!r}: supervision groups hold {total} supervisions, "
                f"the cut {len(self.supervisions)}"
            )
        return CutSet.from_cuts(out)
