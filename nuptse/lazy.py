"""Lazy iterator graphs: manifests that are read, filtered and mixed on the fly.

Every node is an iterable object that can be iterated many times, pickled into
a DataLoader worker or a process pool, and gives the same order for the same
seed.  Functions held by nodes (``filter``/``map`` callbacks) are pickled with
cloudpickle, so lambdas work too.  ``seed="trng"`` draws fresh randomness from
the OS each time iteration starts.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import Any

from nuptse.serialization import count_jsonl_lines, iter_jsonl

Seed = int | str


def resolve_seed(seed: Seed) -> int:
    """An integer seed; ``"trng"`` gives a fresh one from the OS.

    >>> resolve_seed(7)
    7
    """
    if seed == "trng":
        return secrets.randbits(64)
    if isinstance(seed, int):
        return seed
    raise ValueError(f"seed must be an int or 'trng', got {seed!r}")


class CloudpickledFn:
    """Holds a callable and pickles it with cloudpickle, so lambdas and closures
    can travel to DataLoader workers and process pools."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __call__(self, *args):
        return self.fn(*args)

    def __getstate__(self):
        import cloudpickle

        return cloudpickle.dumps(self.fn)

    def __setstate__(self, state):
        import pickle

        self.fn = pickle.loads(state)


class LazyNode:
    """Base class: an iterable that can be restarted and has a known or unknown length."""

    is_lazy = True

    def __iter__(self) -> Iterator:  # pragma: no cover - abstract
        raise NotImplementedError

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} has no length known without iterating")


class LazyJsonlIterator(LazyNode):
    """Dicts of a JSON-lines file (plain or gzipped, local or fsspec URL)."""

    def __init__(self, path):
        self.path = path
        self._len: int | None = None

    def __iter__(self) -> Iterator[dict]:
        return iter_jsonl(self.path)

    def __len__(self) -> int:
        if self._len is None:
            self._len = count_jsonl_lines(self.path)
        return self._len


class LazyDeserializer(LazyNode):
    """Turns dicts from ``source`` into items with ``item_type.from_dict``.

    An item type with a ``jsonl_block_decoder`` (see
    :func:`nuptse.serialization.iter_jsonl`) reads a JSON-lines source
    through it, and its ``from_dict`` accepts the records that decoder makes.
    """

    def __init__(self, source: Iterable[dict], item_type: type, check: Callable | None = None):
        self.source = source
        self.item_type = item_type

    def __iter__(self):
        from_dict = self.item_type.from_dict
        path = getattr(self.source, "path", None)
        records: Iterable = self.source
        block_decoder = getattr(self.item_type, "jsonl_block_decoder", None)
        if block_decoder is not None and type(self.source) is LazyJsonlIterator:
            # typed records straight from blocks of lines (from_dict takes them)
            records = iter_jsonl(self.source.path, block_decoder)
        for idx, d in enumerate(records, start=1):
            try:
                yield from_dict(d)
            except (KeyError, TypeError, ValueError) as e:
                from nuptse.serialization import WrongManifestTypeError

                where = f"{path}, line {idx}" if path is not None else f"item {idx}"
                raise WrongManifestTypeError(
                    f"{where}: not a valid {self.item_type.__name__} ({type(e).__name__}: {e})"
                ) from None

    def __len__(self):
        return len(self.source)


class LazyFilter(LazyNode):
    def __init__(self, source: Iterable, predicate: Callable[[Any], bool]):
        self.source = source
        self.predicate = CloudpickledFn(predicate)

    def __iter__(self):
        return filter(self.predicate, self.source)


class LazyMapper(LazyNode):
    def __init__(self, source: Iterable, fn: Callable[[Any], Any]):
        self.source = source
        self.fn = CloudpickledFn(fn)

    def __iter__(self):
        return map(self.fn, self.source)

    def __len__(self):
        return len(self.source)


class LazyFlattener(LazyNode):
    """Concatenates the iterables that ``source`` yields."""

    def __init__(self, source: Iterable[Iterable]):
        self.source = source

    def __iter__(self):
        return chain.from_iterable(self.source)


class LazyChain(LazyNode):
    """Items of several iterables, one after another."""

    def __init__(self, *sources: Iterable):
        self.sources = sources

    def __iter__(self):
        return chain.from_iterable(self.sources)

    def __len__(self):
        return sum(len(s) for s in self.sources)


class LazySlicer(LazyNode):
    """Items ``start, start+step, ...`` below ``stop`` of ``source`` (like ``islice``)."""

    def __init__(self, source: Iterable, start: int, stop: int | None, step: int = 1):
        self.source, self.start, self.stop, self.step = source, start, stop, step

    def __iter__(self):
        return islice(self.source, self.start, self.stop, self.step)


