"""CutSet: a manifest set of cuts.

Generic collection behaviour (eager/lazy, files, filter/map/split/shuffle/
mux) comes from :class:`nuptse.manifest.ManifestSet`; this class adds the
cut-specific operations, each of which hands the per-cut work to the cut
classes and keeps the laziness of its input.
"""

from __future__ import annotations

import importlib
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any

from nuptse.cut.base import CUT_TYPES, Cut, CutError, provide, uuid_id
from nuptse.cut.mono import MonoCut
from nuptse.cut.multi import MultiCut
from nuptse.lazy import LazyFlattener, LazyMapper, LazyNode
from nuptse.manifest import ManifestSet
from nuptse.serialization import Pathlike

_by_start = attrgetter("start")


def _is_cut_dict(data: dict) -> bool:
    kind = data.get("type")
    if kind is not None:
        return kind in CUT_TYPES
    if "tracks" in data:
        return True
    return (
        "channel" in data
        and "start" in data
        and "recording_id" not in data
        and ("recording" in data or "features" in data or "supervisions" in data)
    )


class CutSet(ManifestSet[Cut]):
    """A collection of cuts (MonoCut, MultiCut, MixedCut, PaddingCut), eager or lazy."""

    item_type = Cut

    @classmethod
    def accepts_dict(cls, data: dict) -> bool:
        return _is_cut_dict(data)

    # --- construction -------------------------------------------------------------

    @classmethod
    def from_cuts(cls, cuts: Iterable[Cut]) -> CutSet:
        return cls(cuts)

    @property
    def cuts(self):
        return self.data

    @classmethod
    def from_manifests(
        cls,
        recordings=None,
        supervisions=None,
        features=None,
        output_path: Pathlike | None = None,
        random_ids: bool = False,
        tolerance: float = 0.001,
        lazy: bool = False,
    ) -> CutSet:
        """One cut per recording (or per features item), holding its supervisions.

        Cut ids are ``{recording_id}-{index}`` (uuids with ``random_ids``). A
        recording with several channels gives a :class:`MultiCut`.  With
        ``lazy=True`` the manifests must be sorted by recording id; they are
        streamed side by side without being loaded, and the cuts are written
        to ``output_path`` (if given) as they are made.
        """
        if recordings is None and features is None:
            raise CutError("from_manifests needs recordings or features")
        if lazy:
            node = _LazyManifestJoin(recordings, supervisions, features, random_ids)
            if output_path is None:
                return cls(node)
            with cls.open_writer(output_path) as writer:
                for cut in node:
                    writer.write(cut)
            return cls.from_jsonl_lazy(output_path)
        sups_by_rec = _group_by_recording(supervisions or ())
        cuts = _join(recordings, sups_by_rec, features, random_ids)
        result = cls(cuts)
        if output_path is not None:
            result.to_file(output_path)
        return result

    # --- per-cut transformations --------------------------------------------------

    def _map(self, method: str, *args, **kwargs) -> CutSet:
        return self.map(_Method(method, args, kwargs))

    def _flat_map(self, method: str, *args, **kwargs) -> CutSet:
        fn = _Method(method, args, kwargs, many=True)
        if self.is_lazy:
            return type(self)(LazyFlattener(LazyMapper(self._items, fn)))
        out: list = []
        for cut in self:
            out.extend(fn(cut))
        return type(self)(out)

    def trim_to_supervisions(
        self,
        keep_overlapping: bool = True,
        min_duration: float | None = None,
        context_direction: str = "center",
        keep_all_channels: bool = False,
        num_jobs: int = 1,
    ) -> CutSet:
        """One cut per supervision of every cut (see :meth:`Cut.trim_to_supervisions`)."""
        return self._flat_map(
            "trim_to_supervisions",
            keep_overlapping=keep_overlapping,
            min_duration=min_duration,
            context_direction=context_direction,
            keep_all_channels=keep_all_channels,
        )

    def cut_into_windows(
        self,
        duration: float,
        hop: float | None = None,
        keep_excessive_supervisions: bool = True,
        num_jobs: int = 1,
    ) -> CutSet:
        """Every cut split into windows of ``duration`` s every ``hop`` s."""
        return self._flat_map(
            "cut_into_windows",
            duration,
            hop=hop,
            keep_excessive_supervisions=keep_excessive_supervisions,
        )

    def truncate(
        self,
        max_duration: float,
        offset_type: str = "start",
        keep_excessive_supervisions: bool = True,
        preserve_id: bool = False,
        rng: random.Random | None = None,
    ) -> CutSet:
        """Shorten cuts longer than ``max_duration``; keep the start, the end or a random span."""
        if offset_type not in ("start", "end", "random"):
            raise CutError(f"offset_type must be start, end or random, got {offset_type!r}")
        return self.map(
            _Truncator(max_duration, offset_type, keep_excessive_supervisions, preserve_id, rng)
        )

    def pad(
        self,
        duration: float | None = None,
        num_frames: int | None = None,
        num_samples: int | None = None,
        pad_feat_value: float | None = None,
        direction: str = "right",
        preserve_id: bool = False,
        pad_value_dict: dict | None = None,
    ) -> CutSet:
        """Pad every cut to a common length (the longest cut's duration by default)."""
        from nuptse.cut.base import LOG_EPSILON

        if duration is None and num_frames is None and num_samples is None:
            duration = max(c.duration for c in self)
        return self._map(
            "pad",
            duration=duration,
            num_frames=num_frames,
            num_samples=num_samples,
            pad_feat_value=LOG_EPSILON if pad_feat_value is None else pad_feat_value,
            direction=direction,
            preserve_id=preserve_id,
            pad_value_dict=pad_value_dict,
        )

    def mix(
        self,
        cuts: CutSet,
        duration: float | None = None,
        allow_padding: bool = False,
        snr: float | tuple[float, float] | None = 20,
        preserve_id: str | None = None,
        mix_prob: float = 1.0,
        seed: int = 42,
        random_mix_offset: bool = False,
    ) -> CutSet:
        """Mix a randomly chosen cut of ``cuts`` (e.g. noise) into each cut.

        ``snr`` is a value or a ``(low, high)`` range drawn uniformly; the
        noise is repeated until it covers the cut (or ``duration``).
        """
        pool = list(cuts)
        if not pool:
            raise CutError("CutSet.mix got an empty set of cuts to mix in")
        return self.map(
            _Mixer(
                pool, duration, allow_padding, snr, preserve_id, mix_prob, seed, random_mix_offset
            )
        )

    def sort_by_duration(self, ascending: bool = False) -> CutSet:
        return type(self)(sorted(self, key=lambda c: c.duration, reverse=not ascending))

    def sort_by_recording_id(self, ascending: bool = True) -> CutSet:
        return type(self)(sorted(self, key=lambda c: c.recording_id or "", reverse=not ascending))

    def filter_supervisions(self, predicate: Callable[[Any], bool]) -> CutSet:
        return self._map("filter_supervisions", predicate)

    def map_supervisions(self, transform_fn: Callable[[Any], Any]) -> CutSet:
        return self._map("map_supervisions", transform_fn)

    def resample(self, sampling_rate: int, affix_id: bool = False) -> CutSet:
        return self._map("resample", sampling_rate, affix_id=affix_id)

    def perturb_speed(self, factor: float, affix_id: bool = True) -> CutSet:
        return self._map("perturb_speed", factor=factor, affix_id=affix_id)

    def perturb_tempo(self, factor: float, affix_id: bool = True) -> CutSet:
        return self._map("perturb_tempo", factor=factor, affix_id=affix_id)

    def perturb_volume(self, factor: float, affix_id: bool = True) -> CutSet:
        return self._map("perturb_volume", factor=factor, affix_id=affix_id)

    def reverb_rir(self, rir_recordings=None, affix_id: bool = True, **kwargs) -> CutSet:
        rirs = list(rir_recordings) if rir_recordings is not None else None
        return self.map(_Reverb(rirs, affix_id, kwargs))

    def with_recording_path_prefix(self, path: Pathlike) -> CutSet:
        return self._map("with_recording_path_prefix", path)

    def with_features_path_prefix(self, path: Pathlike) -> CutSet:
        return self._map("with_features_path_prefix", path)

    def drop_features(self) -> CutSet:
        return self._map("drop_features")

    def drop_recordings(self) -> CutSet:
        return self._map("drop_recording")

    def drop_supervisions(self) -> CutSet:
        return self._map("drop_supervisions")

    def drop_alignments(self) -> CutSet:
        return self._map("drop_alignments")

    def drop_custom(self) -> CutSet:
        return self._map("drop_custom")

    # --- selection ----------------------------------------------------------------

    def subset(
        self,
        *,
        supervision_ids: Iterable[str] | None = None,
        cut_ids: Iterable[str] | None = None,
        first: int | None = None,
        last: int | None = None,
    ) -> CutSet:
        """Cuts by id (in the given order), by supervision id, or the first/last N."""
        if cut_ids is not None:
            ids = list(cut_ids)
            if self.is_lazy:
                wanted = set(ids)
                return self.filter(lambda c: c.id in wanted)
            missing = [i for i in ids if i not in self._items]
            if missing:
                raise KeyError(f"cut ids not in this CutSet: {missing[:5]}")
            return type(self)({i: self._items[i] for i in ids})
        if supervision_ids is not None:
            wanted = set(supervision_ids)
            return self.filter_supervisions(lambda s: s.id in wanted).filter(
                lambda c: len(c.supervisions) > 0
            )
        return super().subset(first=first, last=last)

    def sample(self, n_cuts: int = 1, rng: random.Random | None = None):
        rng = rng or random
        cuts = rng.sample(list(self), n_cuts)
        return cuts[0] if n_cuts == 1 else type(self)(cuts)

    # --- views --------------------------------------------------------------------

    @property
    def speakers(self) -> frozenset:
        return frozenset(s.speaker for c in self for s in c.supervisions if s.speaker)

    def has_features(self) -> bool:
        return all(c.has_features for c in self)

    def has_recordings(self) -> bool:
        return all(c.has_recording for c in self)

    def describe(self, full: bool = False, file=None):
        """Write a table of statistics (counts, durations, speakers, coverage) and return them.

        The statistics come from :class:`~nuptse.cut.describe.CutStatistics`,
        which can be built per shard and merged.
        """
        import sys

        from nuptse.cut.describe import CutStatistics

        stats = CutStatistics.from_cuts(self)
        (file or sys.stdout).write(stats.format_table(full=full) + "\n")
        return stats

    # --- features -----------------------------------------------------------------

    def compute_and_store_features(self, extractor, storage_path: Pathlike, *args, **kwargs):
        """Extract features of every cut and store them (see :mod:`nuptse.cut.compute`)."""
        from nuptse.cut.compute import compute_and_store_features

        return compute_and_store_features(self, extractor, storage_path, *args, **kwargs)

    def compute_and_store_features_batch(self, extractor, storage_path: Pathlike, *args, **kwargs):
        """Batched extraction with background audio loading (see :mod:`nuptse.cut.compute`)."""
        from nuptse.cut.compute import compute_and_store_features_batch

        return compute_and_store_features_batch(self, extractor, storage_path, *args, **kwargs)

    def compute_global_feature_stats(
        self, storage_path: Pathlike | None = None, max_cuts: int | None = None, extractor=None
    ) -> dict:
        """Mean and std of every feature dimension over the cuts' features."""
        from nuptse.cut.compute import compute_global_feature_stats

        return compute_global_feature_stats(self, storage_path, max_cuts, extractor)

    # --- Shar (a higher layer, reached through importlib) -------------------------

    def to_shar(
        self, output_dir: Pathlike, fields: dict, shard_size: int | None = 1000, *args, **kwargs
    ):
        """Export to Shar shards with :func:`nuptse.shar.export_cuts_to_shar`."""
        shar = importlib.import_module("nuptse.shar")
        return shar.export_cuts_to_shar(self, output_dir, fields, shard_size, *args, **kwargs)

    @classmethod
    def from_shar(cls, *args, **kwargs) -> CutSet:
        """Open Shar shards lazily with :func:`nuptse.shar.read_cuts_from_shar`."""
        shar = importlib.import_module("nuptse.shar")
        return shar.read_cuts_from_shar(*args, **kwargs)


