"""The storage of eager cut sets and the picklable per-cut callables behind ``CutSet`` methods.

:class:`CutList` keeps cuts in a list (lhotse's cut sets may hold the same id
twice, e.g. after ``repeat(preserve_id=True)``), with an id index built on
first lookup.  The callables (:class:`CutMethod`, :class:`Truncator`,
:class:`Mixer`, :class:`Reverb`) carry their arguments, so lazy sets and
process pools can pickle them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from nuptse.cut.base import Cut, CutError
from nuptse.lazy import LazyNode, resolve_seed
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


class LazyCutMixer(LazyNode):
    """Mixes a cut of ``mix_in_cuts`` (e.g. noise) into each cut of ``cuts`` on the fly.

    Each pass draws from its own RNG (``seed`` plus the number of earlier
    passes, so repeated passes differ but a run is reproducible).  Noise cuts
    come in a reshuffled order each noise epoch and are chained at the end
    of each other until they cover the cut (or ``duration``); with
    ``random_mix_offset`` a long noise cut is read from a random offset.
    """

    def __init__(
        self,
        cuts,
        mix_in_cuts,
        duration: float | None = None,
        allow_padding: bool = False,
        snr=20,
        preserve_id: str | None = None,
        mix_prob: float = 1.0,
        seed: Any = 42,
        random_mix_offset: bool = False,
        tag: str | None = None,
    ):
        if not 0.0 <= mix_prob <= 1.0:
            raise CutError(f"mix_prob must be in [0, 1], got {mix_prob}")
        if duration is not None and duration <= 0:
            raise CutError(f"mix duration must be > 0, got {duration}")
        if isinstance(snr, (tuple, list)) and len(snr) != 2:
            raise CutError(f"an SNR range has two values, got {snr}")
        self.source, self.mix_in_cuts = cuts, mix_in_cuts
        self.duration, self.allow_padding, self.snr = duration, allow_padding, snr
        self.preserve_id, self.mix_prob, self.seed = preserve_id, mix_prob, seed
        self.random_mix_offset, self.tag = random_mix_offset, tag
        self.passes = 0

    def _rng(self) -> random.Random:
        if isinstance(self.seed, random.Random):
            return self.seed
        if self.seed in ("trng", "randomized"):
            return random.Random(resolve_seed("trng"))
        rng = random.Random(resolve_seed(self.seed) + self.passes)
        self.passes += 1
        return rng

    def _noise(self, rng: random.Random):
        if self.mix_in_cuts.is_lazy:
            yield from self.mix_in_cuts.repeat().shuffle(rng=rng, buffer_size=2000)
        pool = list(self.mix_in_cuts)
        if not pool:
            raise CutError("CutSet.mix got an empty set of cuts to mix in")
        while True:
            order = list(pool)
            rng.shuffle(order)
            yield from order

    def _fit(self, cut: Cut, target: float, rng: random.Random) -> Cut:
        if self.random_mix_offset and cut.duration > target:
            return cut.truncate(offset=rng.uniform(0, cut.duration - target), duration=target)
        return cut

    def __iter__(self):
        rng = self._rng()
        noise = self._noise(rng)
        for cut in self.source:
            if rng.uniform(0.0, 1.0) > self.mix_prob:
                yield cut
                continue
            snr = rng.uniform(*self.snr) if isinstance(self.snr, (tuple, list)) else self.snr
            # 50 ms less than the target, so that no noise piece ends up with no frames
            target = round(self.duration if self.duration is not None else cut.duration - 0.05, 8)
            piece = self._fit(next(noise), target, rng)
            mixed = cut.mix(piece, snr=snr, preserve_id=self.preserve_id, tag=self.tag)
            covered = piece.duration
            while covered < target - 0.05:
                piece = self._fit(next(noise), target - covered, rng)
                mixed = mixed.mix(
                    piece,
                    snr=snr,
                    offset_other_by=covered,
                    allow_padding=self.allow_padding,
                    preserve_id=self.preserve_id,
                    tag=self.tag,
                )
                covered = round(covered + piece.duration, 8)
            yield mixed.truncate(
                duration=self.duration if self.duration is not None else cut.duration,
                preserve_id=self.preserve_id is not None,
            )

    def __len__(self) -> int:
        return len(self.source)


class Reverb:
    def __init__(self, rirs, affix_id, kwargs):
        self.rirs, self.affix_id, self.kwargs = rirs, affix_id, kwargs
        self.rng = random.Random(kwargs.pop("seed", 42) if "seed" in kwargs else 42)

    def __call__(self, cut: Cut) -> Cut:
        rir = self.rng.choice(self.rirs) if self.rirs else None
        return cut.reverb_rir(rir_recording=rir, affix_id=self.affix_id, **self.kwargs)


# --- small picklable callables for CutSet methods -------------------------------------------------------------


class IsType:
    def __init__(self, cls: type):
        self.cls = cls

    def __call__(self, cut: Cut) -> bool:
        return isinstance(cut, self.cls)


class NewId:
    def __init__(self, fn: Callable[[str], str]):
        self.fn = fn

    def __call__(self, cut: Cut) -> Cut:
        return cut.with_id(self.fn(cut.id))


class TextTransform:
    def __init__(self, fn: Callable[[str], str]):
        self.fn = fn

    def __call__(self, sup):
        return sup.transform_text(self.fn) if sup.text is not None else sup


class InIds:
    def __init__(self, ids: set):
        self.ids = ids

    def __call__(self, sup) -> bool:
        return sup.id in self.ids


class HasSupervisions:
    def __call__(self, cut: Cut) -> bool:
        return len(cut.supervisions) > 0


class Loudness:
    def __init__(self, target: float, mix_first: bool, affix_id: bool):
        self.target, self.mix_first, self.affix_id = target, mix_first, affix_id

    def __call__(self, cut: Cut) -> Cut:
        if hasattr(cut, "tracks"):  # a MixedCut
            return cut.normalize_loudness(
                target=self.target, mix_first=self.mix_first, affix_id=self.affix_id
            )
        return cut.normalize_loudness(target=self.target, affix_id=self.affix_id)


class ShuffledChain(LazyNode):
    """Several lazy sources read one after another; with ``shuffle`` their order is
    reshuffled at the start of every pass (from ``seed`` plus the pass number, or
    from Python's global RNG without a seed)."""

    def __init__(self, sources: list, shuffle: bool, seed: int | str | None):
        self.sources, self.shuffle, self.seed = list(sources), shuffle, seed
        self.passes = 0

    def __iter__(self):
        if self.shuffle:
            from nuptse.lazy import resolve_seed

            rng = (
                random
                if self.seed is None
                else random.Random(resolve_seed(self.seed) + self.passes)
            )
            rng.shuffle(self.sources)  # in place: each pass permutes the previous order
            self.passes += 1
        for src in list(self.sources):
            yield from src

    def __len__(self) -> int:
        return sum(len(s) for s in self.sources)
