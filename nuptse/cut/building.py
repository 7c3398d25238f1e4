"""Building cuts from recording, supervision and feature manifests (``CutSet.from_manifests``).

Eager joins group the supervisions by recording id in one pass; lazy joins
stream manifests sorted by recording id side by side, holding one
recording's items at a time.
"""

from __future__ import annotations

from collections import defaultdict
from operator import attrgetter
from typing import Any

from nuptse.cut.base import Cut, CutError, uuid_id
from nuptse.cut.mono import MonoCut
from nuptse.cut.multi import MultiCut
from nuptse.lazy import LazyNode

_by_start = attrgetter("start")


class _Group(list):
    """Supervisions of one recording; ``ordered`` tells whether they came sorted by start."""

    ordered = True


def group_by_recording(supervisions) -> dict[str, _Group]:
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


def join_manifests(recordings, sups_by_rec: dict, features, random_ids: bool) -> list:
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


class LazyManifestJoin(LazyNode):
    """Joins recordings with supervisions (and features) both sorted by recording id,
    reading each stream once and holding only one recording's items at a time."""

    def __init__(self, recordings, supervisions, features, random_ids: bool):
        if recordings is None and features is None:
            raise CutError("from_manifests needs recordings or features")
        self.recordings, self.supervisions = recordings, supervisions
        self.features, self.random_ids = features, random_ids

    def __iter__(self):
        if self.recordings is None:
            # Features only: the supervisions of a recording may span several
            # feature items, so they are grouped in memory first.
            sups = group_by_recording(self.supervisions or ())
            yield from join_manifests(None, sups, self.features, self.random_ids)
            return
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


# --- taking cut sets apart ------------------------------------------------------------------


def decompose(cuts, output_dir=None, verbose: bool = False):
    """The distinct recordings, supervisions (in recording time) and features of ``cuts``.

    Mixed cuts are taken apart track by track.  Each part is ``None`` when no
    cut has one; with ``output_dir`` the parts are also written there
    (``recordings.jsonl.gz``, ``supervisions.jsonl.gz``, ``features.jsonl.gz``).
    """
    from pathlib import Path

    from nuptse.audio import RecordingSet
    from nuptse.features import FeatureSet
    from nuptse.supervision import SupervisionSet

    out = Path(output_dir) if output_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    recs, sups, feats = [], [], []
    seen_recs: set = set()
    seen_sups: set = set()

    def take(cut) -> None:
        if getattr(cut, "recording", None) is not None and cut.recording_id not in seen_recs:
            recs.append(cut.recording)
            seen_recs.add(cut.recording_id)
        if getattr(cut, "features", None) is not None:
            feats.append(cut.features)
        for s in cut.supervisions:
            if s.id not in seen_sups:
                sups.append(s.with_offset(cut.start))
                seen_sups.add(s.id)

    items = cuts
    if verbose:
        from tqdm.auto import tqdm

        items = tqdm(cuts, desc="Decomposing cuts")
    for cut in items:
        for part in [t.cut for t in cut.tracks] if hasattr(cut, "tracks") else [cut]:
            if hasattr(part, "recording") and not hasattr(part, "feat_value"):
                take(part)
    result = []
    for items_, cls, name in (
        (recs, RecordingSet, "recordings"),
        (sups, SupervisionSet, "supervisions"),
        (feats, FeatureSet, "features"),
    ):
        if out is not None:
            with cls.open_writer(out / f"{name}.jsonl.gz") as writer:
                for item in items_:
                    writer.write(item)
            result.append(cls.from_jsonl_lazy(out / f"{name}.jsonl.gz") if items_ else None)
        else:
            result.append(cls.from_items(items_) if items_ else None)
    return tuple(result)


