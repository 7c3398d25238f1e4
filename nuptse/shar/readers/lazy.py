"""LazySharIterator: cuts of a Shar directory, read shard by shard with their data.

For each shard the cut manifest and the tar (or JSON-lines) file of every
requested field are read side by side, sequentially; each cut comes back with
its fields in memory (``memory`` audio sources, ``memory_lilcom`` /
``memory_npy`` feature storage), ready for ``load_audio()`` and
``load_features()``.  Fields that are not requested are never opened.
"""

from __future__ import annotations

import logging
import os
import random
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Optional, Union

from nuptse.lazy import LazyNode, resolve_seed
from nuptse.serialization import JSONDecodeError, loads
from nuptse.shar._io import PARTIAL_SUFFIX, is_pipe, is_url, join, local_path, open_input
from nuptse.shar.errors import (
    CorruptShardError,
    IncompatibleOptionsError,
    SharError,
    SharLayoutError,
    SharMismatchError,
    TruncatedShardError,
)
from nuptse.shar.readers.tar import iter_tar_pairs
from nuptse.shar.split import split_for_dataloading as _split

logger = logging.getLogger(__name__)

#: ``<field>[.<shard index>]<extension>`` of the files in a Shar directory.
SHARD_NAME = re.compile(
    r"^(?P<field>[^./\\%][^./\\%]*)(?:\.(?P<idx>\d+))?(?P<ext>\.jsonl\.gz|\.jsonl|\.tar\.gz|\.tar)$"
)


def _list_dir(in_dir: Any) -> list[str]:
    if is_pipe(in_dir):
        raise SharLayoutError("in_dir cannot be a 'pipe:' command; pass fields={...}", in_dir)
    if is_url(in_dir):
        import fsspec

        fs, root = fsspec.core.url_to_fs(str(in_dir))
        if not fs.isdir(root):
            raise SharLayoutError("the Shar directory does not exist", in_dir)
        return [str(p).rstrip("/").rsplit("/", 1)[-1] for p in fs.ls(root, detail=False)]
    path = local_path(in_dir)
    if not os.path.isdir(path):
        raise SharLayoutError("the Shar directory does not exist", in_dir)
    return os.listdir(path)


#: Where lhotse's (and nuptse's) ``make_worker_init_fn`` leaves a worker's seed.
PROCESS_SEED_VARIABLE = "LHOTSE_PROCESS_SEED"


def discover_shards(
    in_dir: Any, only_fields: Optional[Sequence[str]] = None
) -> dict[str, list[str]]:
    """``{"cuts": [...], field: [...]}``: the shard files of a Shar directory, by index.

    A shard exists when its ``cuts`` file does (it is published last).  Field
    files whose cut manifest is missing, and ``.partial`` leftovers of an
    interrupted write, are ignored with a warning.
    """
    by_field: dict[str, dict[Optional[int], str]] = {}
    leftovers = []
    for name in sorted(_list_dir(in_dir)):
        if name.endswith(PARTIAL_SUFFIX):
            leftovers.append(name)
            continue
        m = SHARD_NAME.match(name)
        if m is None:
            continue
        idx = int(m["idx"]) if m["idx"] is not None else None
        field = m["field"]
        if field == "cuts" and not m["ext"].startswith(".jsonl"):
            continue
        slot = by_field.setdefault(field, {})
        if idx in slot:
            raise SharLayoutError(
                f"two files for shard {idx} of field {field!r}: {slot[idx]!r} and {name!r}", in_dir
            )
        slot[idx] = name
    if leftovers:
        logger.warning(
            "%s: ignoring %d unfinished shard file(s) left by an interrupted write: %s",
            in_dir,
            len(leftovers),
            ", ".join(leftovers[:5]),
        )
    if "cuts" not in by_field:
        raise SharLayoutError("no cuts.<N>.jsonl.gz files: not a Shar directory", in_dir)
    cut_idx = sorted(by_field["cuts"], key=lambda i: -1 if i is None else i)
    if None in by_field["cuts"] and len(cut_idx) > 1:
        raise SharLayoutError("both numbered and unnumbered cuts files", in_dir)
    fields = [f for f in by_field if f != "cuts"]
    if only_fields is not None:
        missing = [f for f in only_fields if f not in by_field]
        if missing:
            raise SharLayoutError(
                f"requested field(s) {missing} are not in this Shar directory (it has "
                f"{sorted(fields)})",
                in_dir,
            )
        fields = [f for f in only_fields if f != "cuts"]
    out = {"cuts": [join(in_dir, by_field["cuts"][i]) for i in cut_idx]}
    for field in fields:
        files = by_field[field]
        lacking = [i for i in cut_idx if i not in files]
        if lacking:
            raise SharLayoutError(
                f"field {field!r} lacks the file(s) of shard(s) {lacking[:10]} that have cuts",
                in_dir,
            )
        orphans = sorted(i for i in files if i not in by_field["cuts"] and i is not None)
        if orphans:
            logger.warning(
                "%s: ignoring %s file(s) of shard(s) %s, which have no cuts file "
                "(an interrupted write?)",
                in_dir,
                field,
                orphans[:10],
            )
        out[field] = [join(in_dir, files[i]) for i in cut_idx]
    return out


