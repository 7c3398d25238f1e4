"""The one collection class behind every manifest set.

``SupervisionSet``, ``RecordingSet``, ``FeatureSet`` and ``CutSet`` are all
:class:`ManifestSet` subclasses that only name their item type and add their
own domain methods.  A set is either *eager* (an insertion-ordered mapping
from id to item: a dict, or an :class:`ItemStore` such as the compact columns
that large supervision manifests load into) or *lazy* (an iterator graph from
:mod:`nuptse.lazy`, typically over a JSON-lines file); every method here works
on both and keeps the laziness of its input.
"""

from __future__ import annotations

import gc
import importlib
import logging
import random
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, ClassVar, Generic, TypeVar

from nuptse.lazy import (
    LazyChain,
    LazyDeserializer,
    LazyFilter,
    LazyInfiniteMux,
    LazyJsonlIterator,
    LazyMapper,
    LazyMux,
    LazyNode,
    LazyRepeater,
    LazyShuffler,
    LazySlicer,
    Seed,
)
from nuptse.manifest_writers import InMemoryWriter, SequentialJsonlWriter, split_manifest_lazy
from nuptse.serialization import (
    ManifestParseError,
    Pathlike,
    TruncatedManifestError,
    UnsupportedFormatError,
    WrongManifestTypeError,
    detect_format,
    iter_jsonl,
    load_dicts,
    save_dicts,
)
from nuptse.utils import split_sequence

logger = logging.getLogger(__name__)

T = TypeVar("T")
S = TypeVar("S", bound="ManifestSet")

#: Every concrete manifest set class, in definition order (used by load_manifest).
_MANIFEST_TYPES: list[type[ManifestSet]] = []
#: Modules that define the built-in manifest types; imported on demand so that
#: ``load_manifest`` can recognise every type without importing them eagerly.
_BUILTIN_MODULES = ("nuptse.supervision", "nuptse.audio", "nuptse.features.base", "nuptse.cut")


class ItemStore(Mapping):
    """An eager, read-only id -> item mapping that is not a plain dict.

    A subclass stores items in some compact form and builds them on access
    (so ``store[k] is store[k]`` need not hold).  :class:`ManifestSet` treats
    it like its dict.  :meth:`take` keeps selections (``filter``, ``subset``,
    ``shuffle``, ``split``) in the same compact form; transformations
    (``map``, ``+``) return sets backed by ordinary dicts.
    """

    __slots__ = ()

    def take(self, rows: Sequence[int]) -> ItemStore:
        """A store of the items at positions ``rows`` (distinct), in that order."""
        raise NotImplementedError


#: The types an eager set keeps its items in.
_EAGER = (dict, ItemStore)
_MISSING = object()


class DuplicateIdError(ValueError):
    """Two items of one manifest set share an id."""


class ManifestArgumentError(ValueError, AssertionError):
    """Invalid arguments to a manifest set method.

    Also an ``AssertionError``, which lhotse raises in the same places.
    """


class LazyManifestPositionError(TypeError):
    """Positional access that a lazily opened set cannot do without reading it all."""