# --- helpers (picklable callables, for lazy sets and process pools) -------------------


class _Method:
    """Calls ``cut.<name>(*args, **kwargs)``; with ``many`` returns a list."""

    def __init__(self, name: str, args: tuple, kwargs: dict, many: bool = False):
        self.name, self.args, self.kwargs, self.many = name, args, kwargs, many

    def __call__(self, cut: Cut):
        out = getattr(cut, self.name)(*self.args, **self.kwargs)
        return list(out) if self.many else out


class _Truncator:
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


class _Mixer:
    def __init__(
        self, pool, duration, allow_padding, snr, preserve_id, mix_prob, seed, random_offset
    ):
        self.pool, self.duration, self.allow_padding = pool, duration, allow_padding
        self.snr, self.preserve_id, self.mix_prob = snr, preserve_id, mix_prob
        self.rng = random.Random(seed)
        self.random_offset = random_offset

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
            noise, offset_other_by=round(offset, 8), snr=snr, preserve_id=self.preserve_id
        )
        covered = offset + noise.duration
        while covered < target:
            extra = rng.choice(self.pool)
            mixed = mixed.mix(extra, offset_other_by=round(covered, 8), snr=snr, preserve_id="left")
            covered += extra.duration
        if mixed.duration > target:
            mixed = mixed.truncate(duration=target, preserve_id=True)
        return mixed


