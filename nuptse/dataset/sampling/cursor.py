"""Resumable readers of cut sources: positions instead of replays.

A :class:`Cursor` walks a cut source (an eager or lazy ``CutSet``, a mux,
a JSON-lines file...) and can say where it is (:meth:`Cursor.tell`), jump
back there in a fresh process (:meth:`Cursor.seek`) and read again any item
it yielded before from that item's *key* (:meth:`Cursor.fetch_many`).
Samplers keep positions and keys in their ``state_dict``, so restoring a
sampler takes the same time wherever in the epoch it stopped:

* an eager set: the index in the (possibly permuted) list;
* a plain JSON-lines file: byte offsets (keys are the offsets of lines);
* lazy graph nodes (filter, map, chain, mux, shuffle, slice, repeat):
  their own small state (RNG state, counters) plus their inputs' positions;
* anything else (Shar readers, generators, gzipped files): the number of
  items read, resumed by reading that many items again (no sampling
  replay, but linear in the position).

Keys are ints or flat tuples of ints (``(source_index, *key)`` for
multi-source nodes); :func:`pack_keys` stores long key lists compactly.

A cursor opened with ``light=True`` may yield :class:`Stub` items that only
carry a ``duration`` (JSON-lines input decodes nothing else); the sampler
then fetches the full cuts by key when it emits a batch.  That keeps large
bucketing buffers small.
"""

from __future__ import annotations

import random
import zlib
from array import array
from collections.abc import Callable, Iterable
from itertools import accumulate
from typing import Any

import msgspec

from nuptse.dataset.sampling.base import SamplerStateError

Key = Any  # int | tuple[int, ...]


class NotResumableError(SamplerStateError):
    """The source cannot be read again from a position (e.g. a one-shot generator)."""


class Stub(msgspec.Struct, gc=False):
    """Stand-in for a cut that only knows its duration (see ``light`` cursors).

    A msgspec struct, so that a JSON line decodes straight into it (the
    decoder skips every other field).
    """

    duration: float | None = None


# --- key lists ------------------------------------------------------------------------


def _pack_ints(values: list[int]) -> bytes:
    deltas = array("q", [values[0]] if values else [])
    deltas.extend(b - a for a, b in zip(values, values[1:]))
    return zlib.compress(deltas.tobytes(), 6)


def _unpack_ints(blob: bytes) -> list[int]:
    deltas = array("q")
    deltas.frombytes(zlib.decompress(blob))
    return list(accumulate(deltas))


def pack_keys(keys: list) -> tuple:
    """A compact, picklable form of a list of keys (delta-coded, compressed columns).

    >>> unpack_keys(pack_keys([5, 9, 7]))
    [5, 9, 7]
    >>> unpack_keys(pack_keys([(0, 12), (1, 3)]))
    [(0, 12), (1, 3)]
    """
    if all(type(k) is int for k in keys):
        return ("i", _pack_ints(keys))
    if keys and all(type(k) is tuple for k in keys):
        width = len(keys[0])
        if all(len(k) == width and all(type(v) is int for v in k) for k in keys):
            return ("t", width, [_pack_ints([k[i] for k in keys]) for i in range(width)])
    return ("l", list(keys))


def unpack_keys(packed: tuple) -> list:
    kind = packed[0]
    if kind == "i":
        return _unpack_ints(packed[1])
    if kind == "t":
        columns = [_unpack_ints(blob) for blob in packed[2]]
        return list(zip(*columns))
    if kind == "l":
        return list(packed[1])
    raise SamplerStateError(f"unknown packed key format {kind!r}")


def _child_key(key: tuple) -> Key:
    rest = key[1:]
    return rest[0] if len(rest) == 1 else rest


def _prefixed(index: int, key: Key) -> tuple:
    return (index, *key) if type(key) is tuple else (index, key)


def _rng_state(rng: random.Random) -> tuple:
    return rng.getstate()


def _rng_from(state) -> random.Random:
    rng = random.Random()
    version, internal, gauss = state
    rng.setstate((version, tuple(internal), gauss))
    return rng


# --- the protocol ---------------------------------------------------------------------


