"""Cursors over whole cut sources: lazy graphs with several inputs, and the dispatcher.

:func:`open_cursor` builds the cursor for any source (an eager or lazy
manifest set, a list, any iterable) by walking its lazy graph; the cursors
here are the ones that open cursors for their own inputs (chains, muxes,
repeats).  See :mod:`nuptse.dataset.sampling.cursor` for the protocol.
"""

from __future__ import annotations

import random
from typing import Any

from nuptse.dataset.sampling.cursor import (
    Cursor,
    FilterCursor,
    IterCursor,
    ListCursor,
    MapCursor,
    ShuffleCursor,
    SliceCursor,
    Stub,
    _child_key,
    _prefixed,
    _rng_from,
    _rng_state,
    eager_items,
)
from nuptse.dataset.sampling.jsonl_cursor import open_jsonl_cursor


class _MultiSource(Cursor):
    """Shared parts of cursors over several sources (keys are ``(index, *key)``)."""

    def __init__(self, sources: list, light: bool):
        self.sources = sources
        self.light = light
        self._fetchers: dict[int, Cursor] = {}

    def _open(self, i: int) -> Cursor:
        return open_cursor(self.sources[i], light=self.light)

    def _fetcher(self, i: int) -> Cursor:
        if i not in self._fetchers:
            self._fetchers[i] = self._open(i)
        return self._fetchers[i]

    def fetch_many(self, keys, light=False):
        groups: dict[int, list[int]] = {}
        for pos, k in enumerate(keys):
            groups.setdefault(k[0], []).append(pos)
        out: list = [None] * len(keys)
        for i, positions in groups.items():
            items = self._fetcher(i).fetch_many([_child_key(keys[p]) for p in positions], light)
            for p, item in zip(positions, items):
                out[p] = item
        return out


class ChainCursor(_MultiSource):
    """Sources one after another."""

    def __init__(self, sources: list, light: bool = False):
        super().__init__(sources, light)
        self.i = 0
        self.cur: Cursor | None = None

    def next(self):
        while self.i < len(self.sources):
            if self.cur is None:
                self.cur = self._open(self.i)
            try:
                k, item = self.cur.next()
            except StopIteration:
                self.i += 1
                self.cur = None
                continue
            return _prefixed(self.i, k), item
        raise StopIteration

    def tell(self):
        return (self.i, None if self.cur is None else self.cur.tell())

    def seek(self, pos):
        self.i, inner = pos
        self.cur = None
        if inner is not None and self.i < len(self.sources):
            self.cur = self._open(self.i)
            self.cur.seek(inner)


class MuxCursor(_MultiSource):
    """Random interleaving, drawn exactly as :class:`nuptse.lazy.LazyMux` draws."""

    def __init__(self, sources, weights, seed, stop_early: bool, light: bool = False):
        super().__init__(sources, light)
        # The mux's own weights object: changed in place, it changes the draws.
        self.weights, self.seed, self.stop_early = weights, seed, stop_early
        self.rng: random.Random | None = None
        self.curs: list[Cursor] | None = None
        self.active: list[int] = []
        self.done = False

    def _start(self):
        from nuptse.lazy import resolve_seed

        self.rng = random.Random(resolve_seed(self.seed))
        self.curs = [self._open(i) for i in range(len(self.sources))]
        self.active = list(range(len(self.sources)))  # not exhausted

    def next(self):
        from nuptse.lazy import live_weights

        if self.curs is None:
            self._start()
        while not self.done:
            live = live_weights(self.weights, self.active)
            if not live:
                break
            (idx,) = self.rng.choices(list(live), weights=list(live.values()))
            try:
                k, item = self.curs[idx].next()
            except StopIteration:
                if self.stop_early:
                    self.done = True
                    break
                self.active.remove(idx)
                continue
            return _prefixed(idx, k), item
        raise StopIteration

    def tell(self):
        if self.curs is None:
            return None
        return (_rng_state(self.rng), [c.tell() for c in self.curs], list(self.active), self.done)

    def seek(self, pos):
        if pos is None:
            self.curs = None
            return
        rng_state, positions, active, done = pos
        self.rng = _rng_from(rng_state)
        self.curs = [self._open(i) for i in range(len(self.sources))]
        for c, p in zip(self.curs, positions):
            c.seek(p)
        self.active, self.done = list(active), done


