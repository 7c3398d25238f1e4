"""Sanity checks for supervisions: every problem of a segment, reported at once."""

from __future__ import annotations

import math
from collections.abc import Iterable

from nuptse.supervision.segment import SupervisionSegment


class InvalidSupervisionError(ValueError):
    """One or more supervision segments break the manifest's invariants.

    ``problems`` maps each offending segment id to the list of its problems.
    """

    def __init__(self, problems: dict[str, list[str]], total: int | None = None):
        self.problems = problems
        total = len(problems) if total is None else total
        lines = [f"supervision {sid!r}: {'; '.join(msgs)}" for sid, msgs in problems.items()]
        more = total - len(problems)
        if more > 0:
            lines.append(f"... and {more} more invalid supervision(s)")
        super().__init__("\n".join(lines))


def supervision_problems(s: SupervisionSegment) -> list[str]:
    """Human-readable descriptions of everything wrong with ``s`` (empty if valid).

    >>> supervision_problems(SupervisionSegment("s", "r", start=-1.0, duration=-2.0))
    ['start is negative (-1.0)', 'duration is negative (-2.0)']
    """
    problems = []
    start, duration = s.start, s.duration
    if not isinstance(start, (int, float)) or isinstance(start, bool):
        problems.append(f"start is not a number ({start!r})")
    elif not math.isfinite(start):
        problems.append(f"start is not finite ({start})")
    elif start < 0:
        problems.append(f"start is negative ({start})")
    if not isinstance(duration, (int, float)) or isinstance(duration, bool):
        problems.append(f"duration is not a number ({duration!r})")
    elif not math.isfinite(duration):
        problems.append(f"duration is not finite ({duration})")
    elif duration < 0:
        problems.append(f"duration is negative ({duration})")
    channels = s.channel if isinstance(s.channel, list) else [s.channel]
    for c in channels:
        if not isinstance(c, int) or isinstance(c, bool) or c < 0:
            problems.append(f"channel must be a non-negative int or a list of them ({s.channel!r})")
            break
    if not isinstance(s.id, str) or not s.id:
        problems.append(f"id must be a non-empty string ({s.id!r})")
    if s.custom is not None and not isinstance(s.custom, dict):
        problems.append(f"custom must be a dict or None ({type(s.custom).__name__})")
    for kind, items in (s.alignment or {}).items():
        for item in items:
            if item.duration < 0 or item.start < 0:
                problems.append(
                    f"alignment {kind!r} item {item.symbol!r} has a negative "
                    f"start or duration ({item.start}, {item.duration})"
                )
                break
    return problems


def validate_supervision(s: SupervisionSegment, read_data: bool = False, **kwargs) -> None:
    """Raise :class:`InvalidSupervisionError` listing every problem of ``s``.

    >>> validate_supervision(SupervisionSegment("ok", "r", 0.0, 1.0))
    >>> validate_supervision(SupervisionSegment("bad", "r", -0.5, -1.0))
    Traceback (most recent call last):
    ...
    nuptse.supervision.validation.InvalidSupervisionError: supervision 'bad': start is negative (-0.5); duration is negative (-1.0)
    """
    problems = supervision_problems(s)
    if problems:
        raise InvalidSupervisionError({s.id: problems})


def validate_supervisions(segments: Iterable[SupervisionSegment], max_reported: int = 20) -> None:
    """Check many segments; the error names up to ``max_reported`` of the invalid ones."""
    found: dict[str, list[str]] = {}
    total = 0
    for s in segments:
        problems = supervision_problems(s)
        if problems:
            total += 1
            if len(found) < max_reported:
                found[s.id] = problems
    if total:
        raise InvalidSupervisionError(found, total)


#: Short alias used by the ``validate`` helpers of higher layers.
validate = validate_supervision


def validate_supervision_set(supervisions: Iterable[SupervisionSegment], **kwargs) -> None:
    """Check every segment of a set (ids are unique by construction of the set)."""
    validate_supervisions(supervisions)
