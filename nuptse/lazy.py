"""Lazy iterator graphs: manifests that are read, filtered and mixed on the fly.

Every node is an iterable object that can be iterated many times, pickled into
a DataLoader worker or a process pool, and gives the same order for the same
seed.  Functions held by nodes (``filter``/``map`` callbacks) are pickled with
cloudpickle, so lambdas work too.  ``seed="trng"`` draws fresh randomness from
the OS each time iteration starts.
"""

from __future__ import annotations

import importlib
import random
import secrets
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from typing import Any, Optional, TypeVar

import nuptse.utils.env as _utils_env
from nuptse.exports import lazy_exports
from nuptse.serialization import Pathlike, count_jsonl_lines, iter_jsonl, open_best
from nuptse.utils import fastcopy, is_dill_enabled, is_module_available, streaming_shuffle

__all__ = [
    "CloudpickledFn",
    "Dillable",
    "LazyChain",
    "LazyDeserializer",
    "LazyFilter",
    "LazyFlattener",
    "LazyInfiniteApproximateMultiplexer",
    "LazyInfiniteMux",
    "LazyIteratorChain",
    "LazyIteratorMultiplexer",
    "LazyJsonlIterator",
    "LazyManifestIterator",
    "LazyMapper",
    "LazyMux",
    "LazyNode",
    "LazyRepeater",
    "LazyShuffler",
    "LazySlicer",
    "LazyTxtIterator",
    "attach_repeat_idx_to_id",
    "count_items",
    "count_newlines_fast",
    "dill_enabled",
    "fastcopy",
    "is_dill_enabled",
    "is_module_available",
    "open_best",
    "resolve_seed",
    "set_dill_enabled",
    "streaming_shuffle",
]

Seed = int | str
T = TypeVar("T")

# lhotse keeps these here; nuptse defines them in the manifest layer above.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {name: "nuptse.manifest" for name in ("AlgorithmMixin", "LazyMixin", "deserialize_item")},
    globals(),
)


def set_dill_enabled(value: bool) -> None:
    """Record whether functions held by lazy manifests should be pickled with dill.

    nuptse pickles them with cloudpickle either way (lambdas and closures
    always travel to worker processes), so this only sets the flag that
    :func:`~nuptse.utils.is_dill_enabled` reports, for code written for lhotse.
    """
    _utils_env._DILL_ENABLED = bool(value)


@contextmanager
def dill_enabled(value: bool) -> Generator[None, None, None]:
    """:func:`set_dill_enabled` for the duration of a ``with`` block."""
    previous = _utils_env._DILL_ENABLED
    set_dill_enabled(value)
    try:
        yield
    finally:
        set_dill_enabled(previous)


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


class Dillable:
    """Marker base of lazy iterators, for code written against lhotse.

    Every nuptse lazy node pickles the functions it holds with cloudpickle
    (see :class:`CloudpickledFn`), so no dill switch is needed.
    """


class LazyNode(Dillable):
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
        count = 0
        for item in iter_jsonl(self.path):
            count += 1
            yield item
        self._len = count  # a full pass counts the lines for free

    def __len__(self) -> int:
        if self._len is None:
            self._len = count_jsonl_lines(self.path)
        return self._len


def count_newlines_fast(path: Pathlike) -> int:
    """Number of lines of a (possibly gzipped) text file."""
    return count_jsonl_lines(path)


class LazyTxtIterator(LazyNode):
    """Lines of a (possibly gzipped) text file, stripped of surrounding whitespace.

    With ``as_text_example`` (the default, as in lhotse) each line is wrapped
    in a :class:`nuptse.cut.text.TextExample`; otherwise lines are plain strings.
    """

    def __init__(self, path: Pathlike, as_text_example: bool = True) -> None:
        self.path = path
        self.as_text_example = as_text_example
        self._len: int | None = None

    def __iter__(self) -> Iterator:
        wrap = None
        if self.as_text_example:
            # resolved at run time: text examples are defined by the cut layer
            wrap = importlib.import_module("nuptse.cut.text").TextExample
        count = 0
        with open_best(self.path, "r") as f:
            for line in f:
                line = line.strip()
                count += 1
                yield wrap(line) if wrap is not None else line
        self._len = count

    def __len__(self) -> int:
        if self._len is None:
            self._len = count_newlines_fast(self.path)
        return self._len


class LazyManifestIterator(LazyNode):
    """Items of a JSON-lines manifest of any type (each line's type is recognised on its own)."""

    def __init__(self, path: Pathlike) -> None:
        self.source = LazyJsonlIterator(path)

    @property
    def path(self) -> Pathlike:
        return self.source.path

    def __iter__(self) -> Iterator:
        # resolved at run time: the item types are defined by the layers above
        deserialize_item = importlib.import_module("nuptse.manifest").deserialize_item
        return map(deserialize_item, self.source)

    def __len__(self) -> int:
        return len(self.source)


class LazyDeserializer(LazyNode):
    """Turns dicts from ``source`` into items with ``item_type.from_dict``.

    An item type with a ``jsonl_block_decoder`` (see
    :func:`nuptse.serialization.iter_jsonl`) reads a JSON-lines source
    through it, and its ``from_dict`` accepts the records that decoder makes.
    """

    def __init__(self, source: Iterable[dict], item_type: type, check: Callable | None = None):
        self.source = source
        self.item_type = item_type

    @property
    def path(self) -> Any:
        """The file being read (lhotse's lazy manifests expose it as ``.data.path``)."""
        try:
            return self.source.path
        except AttributeError:
            raise AttributeError(f"{type(self.source).__name__} source has no path") from None

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