class ManifestSet(Generic[T]):
    """An eager or lazy collection of manifest items indexed by their ``id``.

    Subclasses set :attr:`item_type` (a class with ``id``, ``to_dict`` and
    ``from_dict``) and may override :meth:`accepts_dict` so that
    :func:`load_manifest` can recognise their files.
    """

    item_type: ClassVar[type] = object

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.item_type is not object:
            _MANIFEST_TYPES.append(cls)

    def __init__(self, items: dict[str, T] | Iterable[T] | None = None):
        if items is None:
            self._items: dict[str, T] | LazyNode = {}
        elif isinstance(items, (dict, ItemStore, LazyNode)):
            self._items = items
        elif isinstance(items, ManifestSet):
            self._items = items._items
        else:
            self._items = _index_by_id(items)

    # --- recognising item dicts ---------------------------------------------------

    @classmethod
    def accepts_dict(cls, data: dict) -> bool:
        """Whether a serialized item looks like one of this set's items."""
        return False

    @classmethod
    def _builder(cls):
        """What eager loads collect items with (see :class:`ItemListBuilder`)."""
        return ItemListBuilder(cls.item_type.from_dict)

    @classmethod
    def _eager_from_items(cls, items: Iterable[T]) -> Mapping:
        """The eager storage for items read from a lazy set (:meth:`to_eager`)."""
        return _index_by_id(items)

    # --- basic container protocol -------------------------------------------------

    @property
    def data(self) -> dict[str, T] | Iterable[T]:
        """The underlying dict (eager) or lazy iterable."""
        return self._items

    @property
    def is_lazy(self) -> bool:
        """Whether items are read on the fly instead of held in memory."""
        return not isinstance(self._items, _EAGER)

    @property
    def ids(self) -> Iterable[str]:
        if isinstance(self._items, _EAGER):
            return self._items.keys()
        return (item.id for item in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        if isinstance(self._items, _EAGER):
            return iter(self._items.values())
        return iter(self._items)

    def __contains__(self, item: str | Any) -> bool:
        key = item if isinstance(item, str) else item.id
        if isinstance(self._items, _EAGER):
            return key in self._items
        return any(i.id == key for i in self._items)

    def __getitem__(self, key: str | int | slice) -> T | list[T]:
        """An item by id; or, as in lhotse, by position (``s[0]``, ``s[-1]``) or
        a list of items by slice (``s[2:5]``).

        A lazy set reads up to a non-negative position; negative positions
        and slices of a lazy set raise :class:`LazyManifestPositionError`
        (use :meth:`subset` or :meth:`to_eager`).
        """
        if isinstance(key, str):
            return self._get_by_id(key)
        if isinstance(key, slice):
            if self.is_lazy:
                raise LazyManifestPositionError(
                    f"cannot slice a lazily opened {type(self).__name__} ({key}); use "
                    ".subset(first=...) or .to_eager() first"
                )
            return list(islice(self._items.values(), *key.indices(len(self._items))))
        if isinstance(key, int) and not isinstance(key, bool):
            return self._get_by_position(key)
        return self._get_by_id(key)

    def _get_by_position(self, index: int) -> T:
        if self.is_lazy:
            if index < 0:
                raise LazyManifestPositionError(
                    f"negative position {index} in a lazily opened {type(self).__name__}: "
                    "its length is unknown until it is read; use .to_eager() first"
                )
            item = next(islice(iter(self._items), index, None), _MISSING)
        else:
            n = len(self._items)
            pos = index + n if index < 0 else index
            item = _MISSING
            if 0 <= pos < n:
                if isinstance(self._items, ItemStore):
                    item = next(iter(self._items.take([pos]).values()))
                else:
                    item = next(islice(self._items.values(), pos, None))
        if item is _MISSING:
            raise IndexError(f"position {index} is out of range for {self!r}")
        return item

    def _get_by_id(self, key: str) -> T:
        if isinstance(self._items, _EAGER):
            try:
                return self._items[key]
            except KeyError:
                raise KeyError(f"no item with id {key!r} in this {type(self).__name__}") from None
        for item in self._items:
            if item.id == key:
                return item
        raise KeyError(f"no item with id {key!r} in this lazy {type(self).__name__}")

    def __add__(self: S, other: S) -> S:
        """Both sets' items, in order.

        Two eager sets with distinct ids give an eager set; if any set is lazy,
        or an id occurs in both (as when adding a set to itself), the result
        is a lazy chain of the two, as lhotse's ``+`` always is.
        """
        if self.is_lazy or other.is_lazy:
            return type(self)(LazyChain(self, other))
        if any(k in self._items for k in other._items.keys()):
            return type(self)(LazyChain(self, other))
        merged = dict(self._items.items())
        merged.update(other._items.items())
        return type(self)(merged)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ManifestSet) or type(self) is not type(other):
            return NotImplemented
        return list(self) == list(other)

    def __repr__(self) -> str:
        if self.is_lazy:
            return f"{type(self).__name__}(lazy={type(self._items).__name__})"
        return f"{type(self).__name__}(len={len(self)})"

    # --- construction and conversion ------------------------------------------------

    @classmethod
    def from_items(cls: type[S], items: Iterable[T]) -> S:
        """An eager set of ``items`` (a lazy node stays lazy)."""
        return cls(items)

    @classmethod
    def from_dicts(cls: type[S], data: Iterable[dict]) -> S:
        return cls(_deserialize(cls, data, source=None))

    def to_dicts(self) -> Iterable[dict]:
        return (item.to_dict() for item in self)

    def to_eager(self: S) -> S:
        """Read every item into memory; a no-op for an eager set."""
        if not self.is_lazy:
            return self
        return type(self)(self._eager_from_items(self._items))

    # --- files --------------------------------------------------------------------

    @classmethod
    def from_file(cls: type[S], path: Pathlike) -> S:
        """Load eagerly from ``.json``, ``.jsonl`` or ``.yaml`` (optionally ``.gz``)."""
        return cls(cls._load_eager(path))

    @classmethod
    def _load_eager(cls, path: Pathlike, fmt: str | None = None) -> Mapping:
        """The eager storage of a manifest file's items (``fmt`` overrides the extension).

        JSON lines go through the item type's ``jsonl_block_decoder`` when it
        has one, as lazy reading does (see :class:`~nuptse.lazy.LazyDeserializer`).
        """
        block_decoder = getattr(cls.item_type, "jsonl_block_decoder", None)
        if block_decoder is not None and (fmt or detect_format(path)[0]) == "jsonl":
            return _deserialize(cls, iter_jsonl(path, block_decoder), source=path)
        return _deserialize(cls, load_dicts(path, fmt), source=path)

    def to_file(self, path: Pathlike) -> None:
        """Save in the format the extension names, atomically."""
        save_dicts(self.to_dicts(), path)

    @classmethod
    def _from_format(cls: type[S], path: Pathlike, fmt: str) -> S:
        _require(path, fmt)
        return cls(cls._load_eager(path, _forced_format(path, fmt)))

    def _to_format(self, path: Pathlike, fmt: str) -> None:
        _require(path, fmt)
        save_dicts(self.to_dicts(), path, _forced_format(path, fmt))

    @classmethod
    def from_json(cls: type[S], path: Pathlike) -> S:
        """Load a JSON manifest (any path; the extension need not say ``.json``)."""
        return cls._from_format(path, "json")

    def to_json(self, path: Pathlike) -> None:
        """Save as JSON (a path without a manifest extension is allowed, as in lhotse)."""
        self._to_format(path, "json")

    @classmethod
    def from_jsonl(cls: type[S], path: Pathlike) -> S:
        """Load a JSON-lines manifest eagerly."""
        return cls._from_format(path, "jsonl")

    def to_jsonl(self, path: Pathlike) -> None:
        """Save as JSON lines (gzipped when the name ends in ``.gz``)."""
        self._to_format(path, "jsonl")

    @classmethod
    def from_yaml(cls: type[S], path: Pathlike) -> S:
        """Load a YAML manifest."""
        return cls._from_format(path, "yaml")

    def to_yaml(self, path: Pathlike) -> None:
        """Save as YAML."""
        self._to_format(path, "yaml")

    @classmethod
    def from_jsonl_lazy(cls: type[S], path: Pathlike) -> S:
        """Open a JSON-lines manifest for sequential reading without loading it."""
        _require(path, "jsonl")
        first = next(iter(iter_jsonl(path)), None)
        if first is not None and not cls.accepts_dict(first) and _MANIFEST_TYPES:
            _check_type(cls, first, path, 1)
        return cls(LazyDeserializer(LazyJsonlIterator(path), cls.item_type))

    @classmethod
    def open_writer(cls, path: Pathlike | None, overwrite: bool = True):
        """A writer that appends items one by one (see :class:`SequentialJsonlWriter`).

        ``path=None`` gives an :class:`InMemoryWriter` with the same API.
        """
        if path is None:
            return InMemoryWriter(cls)
        return SequentialJsonlWriter(path, overwrite=overwrite, manifest_cls=cls)

    # --- selection and transformation ---------------------------------------------

    def filter(self: S, predicate: Callable[[T], bool]) -> S:
        """Items for which ``predicate`` is true (lazily for a lazy set)."""
        if self.is_lazy:
            return type(self)(LazyFilter(self._items, predicate))
        if isinstance(self._items, ItemStore):
            rows = [i for i, v in enumerate(self._items.values()) if predicate(v)]
            return type(self)(self._items.take(rows))
        return type(self)({k: v for k, v in self._items.items() if predicate(v)})

    def map(self: S, transform_fn: Callable[[T], T]) -> S:
        """Apply ``transform_fn`` to every item (lazily for a lazy set)."""
        if self.is_lazy:
            return type(self)(LazyMapper(self._items, transform_fn))
        return type(self)(_index_by_id(transform_fn(v) for v in self._items.values()))

    def subset(self: S, first: int | None = None, last: int | None = None) -> S:
        """The first or the last N items (exactly one of the two)."""
        if (first is None) == (last is None):
            raise ManifestArgumentError(
                f"subset() takes exactly one of 'first' or 'last' (got first={first}, last={last})"
            )
        n = first if first is not None else last
        if n < 0:
            raise ManifestArgumentError(f"subset size must be >= 0, got {n}")
        if first is not None:
            if self.is_lazy:
                return type(self)(LazySlicer(self._items, 0, first))
            if isinstance(self._items, ItemStore):
                return type(self)(self._items.take(range(min(first, len(self._items)))))
            return type(self)(_take(self._items.items(), first))
        if self.is_lazy:
            return type(self)(_index_by_id(deque(self._items, maxlen=last)))
        n = len(self._items)
        if isinstance(self._items, ItemStore):
            return type(self)(self._items.take(range(n - min(last, n), n)))
        keys = list(self._items)[n - min(last, n) :]
        return type(self)({k: self._items[k] for k in keys})

    def split(self: S, num_splits: int, shuffle: bool = False, drop_last: bool = False) -> list[S]:
        """Split into ``num_splits`` eager pieces of (nearly) equal size."""
        if isinstance(self._items, ItemStore):
            rows = list(range(len(self._items)))
            if shuffle:
                random.shuffle(rows)
            parts = split_sequence(rows, num_splits, drop_last=drop_last)
            return [type(self)(self._items.take(part)) for part in parts]
        items = list(self)
        if shuffle:
            random.shuffle(items)
        return [type(self)(part) for part in split_sequence(items, num_splits, drop_last=drop_last)]

    def split_lazy(
        self: S,
        output_dir: Pathlike,
        chunk_size: int,
        prefix: str = "",
        num_digits: int = 8,
        start_idx: int = 0,
    ) -> list[S]:
        """Write ``{output_dir}/{prefix}.{idx:08d}.jsonl.gz`` chunks and open them lazily.

        See :func:`split_manifest_lazy` (``prefix`` defaults to ``"split"``).
        """
        return split_manifest_lazy(
            self,
            output_dir,
            chunk_size,
            prefix=prefix,
            num_digits=num_digits,
            start_idx=start_idx,
            manifest_cls=type(self),
        )

    def shuffle(self: S, rng: random.Random | None = None, buffer_size: int = 10000) -> S:
        """A shuffled copy: a full permutation (eager) or buffered shuffle (lazy)."""
        rng = rng if rng is not None else random
        if self.is_lazy:
            # lhotse's streaming shuffle drawing from ``rng`` (same orders as lhotse)
            return type(self)(LazyShuffler(self._items, buffer_size, rng=rng))
        if isinstance(self._items, ItemStore):
            rows = list(range(len(self._items)))
            rng.shuffle(rows)
            return type(self)(self._items.take(rows))
        keys = list(self._items)
        rng.shuffle(keys)
        return type(self)({k: self._items[k] for k in keys})

    def repeat(self: S, times: int | None = None, preserve_id: bool = False) -> S:
        """Iterate ``times`` times (forever by default); ids get ``_repeat{n}`` unless preserved."""
        return type(self)(LazyRepeater(self, times=times, preserve_id=preserve_id))

    @classmethod
    def mux(
        cls: type[S],
        *manifests: ManifestSet,
        stop_early: bool = False,
        weights: list[float] | None = None,
        seed: Seed = 0,
        max_open_streams: int | None = None,
    ) -> S:
        """Interleave manifests at random (by ``weights``), each item once.

        With ``max_open_streams`` this is :meth:`infinite_mux` instead.
        """
        if max_open_streams is not None:
            return cls.infinite_mux(
                *manifests, weights=weights, seed=seed, max_open_streams=max_open_streams
            )
        sources = list(manifests)
        return cls(LazyMux(*sources, weights=weights, seed=seed, stop_early=stop_early))

    @classmethod
    def infinite_mux(
        cls: type[S],
        *manifests: ManifestSet,
        weights: list[float] | None = None,
        seed: Seed = 0,
        max_open_streams: int | None = None,
    ) -> S:
        """Endless interleaving with at most ``max_open_streams`` sources open at once."""
        sources = list(manifests)
        return cls(
            LazyInfiniteMux(*sources, weights=weights, seed=seed, max_open_streams=max_open_streams)
        )


