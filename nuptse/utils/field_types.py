"""Type checks for manifest fields read from files, with messages naming item and field.

A manifest written by hand or by another tool may hold ``"duration": "3.2"``,
``"sampling_rate": 16000.5`` or ``"channel": "x"``. Accepted silently, such a
value fails much later with a bare ``TypeError`` far from its cause, or is
used as if it were right. :func:`check_fields` rejects it where the item is
built, with a :class:`ManifestFieldError` (a ``ValueError``) that names the
item, the field, the value and what was expected.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

__all__ = [
    "ManifestFieldError",
    "check_fields",
    "field_problems",
    "NUMBER",
    "INT",
    "POSITIVE_INT",
    "CHANNEL",
]


class ManifestFieldError(ValueError):
    """A manifest field holds a value of the wrong type or range."""


NUMBER = "a finite number"
INT = "a whole number"
POSITIVE_INT = "a positive whole number"
CHANNEL = "a channel number or a list of channel numbers"


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v: Any) -> bool:
    # 16000.0 is accepted (JSON writers sometimes emit it); 16000.5 is not.
    if isinstance(v, bool):
        return False
    if isinstance(v, numbers.Integral):
        return True
    return isinstance(v, float) and math.isfinite(v) and v.is_integer()


def _is_channel(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0


def _ok(v: Any, kind: str) -> bool:
    # Exact built-in types first: every manifest line passes here, and the
    # numbers ABC checks below cost several times more than these.
    t = type(v)
    if kind == NUMBER:
        if t is float:
            return math.isfinite(v)
        return t is int or _is_number(v)
    if kind == INT:
        return t is int or _is_int(v)
    if kind == POSITIVE_INT:
        return (v > 0) if t is int else (_is_int(v) and v > 0)
    if kind == CHANNEL:
        if t is int:
            return v >= 0
        if t is list or t is tuple:
            return bool(v) and all(
                (c >= 0) if type(c) is int else _is_channel(c) for c in v
            )
        return _is_channel(v)
    raise ValueError(f"unknown field kind {kind!r}")


def field_problems(fields: Iterable[tuple[str, Any, str]]) -> list[str]:
    """One message per wrong ``(name, value, kind)`` (``None`` values are skipped).

    >>> field_problems([("duration", "2", NUMBER), ("channel", [0, "a"], CHANNEL)])
    ["field 'duration' must be a finite number, got '2' (str)", "field 'channel' must be a channel number or a list of channel numbers, got [0, 'a'] (list)"]
    """
    return [
        f"field {name!r} must be {kind}, got {value!r} ({type(value).__name__})"
        for name, value, kind in fields
        if value is not None and not _ok(value, kind)
    ]


def check_fields(item_kind: str, item_id: Any, fields: Iterable[tuple[str, Any, str]]) -> None:
    """Raise :class:`ManifestFieldError` for the first ``(name, value, kind)`` that is wrong.

    ``None`` values are left to the caller (optional fields).

    >>> check_fields("supervision", "s1", [("duration", 1.5, NUMBER), ("channel", 0, CHANNEL)])
    >>> check_fields("recording", "r1", [("sampling_rate", 8000.5, POSITIVE_INT)])
    Traceback (most recent call last):
    ...
    nuptse.utils.field_types.ManifestFieldError: recording 'r1': field 'sampling_rate' must be a positive whole number, got 8000.5 (float)
    """
    fields = tuple(fields)
    for _, value, kind in fields:
        if value is not None and not _ok(value, kind):
            problems = field_problems(fields)
            raise ManifestFieldError(f"{item_kind} {item_id!r}: " + "; ".join(problems))
