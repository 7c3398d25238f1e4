"""CutSet: a manifest set of cuts.

Generic collection behaviour (eager/lazy, files, filter/map/split/shuffle/
mux, positional access) comes from :class:`nuptse.manifest.ManifestSet`; this
class adds the cut-specific operations, each of which hands the per-cut work
to the cut classes and keeps the laziness of its input.  Eager cut sets keep
their cuts in a :class:`~nuptse.cut.set_ops.CutList`, so (as in lhotse) the
same id may occur twice.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from nuptse.cut.base import CUT_TYPES, LOG_EPSILON, Cut, CutError, provide
from nuptse.cut.building import LazyManifestJoin, group_by_recording, join_manifests
from nuptse.cut.mixed import MixedCut
from nuptse.cut.mono import MonoCut
from nuptse.cut.multi import MultiCut
from nuptse.cut.set_data import CutSetDataMixin
from nuptse.cut.set_ops import (
    CutList,
    CutListBuilder,
    CutMethod,
    HasSupervisions,
    InIds,
    IsType,
    LazyCutMixer,
    Loudness,
    NewId,
    Reverb,
    ShuffledChain,
    TextTransform,
    Truncator,
)
from nuptse.lazy import LazyChain, LazyFlattener, LazyMapper, LazyNode
from nuptse.manifest import ManifestArgumentError, ManifestSet
from nuptse.serialization import Pathlike

logger = logging.getLogger(__name__)


def _is_cut_dict(data: dict) -> bool:
    kind = data.get("type")
    if kind is not None:
        return kind in CUT_TYPES or kind == "Cut"
    if "tracks" in data:
        return True
    return (
        "channel" in data
        and "start" in data
        and "recording_id" not in data
        and ("recording" in data or "features" in data or "supervisions" in data)
    )


class CutSet(CutSetDataMixin, ManifestSet[Cut]):
    """A collection of cuts (MonoCut, MultiCut, MixedCut, PaddingCut), eager or lazy.

    >>> from nuptse.cut import MonoCut
    >>> cuts = CutSet([MonoCut("a", 0.0, 1.0, 0), MonoCut("b", 0.0, 2.0, 0)])
    >>> cuts[1].id, [c.id for c in cuts[:1]], cuts["a"].duration
    ('b', ['a'], 1.0)
    """

    item_type = Cut

    def __init__(self, cuts: Iterable[Cut] | None = None):
        if cuts is not None and not isinstance(cuts, (dict, CutList, LazyNode, ManifestSet)):
            if hasattr(cuts, "take") and hasattr(cuts, "values"):
                super().__init__(cuts)  # another ItemStore
                return
            cuts = CutList(list(cuts))
        super().__init__(cuts)

    @classmethod
    def accepts_dict(cls, data: dict) -> bool:
        return _is_cut_dict(data)

    @classmethod
    def _builder(cls):
        return CutListBuilder(cls.item_type.from_dict)

    @classmethod
    def _eager_from_items(cls, items: Iterable[Cut]) -> CutList:
        return CutList(list(items))

    # --- construction -------------------------------------------------------------

    @classmethod
    def from_cuts(cls, cuts: Iterable[Cut]) -> CutSet:
        """An eager set of ``cuts`` (kept in order, duplicates allowed)."""
        return cls(CutList(list(cuts)))

    from_items = from_cuts

    @property
    def cuts(self):
        return self.data

    @classmethod
    def from_files(
        cls, paths: list[Pathlike], shuffle_iters: bool = True, seed: int | None = None
    ) -> CutSet:
        """One lazy set reading several cut manifests in turn (in a new random order on
        every iteration with ``shuffle_iters``)."""
        from nuptse.lazy import LazyDeserializer, LazyJsonlIterator

        sources = [LazyDeserializer(LazyJsonlIterator(p), cls.item_type) for p in paths]
        return cls(ShuffledChain(sources, shuffle_iters, seed))

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
            node = LazyManifestJoin(recordings, supervisions, features, random_ids)
            if output_path is None:
                return cls(node)
            with cls.open_writer(output_path) as writer:
                for cut in node:
                    writer.write(cut)
            return cls.from_jsonl_lazy(output_path)
        sups_by_rec = group_by_recording(supervisions or ())
        result = cls.from_cuts(join_manifests(recordings, sups_by_rec, features, random_ids))
        if output_path is not None:
            result.to_file(output_path)
        return result

    # --- views --------------------------------------------------------------------

    @property
    def mixed_cuts(self) -> CutSet:
        return self.filter(IsType(MixedCut))

    @property
    def simple_cuts(self) -> CutSet:
        return self.filter(IsType(MonoCut))

    @property
    def multi_cuts(self) -> CutSet:
        return self.filter(IsType(MultiCut))

    @property
    def speakers(self) -> frozenset:
        return frozenset(s.speaker for c in self for s in c.supervisions if s.speaker)

    def has_features(self) -> bool:
        return all(c.has_features for c in self)

    def has_recordings(self) -> bool:
        return all(c.has_recording for c in self)

    def __add__(self, other: CutSet) -> CutSet:
        """Both sets' cuts, in order, as a lazy chain (as lhotse's ``+`` always is;
        ``to_eager()`` holds them in memory)."""
        return type(self)(LazyChain(self, other))

    def __repr__(self) -> str:
        if self.is_lazy:
            return f"CutSet(lazy={type(self._items).__name__})"
        return f"CutSet(len={len(self)})"

    # --- per-cut transformations --------------------------------------------------

    def map(self, transform_fn: Callable[[Cut], Cut]) -> CutSet:
        """Apply ``transform_fn`` to every cut (lazily for a lazy set)."""
        if self.is_lazy:
            return type(self)(LazyMapper(self._items, transform_fn))
        return type(self).from_cuts(transform_fn(c) for c in self)

    def _map(self, method: str, *args, **kwargs) -> CutSet:
        return self.map(CutMethod(method, args, kwargs))

    def _flat_map(self, method: str, *args, **kwargs) -> CutSet:
        fn = CutMethod(method, args, kwargs, many=True)
        if self.is_lazy:
            return type(self)(LazyFlattener(LazyMapper(self._items, fn)))
        out: list = []
        for cut in self:
            out.extend(fn(cut))
        return type(self).from_cuts(out)

    def modify_ids(self, transform_fn: Callable[[str], str]) -> CutSet:
        """Every cut's id replaced by ``transform_fn(id)``."""
        return self.map(NewId(transform_fn))

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

    def trim_to_alignments(
        self,
        type: str,
        max_pause: float = 0.0,
        max_segment_duration: float | None = None,
        delimiter: str = " ",
        keep_all_channels: bool = False,
        num_jobs: int = 1,
    ) -> CutSet:
        """One cut per alignment item (or run of items) of every cut."""
        return self._flat_map(
            "trim_to_alignments",
            type=type,
            max_pause=max_pause,
            max_segment_duration=max_segment_duration,
            delimiter=delimiter,
            keep_all_channels=keep_all_channels,
        )

    def trim_to_supervision_groups(
        self, max_pause: float | None = None, num_jobs: int = 1
    ) -> CutSet:
        """One cut per group of nearby supervisions of every cut."""
        return self._flat_map("trim_to_supervision_groups", max_pause=max_pause or 0.0)

    def trim_to_unsupervised_segments(self) -> CutSet:
        """One cut per stretch of every cut that no supervision covers."""
        return self._flat_map("_unsupervised_segments")

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

    def cut_into_windows_balanced(
        self,
        min_duration: float,
        max_duration: float,
        overlap: float = 0.0,
        keep_excessive_supervisions: bool = True,
        num_jobs: int = 1,
    ) -> CutSet:
        """Every cut split into windows of one length in ``[min_duration, max_duration]``."""
        return self._flat_map(
            "cut_into_windows_balanced",
            min_duration,
            max_duration,
            overlap=overlap,
            keep_excessive_supervisions=keep_excessive_supervisions,
        )

    def index_supervisions(
        self, index_mixed_tracks: bool = False, keep_ids: set[str] | None = None
    ) -> dict:
        """Supervision indexes of all cuts, by cut id (see :meth:`Cut.index_supervisions`)."""
        out: dict = {}
        for cut in self:
            out.update(cut.index_supervisions(index_mixed_tracks, keep_ids))
        return out

    def truncate(
        self,
        max_duration: float,
        offset_type: str,
        keep_excessive_supervisions: bool = True,
        preserve_id: bool = False,
        rng: random.Random | None = None,
    ) -> CutSet:
        """Shorten cuts longer than ``max_duration``; keep the start, the end or a random span."""
        if offset_type not in ("start", "end", "random"):
            raise CutError(f"offset_type must be start, end or random, got {offset_type!r}")
        return self.map(
            Truncator(max_duration, offset_type, keep_excessive_supervisions, preserve_id, rng)
        )

    def extend_by(
        self,
        duration: float,
        direction: str = "both",
        preserve_id: bool = False,
        pad_silence: bool = True,
    ) -> CutSet:
        """Every cut grown by ``duration`` s with its recording's context (see
        :meth:`DataCut.extend_by`)."""
        return self._map(
            "extend_by",
            duration=duration,
            direction=direction,
            preserve_id=preserve_id,
            pad_silence=pad_silence,
        )

    def pad(
        self,
        duration: float | None = None,
        num_frames: int | None = None,
        num_samples: int | None = None,
        pad_feat_value: float = LOG_EPSILON,
        direction: str = "right",
        preserve_id: bool = False,
        pad_value_dict: dict | None = None,
    ) -> CutSet:
        """Pad every cut to a common length (the longest cut's duration by default)."""
        if duration is None and num_frames is None and num_samples is None:
            duration = max(c.duration for c in self)
        return self._map(
            "pad",
            duration=duration,
            num_frames=num_frames,
            num_samples=num_samples,
            pad_feat_value=pad_feat_value,
            direction=direction,
            preserve_id=preserve_id,
            pad_value_dict=pad_value_dict,
        )

    def mix(
        self,
        cuts: CutSet,
        duration: float | None = None,
        allow_padding: bool = False,
        snr: float | Sequence[float] | None = 20,
        preserve_id: str | None = None,
        mix_prob: float = 1.0,
        seed: int | random.Random = 42,
        random_mix_offset: bool = False,
        tag: str | None = None,
    ) -> CutSet:
        """Mix a randomly chosen cut of ``cuts`` (e.g. noise) into each cut.

        ``snr`` is a value or a ``(low, high)`` range drawn uniformly; the
        noise is repeated until it covers the cut (or ``duration``).  ``tag``
        labels the mixed-in tracks.  The result is lazy (see
        :class:`~nuptse.cut.set_ops.LazyCutMixer`).
        """
        return type(self)(
            LazyCutMixer(
                self,
                cuts,
                duration=duration,
                allow_padding=allow_padding,
                snr=snr,
                preserve_id=preserve_id,
                mix_prob=mix_prob,
                seed=seed,
                random_mix_offset=random_mix_offset,
                tag=tag,
            )
        )

    def sort_by_duration(self, ascending: bool = False) -> CutSet:
        return type(self).from_cuts(sorted(self, key=lambda c: c.duration, reverse=not ascending))

    def sort_by_recording_id(self, ascending: bool = True) -> CutSet:
        return type(self).from_cuts(
            sorted(self, key=lambda c: c.recording_id or "", reverse=not ascending)
        )

    def sort_like(self, other: CutSet | Sequence[str]) -> CutSet:
        """The cuts in the order of ``other``'s ids (both must hold the same ids)."""
        order = list(other.ids if isinstance(other, CutSet) else other)
        mine = list(self)
        if {c.id for c in mine} != set(order):
            raise CutError("sort_like() needs both sets to hold exactly the same cut ids")
        pos = {cid: i for i, cid in enumerate(order)}
        return type(self).from_cuts(sorted(mine, key=lambda c: pos[c.id]))

    def filter_supervisions(self, predicate: Callable[[Any], bool]) -> CutSet:
        return self._map("filter_supervisions", predicate)

    def map_supervisions(self, transform_fn: Callable[[Any], Any]) -> CutSet:
        return self._map("map_supervisions", transform_fn)

    def transform_text(self, transform_fn: Callable[[str], str]) -> CutSet:
        """Every supervision's text replaced by ``transform_fn(text)``."""
        return self.map_supervisions(TextTransform(transform_fn))

    def merge_supervisions(
        self, merge_policy: str = "delimiter", custom_merge_fn: Callable | None = None
    ) -> CutSet:
        return self._map(
            "merge_supervisions", merge_policy=merge_policy, custom_merge_fn=custom_merge_fn
        )

    def fill_supervisions(self, add_empty: bool = True, shrink_ok: bool = False) -> CutSet:
        return self._map("fill_supervision", add_empty=add_empty, shrink_ok=shrink_ok)

    def resample(
        self, sampling_rate: int, affix_id: bool = False, recording_field: str | None = None
    ) -> CutSet:
        if recording_field is None:
            return self._map("resample", sampling_rate, affix_id=affix_id)
        return self._map(
            "resample", sampling_rate, affix_id=affix_id, recording_field=recording_field
        )

    def perturb_speed(self, factor: float, affix_id: bool = True) -> CutSet:
        return self._map("perturb_speed", factor=factor, affix_id=affix_id)

    def perturb_tempo(self, factor: float, affix_id: bool = True) -> CutSet:
        return self._map("perturb_tempo", factor=factor, affix_id=affix_id)

    def perturb_volume(self, factor: float, affix_id: bool = True) -> CutSet:
        return self._map("perturb_volume", factor=factor, affix_id=affix_id)

    def narrowband(self, codec: str, restore_orig_sr: bool = True, affix_id: bool = True) -> CutSet:
        return self._map(
            "narrowband", codec=codec, restore_orig_sr=restore_orig_sr, affix_id=affix_id
        )

    def normalize_loudness(
        self, target: float, mix_first: bool = True, affix_id: bool = True
    ) -> CutSet:
        """Loudness normalization of every cut (mixes: of the mix with ``mix_first``)."""
        return self.map(Loudness(target, mix_first, affix_id))

    def dereverb_wpe(self, affix_id: bool = True) -> CutSet:
        return self._map("dereverb_wpe", affix_id=affix_id)

    def reverb_rir(
        self,
        rir_recordings=None,
        normalize_output: bool = True,
        early_only: bool = False,
        affix_id: bool = True,
        rir_channels: list[int] | tuple[int, ...] = (0,),
        room_rng_seed: int | None = None,
        source_rng_seed: int | None = None,
    ) -> CutSet:
        """Reverberate every cut with a randomly chosen impulse response of
        ``rir_recordings`` (or a simulated room when there are none)."""
        rirs = list(rir_recordings) if rir_recordings is not None else None
        kwargs = {
            "normalize_output": normalize_output,
            "early_only": early_only,
            "rir_channels": list(rir_channels),
        }
        if room_rng_seed is not None:
            kwargs["room_rng_seed"] = room_rng_seed
        if source_rng_seed is not None:
            kwargs["source_rng_seed"] = source_rng_seed
        return self.map(Reverb(rirs, affix_id, kwargs))

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

    def drop_in_memory_data(self) -> CutSet:
        return self._map("drop_in_memory_data")

    def move_to_memory(
        self,
        audio_format: str = "flac",
        load_audio: bool = True,
        load_features: bool = True,
        load_custom: bool = True,
    ) -> CutSet:
        return self._map(
            "move_to_memory",
            audio_format=audio_format,
            load_audio=load_audio,
            load_features=load_features,
            load_custom=load_custom,
        )

    def combine_same_recording_channels(self) -> CutSet:
        """MultiCuts of the mono cuts that share a recording and span (one per group)."""
        groups: dict = {}
        for cut in self:
            if not isinstance(cut, MonoCut):
                raise CutError(
                    f"combine_same_recording_channels takes mono cuts only, got "
                    f"{type(cut).__name__} {cut.id!r}"
                )
            groups.setdefault((cut.recording_id, cut.start, cut.end), []).append(cut)
        return type(self).from_cuts(MultiCut.from_mono(*g) for g in groups.values())

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
        if sum(x is not None for x in (supervision_ids, cut_ids, first, last)) != 1:
            raise ManifestArgumentError(
                "subset() takes exactly one of supervision_ids, cut_ids, first, last"
            )
        if cut_ids is not None:
            ids = list(cut_ids)
            wanted = set(ids)
            found = {c.id: c for c in self if c.id in wanted}
            if not self.is_lazy:
                missing = [i for i in ids if i not in found]
                if missing:
                    logger.warning(
                        "subset: %d cut id(s) are not in this CutSet (e.g. %s)",
                        len(missing),
                        missing[:3],
                    )
            return type(self).from_cuts(found[i] for i in ids if i in found)
        if supervision_ids is not None:
            wanted = set(supervision_ids)
            return self.filter_supervisions(InIds(wanted)).filter(HasSupervisions())
        return super().subset(first=first, last=last)

    def sample(self, n_cuts: int = 1) -> Cut | CutSet:
        """``n_cuts`` cuts drawn at random (one cut when ``n_cuts == 1``)."""
        cuts = random.sample(list(self), n_cuts)
        return cuts[0] if n_cuts == 1 else type(self).from_cuts(cuts)

    def prefetch(self, buffer_size: int = 10) -> CutSet:
        """The same cuts (nuptse reads manifests without a prefetching thread)."""
        return self


def create_cut_set_eager(
    recordings=None,
    supervisions=None,
    features=None,
    output_path: Pathlike | None = None,
    random_ids: bool = False,
    tolerance: float = 0.001,
) -> CutSet:
    """:meth:`CutSet.from_manifests` held in memory."""
    return CutSet.from_manifests(
        recordings, supervisions, features, output_path, random_ids, tolerance, lazy=False
    )


def create_cut_set_lazy(
    output_path: Pathlike,
    recordings=None,
    supervisions=None,
    features=None,
    random_ids: bool = False,
    tolerance: float = 0.001,
) -> CutSet:
    """:meth:`CutSet.from_manifests` streamed into ``output_path`` (manifests sorted by
    recording id) and opened lazily."""
    return CutSet.from_manifests(
        recordings, supervisions, features, output_path, random_ids, tolerance, lazy=True
    )


provide("CutSet", CutSet)