# --- helpers --------------------------------------------------------------------------


def _index_by_id(items: Iterable) -> dict:
    out: dict = {}
    for item in items:
        key = item.id
        if key in out:
            raise DuplicateIdError(f"duplicate id {key!r} in manifest items")
        out[key] = item
    return out


def _take(pairs: Iterable, n: int) -> dict:
    out = {}
    for i, (k, v) in enumerate(pairs):
        if i >= n:
            break
        out[k] = v
    return out


def _require(path: Pathlike, fmt: str) -> Pathlike:
    """``path`` if it can hold ``fmt``: its extension names ``fmt`` or no known format.

    lhotse lets ``to_jsonl("name")`` write JSON lines to a path without a
    manifest extension; a path that names *another* format raises.
    """
    try:
        actual, _ = detect_format(path)
    except UnsupportedFormatError:
        return path
    if actual != fmt:
        raise UnsupportedFormatError(
            f"{path}: the extension names {actual!r}; expected a .{fmt} or .{fmt}.gz file"
        )
    return path


def _forced_format(path: Pathlike, fmt: str) -> str | None:
    """``fmt`` when ``path``'s extension does not name a format, else None."""
    try:
        detect_format(path)
    except UnsupportedFormatError:
        return fmt
    return None


def _check_type(cls: type[ManifestSet], first: dict, path: Any, line: int) -> None:
    """Raise WrongManifestTypeError if ``first`` is another known manifest type."""
    if cls.accepts_dict(first):
        return
    other = _detect_type(first)
    found = other.item_type.__name__ if other is not None else "an unknown item"
    raise WrongManifestTypeError(
        f"{path}, line {line}: expected {cls.item_type.__name__} items for "
        f"{cls.__name__}, found {found}"
    )