def iter_jsonl_source(source: Any, allow_pipe: bool = False) -> Iterator[dict]:
    """Dicts of a (gzipped) JSON-lines shard from a path, URL or allowed pipe."""
    import zlib

    n = 0
    try:
        with open_input(source, allow_pipe=allow_pipe) as raw:
            head = raw.read(2)
            from nuptse.shar.readers.tar import _Prefixed

            f = _Prefixed(head, raw)
            if head == b"\x1f\x8b":
                from isal import igzip

                f = igzip.IGzipFile(fileobj=f, mode="rb")
            import io

            for line in io.BufferedReader(f, buffer_size=1 << 20):
                n += 1
                if not line.strip():
                    continue
                if not line.endswith(b"\n"):
                    try:
                        yield loads(line)
                    except JSONDecodeError:
                        raise TruncatedShardError(
                            f"the last line ({n}) is cut off", source
                        ) from None
                    continue
                try:
                    yield loads(line)
                except JSONDecodeError as e:
                    raise CorruptShardError(f"line {n}: invalid JSON: {e}", source) from None
    except (EOFError, zlib.error) as e:
        raise TruncatedShardError(f"the gzip stream ends early after line {n}: {e}", source) from e
    except OSError as e:
        if "gzip" in str(e).lower() or "compressed" in str(e).lower():
            raise TruncatedShardError(f"damaged gzip stream after line {n}: {e}", source) from e
        raise


def _tar_entries(path: Any, allow_pipe: bool):
    for key, ext, data, meta in iter_tar_pairs(path, allow_pipe=allow_pipe):
        yield key, (ext, data, meta)


def _jsonl_entries(path: Any, field: str, allow_pipe: bool):
    for n, item in enumerate(iter_jsonl_source(path, allow_pipe), start=1):
        key = item.get("cut_id") if isinstance(item, dict) else None
        if not isinstance(key, str):
            raise CorruptShardError(f"line {n} has no 'cut_id'", path)
        yield key, item


def _is_tar(path: Any) -> bool:
    """Field files are tars unless they are JSON lines (also for ``pipe:`` commands)."""
    return ".jsonl" not in str(path).rstrip().rsplit("/", 1)[-1]