class LazyShuffler(LazyNode):
    """Shuffles with a buffer of ``buffer_size`` items (reservoir-style).

    With a buffer at least as long as the input this is a full permutation.
    """

    def __init__(self, source: Iterable, buffer_size: int = 10000, seed: Seed = 0):
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be >= 1, got {buffer_size}")
        self.source, self.buffer_size, self.seed = source, buffer_size, seed

    def __iter__(self):
        rng = random.Random(resolve_seed(self.seed))
        buf: list = []
        for item in self.source:
            if len(buf) < self.buffer_size:
                buf.append(item)
                continue
            idx = rng.randrange(self.buffer_size)
            yield buf[idx]
            buf[idx] = item
        rng.shuffle(buf)
        yield from buf

    def __len__(self):
        return len(self.source)


class LazyRepeater(LazyNode):
    """Iterates ``source`` ``times`` times (forever for ``None``).

    Unless ``preserve_id``, items of the n-th repeat (n >= 1) get ``_repeat{n}``
    appended to their id so that ids stay unique.
    """

    def __init__(self, source: Iterable, times: int | None = None, preserve_id: bool = False):
        if times is not None and times < 0:
            raise ValueError(f"times must be >= 0, got {times}")
        self.source, self.times, self.preserve_id = source, times, preserve_id

    def __iter__(self):
        epoch = 0
        while self.times is None or epoch < self.times:
            produced = False
            for item in self.source:
                produced = True
                if epoch and not self.preserve_id:
                    item = item.with_id(f"{item.id}_repeat{epoch}")
                yield item
            if not produced:
                return
            epoch += 1

    def __len__(self):
        if self.times is None:
            raise TypeError("an infinitely repeated manifest has no length")
        return len(self.source) * self.times


def _normalize_weights(n: int, weights: Sequence[float] | None) -> list[float]:
    if weights is None:
        return [1.0] * n
    if len(weights) != n:
        raise ValueError(f"got {len(weights)} weights for {n} manifests")
    if any(w < 0 for w in weights) or not any(w > 0 for w in weights):
        raise ValueError(f"weights must be non-negative and not all zero: {list(weights)}")
    return [float(w) for w in weights]


class LazyMux(LazyNode):
    """Interleaves iterables, drawing the next source at random by ``weights``.

    Each item of every source is yielded exactly once; with ``stop_early`` the
    iteration ends as soon as any source is exhausted.
    """

    def __init__(
        self,
        *sources: Iterable,
        weights: Sequence[float] | None = None,
        seed: Seed = 0,
        stop_early: bool = False,
    ):
        self.sources = sources
        self.weights = _normalize_weights(len(sources), weights)
        self.seed, self.stop_early = seed, stop_early

    def __iter__(self):
        rng = random.Random(resolve_seed(self.seed))
        iters = [iter(s) for s in self.sources]
        active = [i for i, w in enumerate(self.weights) if w > 0]
        while active:
            (idx,) = rng.choices(active, weights=[self.weights[i] for i in active])
            try:
                yield next(iters[idx])
            except StopIteration:
                if self.stop_early:
                    return
                active.remove(idx)

    def __len__(self):
        if self.stop_early:
            raise TypeError("a mux with stop_early=True has no length known in advance")
        return sum(len(s) for s in self.sources)


class LazyInfiniteMux(LazyNode):
    """Samples from at most ``max_open_streams`` open sources at a time, forever.

    When an open source is exhausted it is replaced by a source drawn (with
    replacement) from all of them, so the stream never ends.
    """

    def __init__(
        self,
        *sources: Iterable,
        weights: Sequence[float] | None = None,
        seed: Seed = 0,
        max_open_streams: int | None = None,
    ):
        self.sources = sources
        self.weights = _normalize_weights(len(sources), weights)
        self.seed = seed
        self.max_open_streams = max_open_streams or len(sources)
        if self.max_open_streams < 1:
            raise ValueError(f"max_open_streams must be >= 1, got {max_open_streams}")

    def __iter__(self):
        rng = random.Random(resolve_seed(self.seed))
        everything = list(range(len(self.sources)))

        def draw() -> int:
            return rng.choices(everything, weights=self.weights)[0]

        open_ids = [draw() for _ in range(self.max_open_streams)]
        open_iters = [iter(self.sources[i]) for i in open_ids]
        empty_in_a_row = 0
        while True:
            slot = rng.choices(range(len(open_ids)), weights=[self.weights[i] for i in open_ids])[0]
            try:
                item = next(open_iters[slot])
            except StopIteration:
                empty_in_a_row += 1
                if empty_in_a_row > 100 * len(self.sources):
                    return  # every source is empty: nothing to yield forever
                open_ids[slot] = draw()
                open_iters[slot] = iter(self.sources[open_ids[slot]])
                continue
            empty_in_a_row = 0
            yield item


def count_items(it: Iterable) -> int:
    """Length of an iterable, using ``len`` when available."""
    try:
        return len(it)  # type: ignore[arg-type]
    except TypeError:
        return sum(1 for _ in it)