class ItemListBuilder:
    """Collects deserialized items into a dict by id (the default eager storage).

    :meth:`ManifestSet._builder` returns one; a set type with a compact store
    returns its own builder with the same members: ``consume(records)``,
    ``count`` (items taken so far, so that a failure names line ``count + 1``)
    and ``failed`` (the dict that failed), and ``finish(source)``, which
    returns the mapping and raises :class:`DuplicateIdError` naming the line
    of a repeated id.
    """

    def __init__(self, from_dict: Callable[[dict], Any]):
        self._items: list = []
        self._from_dict = from_dict
        self.failed: Any = None

    def consume(self, dicts: Iterable[dict]) -> None:
        append, from_dict = self._items.append, self._from_dict
        d = None
        try:
            for d in dicts:
                append(from_dict(d))
        except Exception:
            self.failed = d
            raise

    @property
    def count(self) -> int:
        return len(self._items)

    def finish(self, source: Any) -> dict:
        items = self._items
        out = {item.id: item for item in items}
        if len(out) != len(items):
            seen: set = set()
            for line, item in enumerate(items, start=1):
                if item.id in seen:
                    raise DuplicateIdError(
                        f"{source or 'input'}, line {line}: duplicate id {item.id!r}"
                    )
                seen.add(item.id)
        return out