class LazySharIterator(LazyNode):
    """Cuts of Shar shards given by ``in_dir`` or by ``fields`` (``{"cuts": [...], ...}``).

    ``fields`` maps ``"cuts"`` and each field to read to the list of its shard
    files (paths, fsspec URLs, or ``pipe:`` commands when ``allow_pipe``).
    With ``in_dir``, ``fields`` may instead be a list naming the fields to read
    (default: all).  ``shuffle_shards`` permutes the shard order with ``seed``
    (plus the epoch if ``stateful_shuffle``); ``split_for_dataloading`` gives
    each distributed rank and DataLoader worker its own shards.
    """

    def __init__(
        self,
        fields: Optional[Union[dict[str, Sequence[Any]], Sequence[str]]] = None,
        in_dir: Optional[Any] = None,
        split_for_dataloading: bool = False,
        shuffle_shards: bool = False,
        stateful_shuffle: bool = True,
        seed: Union[int, str] = 42,
        cut_map_fns: Optional[Sequence[Optional[Callable]]] = None,
        slice_length: Optional[int] = None,
        allow_pipe: bool = False,
    ):
        if in_dir is None and not isinstance(fields, dict):
            raise SharLayoutError("pass in_dir=... or fields={'cuts': [...], ...}")
        if in_dir is not None and isinstance(fields, dict):
            raise SharLayoutError("pass either in_dir or a fields dict, not both", in_dir)
        if split_for_dataloading and seed in ("randomized", "trng"):
            raise IncompatibleOptionsError(
                f"seed={seed!r} shuffles differently in every worker, which would lose or "
                "repeat shards with split_for_dataloading=True; use an int seed"
            )
        if slice_length is not None and slice_length < 1:
            raise SharError(f"slice_length must be >= 1, got {slice_length}")
        self.in_dir = in_dir
        if in_dir is not None:
            streams = discover_shards(in_dir, list(fields) if fields is not None else None)
        else:
            streams = {k: list(v) for k, v in fields.items()}
            if "cuts" not in streams:
                raise SharLayoutError("the fields dict needs a 'cuts' entry with the cut shards")
        self.streams = streams
        self.fields = [f for f in streams if f != "cuts"]
        self.num_shards = len(streams["cuts"])
        for field in self.fields:
            if len(streams[field]) != self.num_shards:
                raise SharLayoutError(
                    f"field {field!r} has {len(streams[field])} shard(s) but there are "
                    f"{self.num_shards} cut shard(s)"
                )
        self.shards = [
            {field: streams[field][i] for field in streams} for i in range(self.num_shards)
        ]
        if cut_map_fns is not None and len(cut_map_fns) != self.num_shards:
            raise SharError(
                f"got {len(cut_map_fns)} cut_map_fns for {self.num_shards} shards (one per shard)"
            )
        self.cut_map_fns = list(cut_map_fns) if cut_map_fns is not None else None
        self.split_for_dataloading = split_for_dataloading
        self.shuffle_shards = shuffle_shards
        self.stateful_shuffle = stateful_shuffle
        self.seed = seed
        self.slice_length = slice_length
        self.allow_pipe = allow_pipe
        self.epoch = 0
        self._len: Optional[int] = None

    # --- pickling (DataLoader workers): map functions may be lambdas -------------------

    def __getstate__(self):
        state = dict(self.__dict__)
        if state.get("cut_map_fns") is not None:
            import cloudpickle

            state["cut_map_fns"] = cloudpickle.dumps(state["cut_map_fns"])
        return state

    def __setstate__(self, state):
        fns = state.get("cut_map_fns")
        if isinstance(fns, bytes):
            import pickle

            state["cut_map_fns"] = pickle.loads(fns)
        self.__dict__.update(state)

    # --- shard order ----------------------------------------------------------------

    def _seed(self) -> int:
        if self.seed == "randomized":
            # As lhotse: in a DataLoader worker, the seed that
            # ``make_worker_init_fn`` gave it (exported as LHOTSE_PROCESS_SEED;
            # torch's own worker seed if that was not used); elsewhere the
            # global ``random`` module's seed.
            data = __import__("sys").modules.get("torch.utils.data")
            info = data.get_worker_info() if data is not None else None
            if info is None:
                base = random.getstate()[1][0]
            elif PROCESS_SEED_VARIABLE in os.environ:
                base = int(os.environ[PROCESS_SEED_VARIABLE])
            else:
                base = info.seed
        else:
            base = resolve_seed(self.seed)
        return base + self.epoch if self.stateful_shuffle else base

    def _plan(self, rng: random.Random) -> list[tuple[dict, Optional[Callable]]]:
        fns = self.cut_map_fns or [None] * self.num_shards
        plan = list(zip(self.shards, fns))
        if self.shuffle_shards:
            rng.shuffle(plan)
        if self.split_for_dataloading:
            plan = _split(plan)
        return plan

    # --- iteration ------------------------------------------------------------------

    def __iter__(self) -> Iterator[Any]:
        rng = random.Random(self._seed())
        for shard, fn in self._plan(rng):
            for d, fn_ in self._iter_shard(shard, fn, rng):
                yield _finish(d, fn_, shard["cuts"])
        self.epoch += 1

    def _iter_shard(self, shard: dict, fn: Optional[Callable], rng: random.Random):
        """Yield ``(filled cut dict, map function)`` for the cuts of one shard."""
        from nuptse.shar.utils import fill_placeholder_dict

        cuts_path = shard["cuts"]
        cut_dicts: Any = iter_jsonl_source(cuts_path, self.allow_pipe)
        skip, limit = 0, None
        if self.slice_length is not None:
            cut_dicts = list(cut_dicts)
            if self.slice_length < len(cut_dicts):
                skip = rng.randint(0, len(cut_dicts) - self.slice_length)
            limit = self.slice_length
        sources = {}
        for field in self.fields:
            path = shard[field]
            if _is_tar(path):
                sources[field] = (path, True, _tar_entries(path, self.allow_pipe))
            else:
                sources[field] = (path, False, _jsonl_entries(path, field, self.allow_pipe))
        # the cuts file as the caller named it (a Path stays a Path, as in lhotse)
        origin = cuts_path if isinstance(cuts_path, os.PathLike) else str(cuts_path)
        tar_fields = [f for f, (_, is_tar, _) in sources.items() if is_tar]
        n = 0
        yielded = 0
        try:
            for n, d in enumerate(cut_dicts, start=1):
                cut_id = d.get("id")
                entries = {}
                for field, (path, _, it) in sources.items():
                    try:
                        key, entry = next(it)
                    except StopIteration:
                        raise SharMismatchError(
                            f"field {field!r} ends after {n - 1} item(s) but the cut manifest "
                            f"{cuts_path!r} has more (next cut {cut_id!r})",
                            path,
                        ) from None
                    if key != cut_id:
                        raise SharMismatchError(
                            f"item {n} of field {field!r} belongs to {key!r} but cut {n} of "
                            f"{cuts_path!r} is {cut_id!r}",
                            path,
                            key,
                        )
                    entries[field] = entry
                if n <= skip:
                    continue
                if limit is not None and yielded >= limit:
                    return
                custom = d.get("custom")
                custom = dict(custom) if custom else {}
                for field, entry in entries.items():
                    path, is_tar, _ = sources[field]
                    if is_tar:
                        ext, data, meta = entry
                        if meta is None:
                            continue
                        value = _decode_meta(meta, path, cut_id + ".json")
                        _, value = fill_placeholder_dict(value, data, ext, where=path)
                    else:
                        if field not in entry:
                            continue
                        value = entry[field]
                    if field in ("recording", "features"):
                        d[field] = value
                    else:
                        custom[field] = value
                custom["shard_origin"] = origin
                custom["shar_epoch"] = self.epoch
                d["custom"] = custom
                d["__tar_fields__"] = tar_fields
                yield d, fn
                yielded += 1
            if limit is None:
                for field, (path, _, it) in sources.items():
                    extra = next(it, None)
                    if extra is not None:
                        raise SharMismatchError(
                            f"field {field!r} has more items than the {n} cut(s) of "
                            f"{cuts_path!r} (first extra: {extra[0]!r})",
                            path,
                            extra[0],
                        )
        finally:
            if hasattr(cut_dicts, "close"):
                cut_dicts.close()
            for _, _, it in sources.values():
                it.close()

    def __len__(self) -> int:
        if self._len is None:
            self._len = sum(self._count(p) for p in self.streams["cuts"])
        return self._len

    def _count(self, path: Any) -> int:
        import zlib

        from nuptse.serialization import TruncatedManifestError, count_jsonl_lines

        if is_pipe(path):
            # Counting would run the command an extra time; the length stays unknown.
            raise TypeError(f"the length of 'pipe:' Shar sources is unknown ({path})")
        try:
            return count_jsonl_lines(str(path))
        except FileNotFoundError as e:
            raise SharLayoutError(f"cut manifest not found: {e}", path) from e
        except (EOFError, zlib.error, OSError, TruncatedManifestError) as e:
            raise TruncatedShardError(
                f"the cut manifest cannot be read to the end: {e}", path
            ) from e


