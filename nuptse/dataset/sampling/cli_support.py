"""Helpers for the sampling commands of the ``nuptse`` CLI."""

from __future__ import annotations

from collections.abc import Iterator

from nuptse.dataset.sampling.sources import open_cursor
from nuptse.serialization import Pathlike


def cut_durations(path: Pathlike) -> Iterator:
    """Items with a ``duration`` for every cut of a manifest (duration-only stubs for JSON lines)."""
    from nuptse.cut import CutSet

    name = str(path)
    if name.endswith((".jsonl", ".jsonl.gz")) or name == "-":
        cuts = CutSet.from_jsonl_lazy(path)
    else:
        cuts = CutSet.from_file(path)
    for _, item in open_cursor(cuts, light=True):
        yield item