def _deserialize(cls: type[ManifestSet], dicts: Iterable[dict], source: Any) -> Mapping:
    """Build the eager id->item mapping from serialized items, naming the line at fault."""
    builder = cls._builder()
    # The items form no reference cycles, yet each allocation counts towards
    # the cyclic collector's thresholds, whose full passes over a growing heap
    # cost ~40% of a large load; pause it for the loop (restored after).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        builder.consume(dicts)
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        if isinstance(e, (ManifestParseError, TruncatedManifestError)):
            raise
        line = builder.count + 1
        d = builder.failed
        if isinstance(d, dict) and not cls.accepts_dict(d):
            _check_type(cls, d, source or "input", line)
        raise WrongManifestTypeError(
            f"{source or 'input'}, line {line}: not a valid {cls.item_type.__name__} "
            f"({type(e).__name__}: {e})"
        ) from None
    finally:
        if gc_was_enabled:
            gc.enable()
    return builder.finish(source)


def _ensure_builtin_types() -> None:
    for mod in _BUILTIN_MODULES:
        try:
            importlib.import_module(mod)
        except ImportError:  # a layer that is not installed or not built yet
            pass


def _detect_type(first: dict) -> type[ManifestSet] | None:
    _ensure_builtin_types()
    for cls in _MANIFEST_TYPES:
        if cls.accepts_dict(first):
            return cls
    return None