class _Reverb:
    def __init__(self, rirs, affix_id, kwargs):
        self.rirs, self.affix_id, self.kwargs = rirs, affix_id, kwargs
        self.rng = random.Random(kwargs.pop("seed", 42) if "seed" in kwargs else 42)

    def __call__(self, cut: Cut) -> Cut:
        rir = self.rng.choice(self.rirs) if self.rirs else None
        return cut.reverb_rir(rir_recording=rir, affix_id=self.affix_id, **self.kwargs)


class _Group(list):
    """Supervisions of one recording; ``ordered`` tells whether they came sorted by start."""

    ordered = True


def _group_by_recording(supervisions) -> dict[str, _Group]:
    groups: dict[str, _Group] = {}
    last_rid = None
    cur: _Group = _Group()
    last_start = float("-inf")
    for s in supervisions:
        rid = s.recording_id
        if rid != last_rid:
            cur = groups.get(rid)
            if cur is None:
                cur = groups[rid] = _Group()
                last_start = float("-inf")
            else:
                last_start = cur[-1].start
            last_rid = rid
        start = s.start
        if start < last_start:
            cur.ordered = False
        last_start = start
        cur.append(s)
    return groups


def _make_cut(rec, sups: list, feats, idx: int, random_ids: bool) -> Cut:
    if len(sups) > 1 and not getattr(sups, "ordered", False):
        sups = sorted(sups, key=_by_start)
    else:
        sups = list(sups)
    cut_id = uuid_id() if random_ids else f"{rec.id}-{idx}"
    channels = list(rec.channel_ids)
    cls, channel = (MonoCut, channels[0]) if len(channels) == 1 else (MultiCut, channels)
    # Build without __init__'s per-field __setattr__ (hot for large manifests).
    cut = object.__new__(cls)
    object.__setattr__(
        cut,
        "__dict__",
        {
            "id": cut_id,
            "start": 0.0,
            "duration": rec.duration,
            "channel": channel,
            "supervisions": sups,
            "features": feats,
            "recording": rec,
            "custom": None,
        },
    )
    return cut