class RepeatCursor(Cursor):
    """``source`` repeated ``times`` times (forever for None); ids of later rounds get ``_repeat{n}``."""

    def __init__(self, source, times: int | None, preserve_id: bool, light: bool = False):
        self.source, self.times, self.preserve_id = source, times, preserve_id
        self.light = light
        self.round = 0
        self.produced = False
        self.cur: Cursor | None = None
        self._fetcher: Cursor | None = None

    def _rename(self, item, rnd: int):
        if self.preserve_id or type(item) is Stub:
            return item
        from nuptse.lazy import attach_repeat_idx_to_id

        return attach_repeat_idx_to_id(item, rnd)

    def next(self):
        while self.times is None or self.round < self.times:
            if self.cur is None:
                self.cur = open_cursor(self.source, light=self.light)
            try:
                k, item = self.cur.next()
            except StopIteration:
                if not self.produced:
                    break
                self.round += 1
                self.produced = False
                self.cur = None
                continue
            self.produced = True
            return _prefixed(self.round, k), self._rename(item, self.round)
        raise StopIteration

    def tell(self):
        return (self.round, self.produced, None if self.cur is None else self.cur.tell())

    def seek(self, pos):
        self.round, self.produced, inner = pos
        self.cur = None
        if inner is not None:
            self.cur = open_cursor(self.source, light=self.light)
            self.cur.seek(inner)

    def fetch_many(self, keys, light=False):
        if self._fetcher is None:
            self._fetcher = open_cursor(self.source, light=self.light)
        items = self._fetcher.fetch_many([_child_key(k) for k in keys], light)
        return [self._rename(x, k[0]) for k, x in zip(keys, items)]


def open_cursor(source: Any, light: bool = False) -> Cursor:
    """A cursor over ``source`` (a manifest set, a lazy node, a list, any iterable).

    ``light=True`` lets JSON-lines readers below routing nodes yield :class:`Stub` items.
    """
    from nuptse.lazy import (
        LazyChain,
        LazyDeserializer,
        LazyFilter,
        LazyMapper,
        LazyMux,
        LazyRepeater,
        LazyShuffler,
        LazySlicer,
    )
    from nuptse.manifest import ManifestSet

    if isinstance(source, ManifestSet):
        if not source.is_lazy:
            return ListCursor(eager_items(source))
        return open_cursor(source.data, light)
    kind = type(source)
    if kind is LazyDeserializer:
        jsonl = open_jsonl_cursor(source, light)
        if jsonl is not None:
            return jsonl
    elif kind is LazyFilter:
        return FilterCursor(open_cursor(source.source), source.predicate)
    elif kind is LazyMapper:
        return MapCursor(open_cursor(source.source), source.fn)
    elif kind is LazyChain:
        return ChainCursor(list(source.sources), light)
    elif kind is LazyMux:
        return MuxCursor(list(source.sources), source.weights, source.seed, source.stop_early, light)
    elif kind is LazyShuffler and getattr(source, "_rng_state", None) is None:
        if getattr(source, "_live_rng", None) is None:  # seeded reservoir shuffle
            return ShuffleCursor(open_cursor(source.source, light), source.buffer_size, source.seed)
    elif kind is LazySlicer:
        return SliceCursor(open_cursor(source.source, light), source.start, source.stop, source.step)
    elif kind is LazyRepeater:
        return RepeatCursor(source.source, source.times, source.preserve_id, light)
    elif isinstance(source, (list, tuple)):
        return ListCursor(source)
    elif isinstance(source, dict):
        return ListCursor(list(source.values()))
    return IterCursor(source)