#: lhotse splits a manifest set's behaviour into mixins; :class:`ManifestSet`
#: provides all of it, so their names refer to it (``isinstance`` checks work).
Serializable = JsonMixin = JsonlMixin = YamlMixin = LazyMixin = AlgorithmMixin = ManifestSet


def resolve_manifest_set_class(item: Any) -> type[ManifestSet]:
    """The manifest set class that holds items like ``item`` (e.g. ``CutSet`` for a cut)."""
    _ensure_builtin_types()
    for cls in _MANIFEST_TYPES:
        if isinstance(item, cls.item_type):
            return cls
    raise WrongManifestTypeError(f"no manifest set holds items of type {type(item).__name__}")


def deserialize_item(data: dict) -> Any:
    """The manifest item (recording, segment, features, cut or array) a dict describes.

    The type is recognised from the dict's keys, as :func:`load_manifest`
    recognises a file's type from its first line.
    """
    if "shape" in data or "array" in data:
        # arrays are defined by the features layer; resolved at run time
        return importlib.import_module("nuptse.array").deserialize_array(data)
    cls = _detect_type(data)
    if cls is None:
        keys = ", ".join(sorted(data)) if isinstance(data, dict) else type(data).__name__
        raise WrongManifestTypeError(f"not an item of any known manifest type (keys: {keys})")
    return cls.item_type.from_dict(data)


def load_manifest_lazy_or_eager(path: Pathlike, manifest_cls: type[S] | None = None) -> S:
    """A JSON-lines manifest opened lazily; any other format loaded eagerly."""
    try:
        fmt, _ = detect_format(path)
    except UnsupportedFormatError:
        fmt = None
    if fmt == "jsonl":
        return load_manifest_lazy(path, manifest_cls)
    return load_manifest(path, manifest_cls)


def load_manifest(path: Pathlike, manifest_cls: type[S] | None = None) -> S:
    """Load any manifest file eagerly, recognising its type from the first item."""
    dicts = iter(load_dicts(path))
    first = next(dicts, None)
    close = getattr(dicts, "close", None)
    if close is not None:
        close()
    if first is None:
        if manifest_cls is None:
            raise ValueError(f"{path}: the manifest is empty, so its type is unknown")
        return manifest_cls()
    cls = manifest_cls or _detect_type(first)
    if cls is None:
        raise WrongManifestTypeError(f"{path}, line 1: not an item of any known manifest type")
    _check_type(cls, first, path, 1)
    return cls(cls._load_eager(path))


def load_manifest_lazy(path: Pathlike, manifest_cls: type[S] | None = None) -> S:
    """Open a JSON-lines manifest lazily, recognising its type from the first item."""
    first = next(iter(iter_jsonl(_require(path, "jsonl"))), None)
    if first is None:
        if manifest_cls is None:
            raise ValueError(f"{path}: the manifest is empty, so its type is unknown")
        return manifest_cls.from_jsonl_lazy(path)
    cls = manifest_cls or _detect_type(first)
    if cls is None:
        raise WrongManifestTypeError(f"{path}, line 1: not an item of any known manifest type")
    return cls.from_jsonl_lazy(path)