def _pick_features(candidates: list, channels) -> Any:
    if not candidates:
        return None
    for f in candidates:
        fc = f.channels
        if fc == channels or (
            isinstance(channels, list) and len(channels) == 1 and fc == channels[0]
        ):
            return f
    return candidates[0]


def _join(recordings, sups_by_rec: dict, features, random_ids: bool) -> list:
    cuts: list = []
    if recordings is None:
        # Features only: one cut per features item.
        for idx, f in enumerate(features):
            rid = f.recording_id
            sups = [
                s
                for s in sups_by_rec.get(rid, ())
                if s.start >= f.start - 1e-3 and s.start + s.duration <= f.end + 1e-3
            ]
            sups = [s.with_offset(-f.start) if f.start else s for s in sups]
            cuts.append(
                MonoCut(
                    uuid_id() if random_ids else f"{rid}-{idx}",
                    f.start,
                    f.duration,
                    f.channels if f.channels is not None else 0,
                    sorted(sups, key=lambda s: s.start),
                    f,
                    None,
                )
            )
        return cuts
    feats_by_rec: dict[str, list] = defaultdict(list)
    for f in features or ():
        feats_by_rec[f.recording_id].append(f)
    for idx, rec in enumerate(recordings):
        feats = _pick_features(feats_by_rec.get(rec.id, []), list(rec.channel_ids))
        cuts.append(_make_cut(rec, sups_by_rec.get(rec.id, []), feats, idx, random_ids))
    return cuts


