"""RTTM (speaker turns) and CTM (time-marked words) text formats.

RTTM lines have ten space-separated fields::

    SPEAKER <file-id> <channel> <onset> <duration> <NA> <NA> <speaker> <NA> <NA>

The RTTM channel field is **1-indexed** (NIST, dscore), while nuptse
channels, like the channels of a :class:`~nuptse.audio.Recording`, are
0-indexed.  :func:`read_rttm` therefore stores ``channel = field - 1`` by
default (``channel_base=1``); pass ``channel_base=0`` to keep the number as
written, which is what lhotse 1.33 does.

CTM lines are ``<recording-id> <channel> <start> <duration> <symbol> [<score>]``
with a **0-indexed** channel (the supervision's own channel, as lhotse reads
and writes it).

Blank lines and lines starting with ``;;`` or ``#`` are skipped in both
formats.  A malformed line raises :class:`RttmParseError` or
:class:`CtmParseError`, which name the file and the 1-based line number.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from nuptse.serialization import ManifestParseError, Pathlike, atomic_output, open_best
from nuptse.supervision.segment import SupervisionSegment

logger = logging.getLogger(__name__)


class RttmParseError(ManifestParseError):
    """A line of an RTTM file is malformed."""


class CtmParseError(ManifestParseError):
    """A line of a CTM file is malformed."""


#: RTTM record types other than SPEAKER; they carry no speaker turn and are skipped.
_RTTM_OTHER_TYPES = frozenset(
    {
        "SEGMENT",
        "NOSCORE",
        "NO_RT_METADATA",
        "LEXEME",
        "NON-LEX",
        "NON-SPEECH",
        "FILLER",
        "EDIT",
        "IP",
        "CB",
        "A/P",
        "SU",
        "SPKR-INFO",
    }
)


def _is_comment(parts: list[str]) -> bool:
    return not parts or parts[0].startswith(";;") or parts[0].startswith("#")


def _time(value: str, what: str, path, line_no: int, error: type) -> float:
    try:
        x = float(value)
    except ValueError:
        raise error(path, line_no, f"{what} {value!r} is not a number") from None
    if not math.isfinite(x) or x < 0:
        raise error(path, line_no, f"{what} must be a finite number >= 0, got {value!r}")
    return x


def _lines(path: Pathlike) -> Iterator[tuple[int, list[str]]]:
    with open_best(path, "r") as f:
        for line_no, line in enumerate(f, start=1):
            yield line_no, line.split()


def read_rttm(
    path: Pathlike | Iterable[Pathlike], channel_base: int = 1
) -> list[SupervisionSegment]:
    """Speaker turns of one or more RTTM files as supervision segments.

    Segment ids are ``{file_id}-{line_index:06d}`` (the 0-based line index in
    its file).  Turns of zero duration are skipped, as are RTTM record types
    other than ``SPEAKER``.  ``channel = field - channel_base``.
    """
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    segments: list[SupervisionSegment] = []
    seen: dict[str, tuple[str, int]] = {}
    for file in paths:
        for line_no, parts in _lines(file):
            if _is_comment(parts):
                continue
            if len(parts) != 10:
                raise RttmParseError(
                    file, line_no, f"expected 10 fields, found {len(parts)}: {' '.join(parts)!r}"
                )
            kind = parts[0]
            if kind != "SPEAKER":
                if kind.upper() in _RTTM_OTHER_TYPES:
                    continue
                raise RttmParseError(file, line_no, f"unknown RTTM record type {kind!r}")
            recording_id = parts[1]
            try:
                channel = int(parts[2]) - channel_base
            except ValueError:
                raise RttmParseError(
                    file, line_no, f"channel {parts[2]!r} is not an integer"
                ) from None
            if channel < 0:
                raise RttmParseError(
                    file,
                    line_no,
                    f"channel {parts[2]} is below {channel_base} (RTTM channels are "
                    f"{channel_base}-indexed here; see channel_base)",
                )
            start = _time(parts[3], "onset", file, line_no, RttmParseError)
            duration = _time(parts[4], "duration", file, line_no, RttmParseError)
            if duration == 0:
                continue
            sid = f"{recording_id}-{line_no - 1:06d}"
            if sid in seen:
                first = seen[sid]
                raise RttmParseError(
                    file,
                    line_no,
                    f"segment id {sid!r} was already made from {first[0]}, line {first[1]} "
                    "(two RTTM files describe the same recording)",
                )
            seen[sid] = (str(file), line_no)
            segments.append(
                SupervisionSegment(
                    id=sid,
                    recording_id=recording_id,
                    start=start,
                    duration=duration,
                    channel=channel,
                    speaker=parts[7],
                )
            )
    return segments


class CtmLine(NamedTuple):
    """One parsed CTM line."""

    recording_id: str
    channel: int | str
    start: float
    duration: float
    symbol: str
    score: float | None
    line_no: int


def read_ctm(path: Pathlike, verbose: bool = False) -> list[CtmLine]:
    """All entries of a CTM file (a channel that is not an integer stays a string)."""
    out: list[CtmLine] = []
    lines: Iterable = _lines(path)
    if verbose:
        from tqdm import tqdm

        lines = tqdm(lines, desc="Reading words from CTM file")
    for line_no, parts in lines:
        if _is_comment(parts):
            continue
        if len(parts) < 5:
            raise CtmParseError(
                path,
                line_no,
                f"expected at least 5 fields (recording channel start duration symbol), "
                f"found {len(parts)}: {' '.join(parts)!r}",
            )
        try:
            channel: int | str = int(parts[1])
        except ValueError:
            channel = parts[1]
        start = _time(parts[2], "start", path, line_no, CtmParseError)
        duration = _time(parts[3], "duration", path, line_no, CtmParseError)
        score = None
        if len(parts) > 5 and parts[5] not in ("<NA>", "NA"):
            try:
                score = float(parts[5])
            except ValueError:
                raise CtmParseError(path, line_no, f"score {parts[5]!r} is not a number") from None
        out.append(CtmLine(parts[0], channel, start, duration, parts[4], score, line_no))
    return out


def format_time(x: float) -> str:
    """A time for a CTM file: 2 decimals when exact, otherwise up to 8.

    >>> format_time(0.1), format_time(0.329), format_time(2)
    ('0.10', '0.329', '2.00')
    """
    for ndigits in range(2, 9):
        text = f"{x:.{ndigits}f}"
        if float(text) == x:
            return text
    return f"{x:.8f}"


def write_ctm(segments: Iterable[SupervisionSegment], path: Pathlike, type: str = "word") -> int:
    """Write the ``type`` alignments of ``segments`` as CTM; returns the line count.

    The channel written is the segment's (its first one for a multi-channel
    segment).  Items with an empty symbol (silences) are left out, since CTM
    cannot represent them; a symbol containing whitespace raises ValueError.
    Times use 2 decimals (as lhotse writes them) unless more are needed to
    keep the value exact; scores are written in their shortest exact form.
    """
    written = 0
    with atomic_output(path, "w") as f:
        for s in segments:
            items = s.alignment.get(type) if s.alignment else None
            if not items:
                continue
            channel = s.channel[0] if isinstance(s.channel, list) else s.channel
            for item in items:
                symbol = item.symbol
                if not symbol:
                    continue
                if len(symbol.split()) != 1 or symbol != symbol.strip():
                    raise ValueError(
                        f"{path}: supervision {s.id!r} has a {type} symbol with whitespace "
                        f"({symbol!r}), which CTM cannot hold"
                    )
                fields = [
                    s.recording_id,
                    str(channel),
                    format_time(item.start),
                    format_time(item.duration),
                    symbol,
                ]
                if item.score is not None:
                    fields.append(repr(float(item.score)))
                f.write(" ".join(fields) + "\n")
                written += 1
    return written
