"""Operations on a cut's supervisions as a whole: merging them into one and
filling the cut with one.

:func:`merge_supervisions` joins the supervisions of a cut (per channel group
when asked): the span covers them all, texts are joined with spaces and other
string fields (ids included) become ``cat#a#b`` (or the first value with
``merge_policy="keep_first"``).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from nuptse.cut.registry import CutError, to_list
from nuptse.timing import add_durations


class SupervisionShrinkError(CutError):
    """Filling a cut would shrink a supervision that sticks out of it."""


class TooManySupervisionsError(CutError, AssertionError):
    """``fill_supervision`` met a cut with several supervisions."""


def merge_with_delimiter(
    values: Iterable[Any], prefix: str = "cat", delimiter: str = "#", return_first: bool = False
) -> Any:
    """``cat#a#b`` for several values, the value itself for one, ``None`` for none.

    >>> merge_with_delimiter(["a", "b"]), merge_with_delimiter(["a"]), merge_with_delimiter([])
    ('cat#a#b', 'a', None)
    """
    values = list(values)
    if not values:
        return None
    if len(values) == 1 or return_first:
        return values[0]
    return delimiter.join([prefix, *values])


def _merge_group(cut, sups: list, channel, merge_fn, merge_custom):
    from nuptse.supervision import SupervisionSegment

    start = sups[0].start
    end = max(s.end for s in sups)
    custom_keys = sorted({k for s in sups for k in (s.custom or {})})
    ali_keys = sorted({k for s in sups for k in (s.alignment or {})})
    if any(b.start < a.end for a, b in zip(sups, sups[1:])) and any(s.text for s in sups):
        warnings.warn(
            f"cut {cut.id!r}: merging overlapping supervisions that carry text; the "
            f"joined transcript does not follow the audio",
            stacklevel=3,
        )
    custom = {
        k: merge_custom(k, [s.custom[k] for s in sups if s.custom and k in s.custom])
        for k in custom_keys
    }
    alignment = {
        k: [item for s in sups if s.alignment and k in s.alignment for item in s.alignment[k]]
        for k in ali_keys
    }
    return SupervisionSegment(
        id=merge_fn(s.id for s in sups),
        recording_id=sups[0].recording_id,
        start=start,
        duration=add_durations(end, -start, sampling_rate=cut.sampling_rate),
        channel=channel,
        text=" ".join(s.text for s in sups if s.text),
        speaker=merge_fn(s.speaker for s in sups if s.speaker),
        language=merge_fn(s.language for s in sups if s.language),
        gender=merge_fn(s.gender for s in sups if s.gender),
        custom=custom or None,
        alignment=alignment or None,
    )


def merge_supervisions(
    cut,
    merge_policy: str = "delimiter",
    custom_merge_fn: Callable[[str, Iterable[Any]], Any] | None = None,
    merge_channels: bool = True,
) -> list:
    """The merged supervisions of ``cut`` (one, or one per channel group without
    ``merge_channels``); ``cut.supervisions`` itself when there are fewer than two."""
    if merge_policy not in ("delimiter", "keep_first"):
        raise CutError(f"merge_policy must be 'delimiter' or 'keep_first', got {merge_policy!r}")
    keep_first = merge_policy == "keep_first"

    def merge_fn(values):
        return merge_with_delimiter(values, return_first=keep_first)

    merge_custom = custom_merge_fn or (lambda k, vs: merge_fn(map(str, vs)))
    sups = sorted(cut.supervisions, key=lambda s: s.start)
    if len(sups) <= 1:
        return list(cut.supervisions)
    if isinstance(cut.channel, list):
        if merge_channels:
            channels = sorted({c for s in sups for c in to_list(s.channel)})
            groups = {tuple(channels): sups}
        else:
            groups = {}
            for s in sups:
                groups.setdefault(tuple(to_list(s.channel)), []).append(s)
        return [_merge_group(cut, g, list(ch), merge_fn, merge_custom) for ch, g in groups.items()]
    return [_merge_group(cut, sups, sups[0].channel, merge_fn, merge_custom)]


def filled_supervisions(cut, add_empty: bool = True, shrink_ok: bool = False) -> list | None:
    """The supervisions of ``cut`` after filling it with its one supervision
    (``None`` when nothing changes)."""
    from nuptse.supervision import SupervisionSegment

    sups = cut.supervisions
    if not sups:
        if not add_empty:
            return None
        return [
            SupervisionSegment(
                id=cut.id,
                recording_id=cut.recording_id,
                start=0,
                duration=cut.duration,
                channel=cut.channel,
            )
        ]
    if len(sups) > 1:
        raise TooManySupervisionsError(
            f"cut {cut.id!r} has {len(sups)} supervisions; fill_supervision expands only one"
        )
    sup = sups[0]
    if math.isclose(sup.start, 0) and math.isclose(sup.duration, cut.duration):
        return None
    if (sup.start < 0 or sup.end > cut.duration) and not shrink_ok:
        raise SupervisionShrinkError(
            f"cut {cut.id!r}: supervision {sup.id!r} ({sup.start}s to {sup.end}s) sticks out "
            f"of the cut (0s to {cut.duration}s); filling would cut off part of it (and of "
            f"what was said). Pass shrink_ok=True if that is intended."
        )
    return [dataclasses.replace(sup, start=0, duration=cut.duration)]
