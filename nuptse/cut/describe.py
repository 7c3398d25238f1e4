"""Mergeable statistics of a cut set, and the table ``CutSet.describe()`` writes.

:class:`CutStatistics` is built one cut at a time (:meth:`CutStatistics.update`)
and two of them combine with :meth:`CutStatistics.merge`, so shards can be
described in parallel and the results added up.  Percentiles stay exact
because the per-cut durations are kept (8 bytes per cut).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

PERCENTILES = (25, 50, 75, 99, 99.5, 99.9)


def _coverage(spans: list[tuple[float, float]]) -> tuple[float, float]:
    """(time covered by at least one span, time covered by two or more)."""
    if not spans:
        return 0.0, 0.0
    events = []
    for a, b in spans:
        if b > a:
            events.append((a, 1))
            events.append((b, -1))
    events.sort()
    covered = overlapped = 0.0
    depth = 0
    prev = None
    for t, delta in events:
        if prev is not None and depth:
            covered += t - prev
            if depth > 1:
                overlapped += t - prev
        depth += delta
        prev = t
    return covered, overlapped


@dataclass
class CutStatistics:
    """Counts and durations of cuts and their supervisions.

    >>> stats = CutStatistics()
    >>> stats.num_cuts
    0
    """

    num_cuts: int = 0
    total_duration: float = 0.0
    durations: array = field(default_factory=lambda: array("d"))
    num_supervisions: int = 0
    supervision_duration: float = 0.0
    speech_duration: float = 0.0
    overlap_duration: float = 0.0
    with_recording: int = 0
    with_features: int = 0
    with_supervisions: int = 0
    speakers: set = field(default_factory=set)
    recordings: set = field(default_factory=set)
    cut_types: dict = field(default_factory=dict)

    @classmethod
    def from_cuts(cls, cuts: Iterable) -> CutStatistics:
        stats = cls()
        for cut in cuts:
            stats.update(cut)
        return stats

    def update(self, cut) -> CutStatistics:
        """Add one cut."""
        dur = cut.duration
        self.num_cuts += 1
        self.total_duration += dur
        self.durations.append(dur)
        kind = type(cut).__name__
        self.cut_types[kind] = self.cut_types.get(kind, 0) + 1
        self.with_recording += bool(cut.has_recording)
        self.with_features += bool(cut.has_features)
        rid = cut.recording_id
        if rid is not None:
            self.recordings.add(rid)
        sups = cut.supervisions
        if sups:
            self.with_supervisions += 1
            self.num_supervisions += len(sups)
            spans = []
            for s in sups:
                self.supervision_duration += s.duration
                if s.speaker is not None:
                    self.speakers.add(s.speaker)
                spans.append((max(s.start, 0.0), min(s.start + s.duration, dur)))
            covered, overlapped = _coverage(spans)
            self.speech_duration += covered
            self.overlap_duration += overlapped
        return self

    def merge(self, other: CutStatistics) -> CutStatistics:
        """A new statistics object for the cuts of both."""
        out = CutStatistics()
        for s in (self, other):
            out.num_cuts += s.num_cuts
            out.total_duration += s.total_duration
            out.durations.extend(s.durations)
            out.num_supervisions += s.num_supervisions
            out.supervision_duration += s.supervision_duration
            out.speech_duration += s.speech_duration
            out.overlap_duration += s.overlap_duration
            out.with_recording += s.with_recording
            out.with_features += s.with_features
            out.with_supervisions += s.with_supervisions
            out.speakers |= s.speakers
            out.recordings |= s.recordings
            for k, v in s.cut_types.items():
                out.cut_types[k] = out.cut_types.get(k, 0) + v
        return out

    __add__ = merge

    # --- summaries ----------------------------------------------------------------

    def duration_summary(self) -> dict[str, float]:
        """Mean, std, min, max and percentiles of the cut durations (seconds)."""
        import numpy as np

        if not self.durations:
            return {}
        d = np.frombuffer(self.durations, dtype=np.float64)
        out = {"mean": float(d.mean()), "std": float(d.std()), "min": float(d.min())}
        for p, v in zip(PERCENTILES, np.percentile(d, PERCENTILES)):
            out[f"{p}%"] = float(v)
        out["max"] = float(d.max())
        return out

    def as_dict(self) -> dict:
        silence = max(self.total_duration - self.speech_duration, 0.0)
        return {
            "cuts": self.num_cuts,
            "total_duration": self.total_duration,
            "durations": self.duration_summary(),
            "recordings": len(self.recordings),
            "speakers": len(self.speakers),
            "supervisions": self.num_supervisions,
            "with_recording": self.with_recording,
            "with_features": self.with_features,
            "with_supervisions": self.with_supervisions,
            "supervision_duration": self.supervision_duration,
            "speech_duration": self.speech_duration,
            "overlap_duration": self.overlap_duration,
            "single_speaker_duration": self.speech_duration - self.overlap_duration,
            "silence_duration": silence,
            "cut_types": dict(self.cut_types),
        }

    def format_table(self, full: bool = False) -> str:
        """Human-readable table of the statistics."""
        total = self.total_duration or 1.0

        def pct(x: float) -> str:
            return f"{_hms(x)} ({100 * x / total:.1f}%)"

        rows: list[tuple[str, str]] = [
            ("Cuts count", str(self.num_cuts)),
            ("Total duration (hh:mm:ss)", _hms(self.total_duration)),
        ]
        for k, v in self.duration_summary().items():
            rows.append((f"{k} duration (s)" if k in ("mean", "std") else f"{k}", f"{v:.2f}"))
        rows += [
            ("Recordings available", str(self.with_recording)),
            ("Features available", str(self.with_features)),
            ("Supervisions available", str(self.with_supervisions)),
            ("Distinct recordings", str(len(self.recordings))),
            ("Speakers", str(len(self.speakers))),
            ("Supervisions", str(self.num_supervisions)),
        ]
        speech = [
            ("Total speech duration", pct(self.speech_duration)),
            ("Total speaking time duration", pct(self.supervision_duration)),
            ("Total silence duration", pct(max(self.total_duration - self.speech_duration, 0))),
            ("Single-speaker duration", pct(self.speech_duration - self.overlap_duration)),
            ("Overlapped speech duration", pct(self.overlap_duration)),
        ]
        parts = ["Cut statistics:", _table(rows), "Speech duration statistics:", _table(speech)]
        if full:
            types = [(k, str(v)) for k, v in sorted(self.cut_types.items())]
            parts += ["Cut types:", _table(types)]
        return "\n".join(parts)


class CutSetStatistics:
    """lhotse's accumulating statistics object: ``CutSetStatistics(full).accumulate(cuts)``,
    ``a.combine(b)`` and ``describe()`` (which prints the table and returns the numbers).

    >>> CutSetStatistics().accumulate([]).as_dict()["cuts"]
    0
    """

    def __init__(self, full: bool = False):
        self.full = full
        self.stats = CutStatistics()

    def accumulate(self, cuts: Iterable) -> CutSetStatistics:
        """Add ``cuts`` (any iterable of cuts); returns self."""
        for cut in cuts:
            self.stats.update(cut)
        return self

    def combine(self, other: CutSetStatistics) -> CutSetStatistics:
        """A new object with the cuts of both."""
        out = CutSetStatistics(full=self.full or other.full)
        out.stats = self.stats.merge(other.stats)
        return out

    __add__ = combine

    def as_dict(self) -> dict:
        return self.stats.as_dict()

    def describe(self, file=None) -> CutStatistics:
        """Write the table to ``file`` (stdout by default) and return the statistics."""
        import sys

        (file or sys.stdout).write(self.stats.format_table(full=self.full) + "\n")
        return self.stats


def _hms(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _table(rows: list[tuple[str, str]]) -> str:
    if not rows:
        return ""
    w1 = max(len(a) for a, _ in rows)
    w2 = max(len(b) for _, b in rows)
    line = f"+-{'-' * w1}-+-{'-' * w2}-+"
    body = [f"| {a:<{w1}} | {b:>{w2}} |" for a, b in rows]
    return "\n".join([line, *body, line])