#: lhotse's name for :class:`LazyChain`.
LazyIteratorChain = LazyChain


class LazySlicer(LazyNode):
    """Items ``start, start+step, ...`` below ``stop`` of ``source`` (like ``islice``)."""

    def __init__(self, source: Iterable, start: int, stop: int | None, step: int = 1):
        self.source, self.start, self.stop, self.step = source, start, stop, step

    def __iter__(self):
        return islice(self.source, self.start, self.stop, self.step)


class LazyShuffler(LazyNode):
    """Shuffles with a buffer of ``buffer_size`` items (reservoir-style).

    With a buffer at least as long as the input this is a full permutation,
    and every pass gives the same order for the same ``seed``.  Given an
    ``rng`` instead (a ``random.Random`` or the ``random`` module), it
    shuffles as lhotse does, with :func:`~nuptse.utils.streaming_shuffle`,
    starting every pass from the generator's state at construction: the
    first pass gives lhotse's order and later passes repeat it (lhotse's
    passes differ).  A generator without a state (``SystemRandom``) is used
    live, so each pass differs.
    """

    def __init__(
        self,
        source: Iterable,
        buffer_size: int = 10000,
        seed: Seed = 0,
        rng: Optional[random.Random] = None,
    ):
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be >= 1, got {buffer_size}")
        self.source, self.buffer_size, self.seed = source, buffer_size, seed
        # Keep the generator's state, not the generator (the ``random`` module
        # itself cannot be pickled into worker processes).
        self._rng_state = self._live_rng = None
        if rng is not None:
            try:
                self._rng_state = rng.getstate()
            except NotImplementedError:  # SystemRandom has no state
                self._live_rng = rng

    def __iter__(self):
        if self._rng_state is not None or self._live_rng is not None:
            rng = self._live_rng
            if rng is None:
                rng = random.Random()
                rng.setstate(self._rng_state)
            yield from streaming_shuffle(iter(self.source), self.buffer_size, rng)
            return
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


def attach_repeat_idx_to_id(item: Any, idx: int) -> Any:
    """A copy of ``item`` with ``_repeat{idx}`` appended to its id (items without an id: unchanged)."""
    if not hasattr(item, "id"):
        return item
    with_id = getattr(item, "with_id", None)
    if with_id is not None:
        return with_id(f"{item.id}_repeat{idx}")
    return fastcopy(item, id=f"{item.id}_repeat{idx}")


class LazyRepeater(LazyNode):
    """Iterates ``source`` ``times`` times (forever for ``None``).

    Unless ``preserve_id``, items of the n-th pass (counting from 0) get
    ``_repeat{n}`` appended to their id, as in lhotse, so that ids stay
    unique; items without an id (features) are passed through.
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
                if not self.preserve_id:
                    item = attach_repeat_idx_to_id(item, epoch)
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


def live_weights(weights: Sequence[float], indices: Sequence[int]) -> dict[int, float]:
    """``{index: weight}`` of the ``indices`` whose current weight is positive."""
    out = {}
    for i in indices:
        w = float(weights[i])
        if w > 0:
            out[i] = w
    return out


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
        _normalize_weights(len(sources), weights)  # validates
        # The caller's weights object (list, numpy array, shared torch tensor)
        # is kept and read at every draw, so that training code can change
        # the mix in place, as with lhotse.
        self.weights = [1.0] * len(sources) if weights is None else weights
        self.seed, self.stop_early = seed, stop_early

    def __iter__(self):
        rng = random.Random(resolve_seed(self.seed))
        iters = [iter(s) for s in self.sources]
        active = list(range(len(iters)))  # not exhausted
        while True:
            live = live_weights(self.weights, active)
            if not live:
                return
            (idx,) = rng.choices(list(live), weights=list(live.values()))
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
        _normalize_weights(len(sources), weights)  # validates; the object is kept (see LazyMux)
        self.weights = [1.0] * len(sources) if weights is None else weights
        self.seed = seed
        self.max_open_streams = max_open_streams or len(sources)
        if self.max_open_streams < 1:
            raise ValueError(f"max_open_streams must be >= 1, got {max_open_streams}")

    def __iter__(self):
        rng = random.Random(resolve_seed(self.seed))
        everything = list(range(len(self.sources)))

        def current(ids) -> list[float] | None:
            # Read at every draw; all zero means uniform (the mix was switched off in place).
            values = [float(self.weights[i]) for i in ids]
            return values if any(v > 0 for v in values) else None

        def draw() -> int:
            return rng.choices(everything, weights=current(everything))[0]

        open_ids = [draw() for _ in range(self.max_open_streams)]
        open_iters = [iter(self.sources[i]) for i in open_ids]
        empty_in_a_row = 0
        while True:
            slot = rng.choices(range(len(open_ids)), weights=current(open_ids))[0]
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


#: lhotse's names for :class:`LazyMux` and :class:`LazyInfiniteMux`.
LazyIteratorMultiplexer = LazyMux
LazyInfiniteApproximateMultiplexer = LazyInfiniteMux


def count_items(it: Iterable) -> int:
    """Length of an iterable, using ``len`` when available."""
    try:
        return len(it)  # type: ignore[arg-type]
    except TypeError:
        return sum(1 for _ in it)