class Cursor:
    """Sequential reader with positions (see the module docstring)."""

    light = False

    def next(self) -> tuple[Key, Any]:
        """The next ``(key, item)``; raises ``StopIteration`` at the end."""
        raise NotImplementedError

    def tell(self) -> Any:
        """The position of the next item (picklable builtins)."""
        raise NotImplementedError

    def seek(self, pos: Any) -> None:
        """Continue from a position ``tell`` gave (possibly in another process)."""
        raise NotImplementedError

    def fetch_many(self, keys: list, light: bool = False) -> list:
        """The items with these keys (full items unless ``light`` and the cursor is light)."""
        raise NotImplementedError

    def __iter__(self):
        while True:
            try:
                yield self.next()
            except StopIteration:
                return


class ListCursor(Cursor):
    """Items of an in-memory sequence, optionally in a given order (key = index)."""

    def __init__(self, items, order: list[int] | None = None):
        self.items = items
        self.order = order
        self.i = 0

    def next(self):
        i = self.i
        order = self.order
        if i >= (len(self.items) if order is None else len(order)):
            raise StopIteration
        self.i = i + 1
        k = i if order is None else order[i]
        return k, self.items[k]

    def tell(self):
        return self.i

    def seek(self, pos):
        self.i = pos

    def fetch_many(self, keys, light=False):
        items = self.items
        return [items[k] for k in keys]


def eager_items(source) -> list:
    """The items of an eager manifest set (or sequence), in iteration order."""
    return source if isinstance(source, list) else list(source)


class IterCursor(Cursor):
    """Any iterable; position = number of items read, resumed by reading them again."""

    def __init__(self, iterable: Iterable):
        self.iterable = iterable
        self._it = None
        self.n = 0

    def _one_shot(self) -> bool:
        return iter(self.iterable) is self.iterable

    def __getstate__(self):
        # an open iterator cannot be pickled: a copy re-reads up to the same position
        state = dict(self.__dict__)
        state["_it"] = None
        return state

    def next(self):
        if self._it is None:
            self._it = iter(self.iterable)
            for _ in range(self.n):  # resuming a pickled copy
                next(self._it)
        item = next(self._it)
        k = self.n
        self.n += 1
        return k, item

    def tell(self):
        return self.n

    def seek(self, pos):
        if pos == self.n and self._it is not None:
            return
        if self._one_shot():
            raise NotResumableError(
                f"cannot resume a one-shot iterator ({type(self.iterable).__name__}) at item {pos}"
            )
        self._it = iter(self.iterable)
        for _ in range(pos):
            next(self._it)
        self.n = pos

    def fetch_many(self, keys, light=False):
        if not keys:
            return []
        if self._one_shot():
            raise NotResumableError(
                f"cannot re-read items of a one-shot iterator ({type(self.iterable).__name__})"
            )
        wanted = set(keys)
        found = {}
        last = max(wanted)
        for i, item in enumerate(self.iterable):
            if i in wanted:
                found[i] = item
            if i >= last:
                break
        missing = wanted - set(found)
        if missing:
            raise NotResumableError(f"the source ended before items {sorted(missing)[:5]}")
        return [found[k] for k in keys]


class FilterCursor(Cursor):
    def __init__(self, inner: Cursor, predicate: Callable[[Any], bool]):
        self.inner, self.predicate = inner, predicate

    def next(self):
        inner, pred = self.inner, self.predicate
        while True:
            k, item = inner.next()
            if pred(item):
                return k, item

    def tell(self):
        return self.inner.tell()

    def seek(self, pos):
        self.inner.seek(pos)

    def fetch_many(self, keys, light=False):
        return self.inner.fetch_many(keys)


class MapCursor(Cursor):
    def __init__(self, inner: Cursor, fn: Callable[[Any], Any]):
        self.inner, self.fn = inner, fn

    def next(self):
        k, item = self.inner.next()
        return k, self.fn(item)

    def tell(self):
        return self.inner.tell()

    def seek(self, pos):
        self.inner.seek(pos)

    def fetch_many(self, keys, light=False):
        return [self.fn(x) for x in self.inner.fetch_many(keys)]