def _finish(d: dict, fn: Optional[Callable], cuts_path: Any) -> Any:
    """Build the cut from its filled dict and apply the shard's map function."""
    from nuptse.cut.base import cut_from_dict

    tar_fields = d.pop("__tar_fields__", ())
    try:
        cut = cut_from_dict(d)
    except SharError:
        raise
    except (KeyError, TypeError, ValueError) as e:
        raise CorruptShardError(
            f"cut {d.get('id')!r} cannot be built: {type(e).__name__}: {e}", cuts_path
        ) from e
    _ensure_custom_objects(cut, tar_fields)
    return fn(cut) if fn is not None else cut


def _ensure_custom_objects(cut: Any, tar_fields) -> None:
    """Turn custom tar-field dicts into manifest objects if the cut layer left them as dicts."""
    custom = cut.custom
    if not custom:
        return
    from nuptse.shar.utils import kind_of_dict, manifest_from_dict

    for field in tar_fields:
        if field not in ("recording", "features"):
            value = custom.get(field)
            if isinstance(value, dict):
                custom[field] = manifest_from_dict(kind_of_dict(value), value)


def _decode_meta(meta: bytes, path: Any, member: str) -> dict:
    try:
        d = loads(meta)
    except JSONDecodeError as e:
        raise CorruptShardError(f"invalid JSON in a manifest member: {e}", path, member) from None
    if not isinstance(d, dict):
        raise CorruptShardError("a manifest member is not a JSON object", path, member)
    return d
