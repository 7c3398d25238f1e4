"""The storage of eager cut sets and the picklable per-cut callables behind ``CutSet`` methods.

:class:`CutList` keeps cuts in a list (lhotse's cut sets may hold the same id
twice, e.g. after ``repeat(preserve_id=True)``), with an id index built on
first lookup.  The callables (:class:`CutMethod`, :class:`Truncator`,
:class:`Mixer`, :class:`Reverb`) carry their arguments, so lazy sets and
process pools can pickle them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

from nuptse.cut.base import Cut
from nuptse.manifest import ItemListBuilder, ItemStore


class CutList(ItemStore):
    """An eager id -> cut mapping kept as a list: duplicates allowed, positions in O(1).

    Looking up an id gives its first cut.
    """

    __slots__ = ("_cuts", "_index")

    def __init__(self, cuts: list):
        self._cuts = cuts
        self._index: dict | None = None

    def _ids(self) -> dict:
        if self._index is None or len(self._index) > len(self._cuts):
            index: dict = {}
            for i, c in enumerate(self._cuts):
                index.setdefault(c.id, i)
            self._index = index
        return self._index

    def __getitem__(self, key: str) -> Cut:
        return self._cuts[self._ids()[key]]

    def __contains__(self, key: object) -> bool:
        return key in self._ids()

    def __iter__(self) -> Iterator[str]:
        return (c.id for c in self._cuts)

    def __len__(self) -> int:
        return len(self._cuts)

    def values(self) -> list:  # type: ignore[override]
        return self._cuts

    def items(self):  # type: ignore[override]
        return ((c.id, c) for c in self._cuts)

    def keys(self):  # type: ignore[override]
        return [c.id for c in self._cuts]

    def take(self, rows: Sequence[int]) -> CutList:
        cuts = self._cuts
        return CutList([cuts[i] for i in rows])

    def at(self, position: int) -> Cut:
        return self._cuts[position]


class CutListBuilder(ItemListBuilder):
    """Collects deserialized cuts into a :class:`CutList` (duplicate ids kept)."""

    def finish(self, source: Any) -> CutList:
        return CutList(self._items)


# --- picklable callables ----------------------------------------------------------------


class CutMethod:
    """Calls ``cut.<name>(*args, **kwargs)``; with ``many`` returns a list."""

    def __init__(self, name: str, args: tuple, kwargs: dict, many: bool = False):
        self.name, self.args, self.kwargs, self.many = name, args, kwargs, many

    def __call__(self, cut: Cut):
        out = getattr(cut, self.name)(*self.args, **self.kwargs)
        return list(out) if self.many else out


class Truncator:
    def __init__(self, max_duration, offset_type, keep_excessive, preserve_id, rng):
        self.max_duration, self.offset_type = max_duration, offset_type
        self.keep_excessive, self.preserve_id = keep_excessive, preserve_id
        self.rng = rng or random.Random()

    def __call__(self, cut: Cut) -> Cut:
        if cut.duration <= self.max_duration:
            return cut
        spare = cut.duration - self.max_duration
        if self.offset_type == "start":
            offset = 0.0
        elif self.offset_type == "end":
            offset = spare
        else:
            offset = self.rng.uniform(0, spare)
        return cut.truncate(
            offset=offset,
            duration=self.max_duration,
            keep_excessive_supervisions=self.keep_excessive,
            preserve_id=self.preserve_id,
        )


class Mixer:
    def __init__(
        self,
        pool,
        duration,
        allow_padding,
        snr,
        preserve_id,
        mix_prob,
        seed,
        random_offset,
        tag=None,
    ):
        self.pool, self.duration, self.allow_padding = pool, duration, allow_padding
        self.snr, self.preserve_id, self.mix_prob = snr, preserve_id, mix_prob
        self.rng = random.Random(seed)
        self.random_offset = random_offset
        self.tag = tag

    def __call__(self, cut: Cut) -> Cut:
        rng = self.rng
        if rng.random() > self.mix_prob:
            return cut
        target = self.duration if self.duration is not None else cut.duration
        if cut.duration < target:
            cut = cut.pad(duration=target)
        snr = self.snr
        if isinstance(snr, (tuple, list)):
            snr = rng.uniform(*snr)
        noise = rng.choice(self.pool)
        offset = rng.uniform(0, max(target - noise.duration, 0)) if self.random_offset else 0.0
        mixed = cut.mix(
            noise,
            offset_other_by=round(offset, 8),
            snr=snr,
            preserve_id=self.preserve_id,
            tag=self.tag,
        )
        covered = offset + noise.duration
        while covered < target:
            extra = rng.choice(self.pool)
            mixed = mixed.mix(
                extra,
                offset_other_by=round(covered, 8),
                snr=snr,
                preserve_id="left",
                tag=self.tag,
            )
            covered += extra.duration
        if mixed.duration > target:
            mixed = mixed.truncate(duration=target, preserve_id=True)
        return mixed


class Reverb:
    def __init__(self, rirs, affix_id, kwargs):
        self.rirs, self.affix_id, self.kwargs = rirs, affix_id, kwargs
        self.rng = random.Random(kwargs.pop("seed", 42) if "seed" in kwargs else 42)

    def __call__(self, cut: Cut) -> Cut:
        rir = self.rng.choice(self.rirs) if self.rirs else None
        return cut.reverb_rir(rir_recording=rir, affix_id=self.affix_id, **self.kwargs)