class ShuffleCursor(Cursor):
    """Buffered shuffle, drawn exactly as :class:`nuptse.lazy.LazyShuffler` draws.

    ``seed`` is resolved when iteration starts (so ``"trng"`` differs per run);
    the RNG state itself is what positions store.
    """

    def __init__(self, inner: Cursor, buffer_size: int, seed):
        self.inner, self.buffer_size, self.seed = inner, buffer_size, seed
        self.light = inner.light
        self.rng: random.Random | None = None
        self.buf: list = []
        self.drain = -1  # index into buf once the input is exhausted

    def next(self):
        if self.rng is None:
            from nuptse.lazy import resolve_seed

            self.rng = random.Random(resolve_seed(self.seed))
        if self.drain < 0:
            buf, size = self.buf, self.buffer_size
            while True:
                try:
                    entry = self.inner.next()
                except StopIteration:
                    self.rng.shuffle(buf)
                    self.drain = 0
                    break
                if len(buf) < size:
                    buf.append(entry)
                    continue
                idx = self.rng.randrange(size)
                out = buf[idx]
                buf[idx] = entry
                return out
        if self.drain < len(self.buf):
            out = self.buf[self.drain]
            self.buf[self.drain] = None
            self.drain += 1
            return out
        raise StopIteration

    def tell(self):
        if self.rng is None:
            return None
        pending = self.buf if self.drain < 0 else self.buf[self.drain :]
        return (
            _rng_state(self.rng),
            pack_keys([k for k, _ in pending]),
            self.inner.tell(),
            self.drain >= 0,
        )

    def seek(self, pos):
        if pos is None:
            self.rng, self.buf, self.drain = None, [], -1
            return
        rng_state, packed, inner_pos, draining = pos
        self.rng = _rng_from(rng_state)
        keys = unpack_keys(packed)
        self.buf = list(zip(keys, self.inner.fetch_many(keys, light=True)))
        self.drain = 0 if draining else -1
        self.inner.seek(inner_pos)

    def fetch_many(self, keys, light=False):
        return self.inner.fetch_many(keys, light)


class SliceCursor(Cursor):
    """``islice(source, start, stop, step)``."""

    def __init__(self, inner: Cursor, start: int, stop: int | None, step: int):
        self.inner, self.start, self.stop, self.step = inner, start or 0, stop, step or 1
        self.light = inner.light
        self.n = 0

    def next(self):
        while True:
            if self.stop is not None and self.n >= self.stop:
                raise StopIteration
            k, item = self.inner.next()
            idx = self.n
            self.n += 1
            if idx >= self.start and (idx - self.start) % self.step == 0:
                return k, item

    def tell(self):
        return (self.n, self.inner.tell())

    def seek(self, pos):
        self.n, inner = pos
        self.inner.seek(inner)

    def fetch_many(self, keys, light=False):
        return self.inner.fetch_many(keys, light)


class ZipCursor(Cursor):
    """Items of several sources side by side (key and item are tuples)."""

    def __init__(self, cursors: list[Cursor]):
        self.cursors = cursors

    def next(self):
        pairs = [c.next() for c in self.cursors]
        return tuple(k for k, _ in pairs), tuple(x for _, x in pairs)

    def tell(self):
        return [c.tell() for c in self.cursors]

    def seek(self, pos):
        for c, p in zip(self.cursors, pos):
            c.seek(p)

    def fetch_many(self, keys, light=False):
        columns = [c.fetch_many([k[i] for k in keys], light) for i, c in enumerate(self.cursors)]
        return list(zip(*columns))


# --- building cursors for sources --------------------------------------------------------------


def resolve_stubs(cursor: Cursor, entries: list) -> list:
    """The items of ``(key, item)`` entries, with stubs replaced by full items."""
    stubs = [i for i, (_, x) in enumerate(entries) if type(x) is Stub]
    items = [x for _, x in entries]
    if stubs:
        full = cursor.fetch_many([entries[i][0] for i in stubs])
        for i, x in zip(stubs, full):
            items[i] = x
    return items


__all__ = [
    "Cursor",
    "FilterCursor",
    "IterCursor",
    "ListCursor",
    "MapCursor",
    "NotResumableError",
    "ShuffleCursor",
    "SliceCursor",
    "Stub",
    "ZipCursor",
    "pack_keys",
    "resolve_stubs",
    "unpack_keys",
]