class _LazyManifestJoin(LazyNode):
    """Joins recordings with supervisions (and features) both sorted by recording id,
    reading each stream once and holding only one recording's items at a time."""

    def __init__(self, recordings, supervisions, features, random_ids: bool):
        if recordings is None:
            raise CutError("lazy from_manifests needs recordings")
        self.recordings, self.supervisions = recordings, supervisions
        self.features, self.random_ids = features, random_ids

    def __iter__(self):
        sup_stream = _Grouped(self.supervisions, "supervisions")
        feat_stream = _Grouped(self.features, "features")
        for idx, rec in enumerate(self.recordings):
            sups = sup_stream.take(rec.id)
            feats = _pick_features(feat_stream.take(rec.id), list(rec.channel_ids))
            yield _make_cut(rec, sups, feats, idx, self.random_ids)
        sup_stream.finish()
        feat_stream.finish()


class _Grouped:
    """Consumes a stream sorted by ``recording_id`` one recording at a time."""

    def __init__(self, items, what: str):
        self.it = iter(items) if items is not None else iter(())
        self.what = what
        self.pending = next(self.it, None)

    def take(self, rec_id: str) -> list:
        out = []
        while self.pending is not None and self.pending.recording_id <= rec_id:
            item = self.pending
            if item.recording_id != rec_id:
                raise CutError(
                    f"lazy from_manifests: {self.what} item {item.id!r} refers to recording "
                    f"{item.recording_id!r}, which does not come before {rec_id!r} in the "
                    f"recordings; both manifests must be sorted by recording id"
                )
            out.append(item)
            self.pending = next(self.it, None)
        return out

    def finish(self) -> None:
        if self.pending is not None:
            raise CutError(
                f"lazy from_manifests: {self.what} item {self.pending.id!r} refers to recording "
                f"{self.pending.recording_id!r}, which is not among the recordings (or the "
                f"manifests are not sorted by recording id)"
            )


provide("CutSet", CutSet)