def save_audios(
    cuts,
    storage_path,
    format: str = "wav",
    encoding: str | None = None,
    num_jobs: int | None = None,
    executor=None,
    augment_fn=None,
    progress_bar: bool = True,
):
    """Every cut's audio written to ``{storage_path}/{id[:3]}/{id}.{format}``; the cuts
    of those files (see :meth:`Cut.save_audio`).  With ``num_jobs > 1`` (or an
    ``executor``) the cuts are split and written in parallel."""
    from pathlib import Path

    root = Path(storage_path)

    def one(cut):
        from nuptse.utils.safe_paths import contained_path, safe_file_name

        name = safe_file_name(cut.id)  # an id like "../../x" must not leave storage_path
        target = contained_path(root, f"{name[:3]}/{name}.{format}")
        target.parent.mkdir(parents=True, exist_ok=True)
        return cut.save_audio(
            storage_path=target,
            format=format,
            encoding=encoding,
            augment_fn=augment_fn,
        )

    cut_set_cls = type(cuts)
    if (num_jobs or 1) <= 1 and executor is None:
        items = cuts
        if progress_bar:
            from tqdm.auto import tqdm

            items = tqdm(cuts, desc="Storing audio recordings")
        return cut_set_cls.from_cuts([one(c) for c in items])
    from concurrent.futures import ProcessPoolExecutor

    from nuptse.utils.orphans import exit_with_parent

    parts = cuts.split(num_jobs or 2) if not cuts.is_lazy else cuts.to_eager().split(num_jobs)
    pool = executor or ProcessPoolExecutor(max_workers=num_jobs, initializer=exit_with_parent)
    try:
        futures = [
            pool.submit(
                save_audios, part, storage_path, format, encoding, 1, None, augment_fn, False
            )
            for part in parts
        ]
        out: list = []
        for f in futures:
            out.extend(f.result())
    finally:
        if executor is None:
            pool.shutdown()
    return cut_set_cls.from_cuts(out)


def copy_data(cuts, output_dir, verbose: bool = True):
    """Copy every piece of data the cuts reference under ``output_dir`` and return the
    cuts pointing at the copies (lazily, from ``output_dir/cuts.jsonl.gz``).

    Audio goes to ``audio/{cut id}.flac`` (the cut's span only), features to
    ``features.lca`` (or ``features/`` for a non-chunky default backend),
    custom arrays to ``custom/{field}/``.  Mixed cuts are copied track by track.
    """
    from pathlib import Path

    from nuptse.features.array import Array, TemporalArray
    from nuptse.features.io import LilcomChunkyWriter, NumpyHdf5Writer
    from nuptse.features.io.base import default_features_storage_backend

    out = Path(output_dir)
    audio_dir = out / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    custom_dir = out / "custom"
    writer_cls = default_features_storage_backend()
    if writer_cls is LilcomChunkyWriter:
        feats_path = out / "features.lca"
    else:
        feats_path = out / "features"
        feats_path.mkdir(parents=True, exist_ok=True)
    custom_writers: dict = {}

    def copy_one(cut, feats_writer):
        if cut.features is not None:
            cut = cut._copy(features=cut.features.copy_feats(writer=feats_writer))
        if cut.recording is not None:
            from nuptse.utils.safe_paths import contained_path, safe_file_name

            cut = cut.save_audio(contained_path(audio_dir, f"{safe_file_name(cut.id)}.flac"))
        custom = dict(cut.custom or {})
        for name, value in custom.items():
            if isinstance(value, (Array, TemporalArray)):
                if name not in custom_writers:
                    (custom_dir / name).mkdir(parents=True, exist_ok=True)
                    custom_writers[name] = NumpyHdf5Writer(custom_dir / name)
                w = custom_writers[name]
                data = value.load()
                if isinstance(value, TemporalArray):
                    custom[name] = w.store_array(
                        cut.id,
                        data,
                        frame_shift=value.frame_shift,
                        temporal_dim=value.temporal_dim,
                        start=value.start,
                    )
                else:
                    custom[name] = w.store_array(cut.id, data)
        return cut._copy(custom=custom or None) if cut.custom else cut

    items = cuts
    if verbose:
        from tqdm.auto import tqdm

        items = tqdm(cuts, desc="Copying CutSet data")
    cut_set_cls = type(cuts)
    try:
        with (
            cut_set_cls.open_writer(out / "cuts.jsonl.gz") as manifest,
            writer_cls(feats_path) as feats_writer,
        ):
            for cut in items:
                if hasattr(cut, "tracks"):
                    cut = cut._with_tracks(
                        [
                            t._with(cut=copy_one(t.cut, feats_writer))
                            if hasattr(t.cut, "recording") and not hasattr(t.cut, "feat_value")
                            else t
                            for t in cut.tracks
                        ]
                    )
                elif not hasattr(cut, "feat_value"):
                    cut = copy_one(cut, feats_writer)
                manifest.write(cut)
    finally:
        for w in custom_writers.values():
            w.close()
    return manifest.open_manifest()
