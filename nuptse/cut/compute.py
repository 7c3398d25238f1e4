"""Feature extraction over cut sets: sequential, sharded on any executor, or batched.

Sharded runs (``num_jobs > 1`` or an ``executor``) split the cuts into
deterministic shards.  Each shard writes its own feature archive
``feats-<i>-<digest>`` and then, atomically, its manifest
``cuts-<i>-<digest>.jsonl.gz``; the digest covers the shard's cuts' whole
content, the extractor's config and the storage type (``nuptse.cut.reuse``), so
edited cuts or another extractor never reuse a shard, and re-running the same call after an interruption finds the
finished shards' manifests and only computes the missing ones.

With ``on_error="skip"`` a cut whose audio cannot be loaded or processed is
left out, logged with the reason, and listed in a report file next to the
output manifest (``<manifest stem>.errors.jsonl``).
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Executor, Future, as_completed
from pathlib import Path

import numpy as np

from nuptse.cut.base import Cut, CutError, provide, provided
from nuptse.cut.extraction import compute_and_store_cut, process_cuts, worker_init
from nuptse.cut.reuse import (
    APPENDABLE_WRITERS,
    ResumeGuard,
    discard_manifest_on_storage,
    run_config,
    shard_digest,
)
from nuptse.features.finite import check_finite
from nuptse.serialization import Pathlike, iter_jsonl, save_to_jsonl

logger = logging.getLogger(__name__)

ON_ERROR = ("raise", "skip")
#: Shards of a sharded run hold at least this much audio (seconds), unless
#: that would leave a worker without one.
MIN_SHARD_SECONDS = 1800.0


# --- helpers --------------------------------------------------------------------------


def _writer_cls(storage_type):
    from nuptse.features.io import get_writer

    if storage_type is None:
        return get_writer("lilcom_chunky")
    if isinstance(storage_type, str):
        return get_writer(storage_type)
    return storage_type


def report_path(manifest_path: Pathlike) -> Path:
    """Where the skipped-cuts report of ``manifest_path`` goes: ``<stem>.errors.jsonl``."""
    p = Path(manifest_path)
    name = p.name
    for ext in (".gz", ".jsonl", ".json", ".yaml"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    return p.with_name(name + ".errors.jsonl")


def _write_report(path: Path, errors: list[dict]) -> None:
    if errors:
        save_to_jsonl(errors, path)
        logger.warning("%d cut(s) were skipped; see %s", len(errors), path)
    elif path.exists():
        path.unlink()


def _as_completed(futures: list):
    """The futures as they finish: ``concurrent.futures`` ones through its
    ``as_completed``, others (e.g. Dask's ``Client.submit``) through their own
    package's ``as_completed``, or else in submission order."""
    if all(isinstance(f, Future) for f in futures):
        return as_completed(futures)
    import importlib

    package = importlib.import_module(type(futures[0]).__module__.split(".")[0])
    own = getattr(package, "as_completed", None)
    return own(futures) if own is not None else futures


def _check_on_error(on_error: str) -> None:
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")


# --- shards ---------------------------------------------------------------------------


def _compute_shard(
    cut_dicts: list[dict],
    extractor,
    storage_type,
    storage_path: str,
    manifest_path: str,
    augment_fn,
    mix_eagerly: bool,
    on_error: str,
    run_id: str = "",
) -> tuple[str, int, list[dict]]:
    """Worker: compute one shard, write its archive, errors and manifest (last, atomically).

    ``run_id`` differs between calls so that executors which cache results by
    their arguments (Dask's pure tasks) do not return an earlier failure.
    """
    from nuptse.cut.base import cut_from_dict

    if os.path.exists(manifest_path):
        # Finished by an earlier attempt (e.g. a task re-run after its worker died).
        rp = report_path(manifest_path)
        errors = list(iter_jsonl(rp)) if rp.exists() else []
        return manifest_path, -1, errors
    cuts = [cut_from_dict(d) for d in cut_dicts]
    out: list[dict] = []
    errors: list[dict] = []
    with storage_type(storage_path) as storage:
        for new, err in process_cuts(
            cuts, extractor, storage, augment_fn, mix_eagerly, on_error, overlap=False
        ):
            if err is not None:
                errors.append(err)
            else:
                out.append(new.to_dict())
    err_path = report_path(manifest_path)
    _write_report(err_path, errors)
    save_to_jsonl(out, manifest_path)
    return manifest_path, len(out), errors


def compute_and_store_features(
    cuts,
    extractor,
    storage_path: Pathlike,
    num_jobs: int | None = None,
    augment_fn=None,
    storage_type=None,
    executor: Executor | None = None,
    mix_eagerly: bool = True,
    progress_bar: bool = True,
    on_error: str = "raise",
    manifest_path: Pathlike | None = None,
    num_shards: int | None = None,
):
    """Extract and store the features of every cut; return the cuts that reference them.

    * ``num_jobs`` in (None, 1) and no ``executor``: one archive at
      ``storage_path``; on Linux with two or more CPUs and a compressing writer
      (``lilcom_chunky``) a forked helper process prepares a share of the
      cuts, compression included (``nuptse.cut.extraction``).
    * otherwise ``storage_path`` is a directory of shards run on ``executor``
      (any :class:`concurrent.futures.Executor`, e.g. a Dask client's
      ``get_executor()``) or on a process pool of ``num_jobs`` workers;
      finished shards are reused when the same call is repeated.  By default
      there are 4 shards per worker, fewer for short corpora (at least
      ``MIN_SHARD_SECONDS`` of audio a shard, so that the cost of a task stays
      small) but never fewer than the workers; ``num_shards`` overrides.
    * ``on_error="skip"`` leaves out cuts that fail and lists them in
      ``<manifest>.errors.jsonl``.
    """
    CutSet = provided("CutSet")

    _check_on_error(on_error)
    writer_cls = _writer_cls(storage_type)
    if (num_jobs is None or num_jobs <= 1) and executor is None:
        return _compute_sequential(
            cuts,
            extractor,
            storage_path,
            augment_fn,
            writer_cls,
            mix_eagerly,
            progress_bar,
            on_error,
            manifest_path,
        )
    out_dir = Path(storage_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = Path(manifest_path) if manifest_path is not None else out_dir / "cuts.jsonl.gz"
    all_cuts = list(cuts)
    if not all_cuts:
        save_to_jsonl([], manifest_path)
        return CutSet()
    workers = num_jobs or 1
    if not num_shards:
        num_shards = default_num_shards(sum(c.duration for c in all_cuts), workers)
    n_shards = max(1, min(num_shards, len(all_cuts)))
    bounds = [round(i * len(all_cuts) / n_shards) for i in range(n_shards + 1)]
    shards = []
    config = run_config(extractor, writer_cls, augment_fn, mix_eagerly)
    for i in range(n_shards):
        # Shards are reused by name: the digest covers each cut's whole content, not its id.
        part = [c.to_dict() for c in all_cuts[bounds[i] : bounds[i + 1]]]
        digest = shard_digest(part, config)
        shards.append(
            (
                part,
                str(out_dir / f"feats-{i:05d}-{digest}"),
                str(out_dir / f"cuts-{i:05d}-{digest}.jsonl.gz"),
            )
        )
    todo = [s for s in shards if not os.path.exists(s[2])]
    if len(todo) < len(shards):
        logger.info("reusing %d finished shard(s) in %s", len(shards) - len(todo), out_dir)
    own_pool = None
    if todo:
        if executor is None:
            own_pool = executor = _process_pool(workers)
        import uuid

        run_id = uuid.uuid4().hex
        try:
            futures = {
                executor.submit(
                    _compute_shard,
                    part,
                    extractor,
                    writer_cls,
                    feats_path,
                    man_path,
                    augment_fn,
                    mix_eagerly,
                    on_error,
                    run_id,
                ): man_path
                for part, feats_path, man_path in todo
            }
            progress = _progress(progress_bar, len(futures), "Shards")
            first_error = None
            for fut in _as_completed(list(futures)):
                try:
                    fut.result()
                except BaseException as e:
                    # Let the other shards finish: their manifests are reused by a re-run.
                    if first_error is None:
                        first_error = e
                if progress is not None:
                    progress.update(1)
            if progress is not None:
                progress.close()
            if first_error is not None:
                raise first_error
        finally:
            if own_pool is not None:
                own_pool.shutdown()
    # Combine the shard manifests and error reports, in shard order.
    errors: list[dict] = []
    combined: list[dict] = []
    for _, _, man_path in shards:
        combined.extend(iter_jsonl(man_path))
        rp = report_path(man_path)
        if rp.exists():
            errors.extend(iter_jsonl(rp))
    save_to_jsonl(combined, manifest_path)
    _write_report(report_path(manifest_path), errors)
    if getattr(cuts, "is_lazy", False):
        return CutSet.from_jsonl_lazy(manifest_path)
    return CutSet.from_dicts(combined)


def default_num_shards(total_seconds: float, workers: int) -> int:
    """Shards for a sharded run: 4 per worker, fewer for short corpora.

    Each shard holds at least ``MIN_SHARD_SECONDS`` of audio (a task's fixed
    cost, e.g. a Dask round trip, stays small next to its work), but every
    worker gets one.

    >>> default_num_shards(3600.0, 2), default_num_shards(36000.0, 2), default_num_shards(60.0, 3)
    (2, 8, 3)
    """
    return max(workers, min(workers * 4, int(total_seconds // MIN_SHARD_SECONDS)))


def _process_pool(workers: int):
    """A process pool for shards: forked workers (no re-import, starts in milliseconds)
    where the platform has fork, else spawned ones.  ``NUPTSE_MP_CONTEXT`` overrides."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    method = os.environ.get("NUPTSE_MP_CONTEXT") or ("fork" if "fork" in methods else "spawn")
    return ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context(method), initializer=worker_init
    )


def _progress(enabled: bool, total: int | None, desc: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def _compute_sequential(
    cuts,
    extractor,
    storage_path,
    augment_fn,
    writer_cls,
    mix_eagerly,
    progress_bar,
    on_error,
    manifest_path,
):
    CutSet = provided("CutSet")

    total = None if getattr(cuts, "is_lazy", False) else len(cuts)
    progress = _progress(progress_bar, total, "Extracting features")
    errors: list[dict] = []
    if manifest_path is not None:
        # The writer below truncates storage_path: an earlier manifest on it must go first.
        discard_manifest_on_storage(manifest_path, storage_path)
    with writer_cls(storage_path) as storage:
        if manifest_path is not None:
            with CutSet.open_writer(manifest_path) as writer:
                for new, err in process_cuts(
                    cuts, extractor, storage, augment_fn, mix_eagerly, on_error, progress
                ):
                    if err is not None:
                        errors.append(err)
                    else:
                        writer.write(new)
            result = CutSet.from_jsonl_lazy(manifest_path)
        else:
            kept = []
            for new, err in process_cuts(
                cuts, extractor, storage, augment_fn, mix_eagerly, on_error, progress
            ):
                if err is not None:
                    errors.append(err)
                else:
                    kept.append(new)
            result = CutSet(kept)
    if progress is not None:
        progress.close()
    base = manifest_path if manifest_path is not None else str(storage_path) + ".jsonl"
    _write_report(report_path(base), errors)
    return result


# --- batched --------------------------------------------------------------------------


def compute_and_store_features_batch(
    cuts,
    extractor,
    storage_path: Pathlike,
    manifest_path: Pathlike | None = None,
    batch_duration: float = 600.0,
    num_workers: int = 4,
    collate: bool = False,
    augment_fn=None,
    storage_type=None,
    overwrite: bool = False,
    on_error: str = "raise",
    progress_bar: bool = True,
):
    """Extract features in batches of about ``batch_duration`` seconds of audio.

    ``num_workers`` threads read and decode audio ahead of the extractor
    (decoders release the GIL); on an accelerator the extractor's
    ``extract_batch`` sees each batch at once, on CPU each signal is extracted
    on its own, which avoids padding (``collate`` is accepted for lhotse
    compatibility).  One archive is written at ``storage_path``.
    With ``manifest_path`` and ``overwrite=False`` an interrupted run resumes:
    cuts already in the manifest are skipped and an archive that can be
    appended to (lilcom_chunky, per-file and in-memory writers) is continued.
    A resume whose extractor, storage or cuts differ from the earlier run's
    raises :class:`~nuptse.cut.reuse.StaleResultError`; with a writer that
    truncates its archive (HDF5, kaldiio) the run starts over and the earlier
    manifest is removed first, so a partial result is never published.
    """
    from concurrent.futures import ThreadPoolExecutor

    CutSet = provided("CutSet")
    from nuptse.features import Features

    _check_on_error(on_error)
    writer_cls = _writer_cls(storage_type)
    errors: list[dict] = []
    progress = _progress(progress_bar, None, "Extracting features (batches)")
    guard = None
    append_kwargs = APPENDABLE_WRITERS.get(getattr(writer_cls, "name", ""))
    resume = False
    if manifest_path is not None:
        config = run_config(extractor, writer_cls, augment_fn)
        guard = ResumeGuard(manifest_path, config, storage_path)
        resume = not overwrite and guard.has_earlier_output and append_kwargs is not None
        if resume:
            guard.check_config()  # refuse to return another extractor's features
        # The writer takes the path's lock first: a second run on the same manifest is refused
        # before it touches anything. Starting over rewrites the .partial file.
        out = CutSet.open_writer(manifest_path, overwrite=not resume)
        if not resume:
            # Starting over (or a writer that truncates its archive): an earlier final
            # manifest must not outlive the data it points at.
            guard.discard_earlier_output()
        guard.record_config()
    else:
        out = CutSet.open_writer(None)

    def load(cut: Cut):
        try:
            audio = check_finite(cut.load_audio(), "audio", cut.id)
            if augment_fn is not None:
                audio = augment_fn(audio, cut.sampling_rate)
                check_finite(audio, "augmented audio", cut.id)
            return cut, audio, None
        except Exception as e:
            if on_error == "raise":
                raise
            reason = f"{type(e).__name__}: {e}"
            logger.warning("skipping cut %r: %s", cut.id, reason)
            return cut, None, {"id": cut.id, "error": reason}

    def flush(batch, storage):
        if not batch:
            return
        by_rate: dict[int, list] = {}
        for item in batch:
            by_rate.setdefault(item[0].sampling_rate, []).append(item)
        for sr, items in by_rate.items():
            signals = [a[0] if a.shape[0] == 1 else a for _, a in items]
            if on_cpu:
                # On CPU one call per signal avoids padding the batch (faster here).
                results = [extractor.extract(x, sr) for x in signals]
            else:
                results = extractor.extract_batch(signals, sampling_rate=sr)
            for (cut, _), feats in zip(items, results):
                check_finite(feats, "features", cut.id)
                key = storage.write(_key(cut), feats)
                f = Features(
                    type=extractor.name,
                    num_frames=feats.shape[0],
                    num_features=feats.shape[1],
                    frame_shift=extractor.frame_shift,
                    sampling_rate=sr,
                    start=cut.start,
                    duration=cut.duration,
                    storage_type=storage.name,
                    storage_path=str(storage.storage_path),
                    storage_key=key,
                    recording_id=cut.recording_id,
                    channels=cut.channel,
                )
                # flushed per cut, so that a resume after a kill finds every finished cut
                out.write(cut._copy(features=f) if hasattr(cut, "recording") else cut, flush=True)
                if progress is not None:
                    progress.update(1)

    on_cpu = str(getattr(extractor, "device", "cpu")).startswith("cpu")

    def todo_cuts():
        for c in cuts:
            if c.id in out.ignore_ids:
                if guard is not None:
                    guard.check_cut(c.to_dict())  # same id, edited cut: refuse
                continue
            yield c

    todo = todo_cuts()
    storage = writer_cls(storage_path, **append_kwargs) if resume else writer_cls(storage_path)
    with storage, ThreadPoolExecutor(max(1, num_workers)) as pool:
        batch: list = []
        dur = 0.0
        for cut, audio, err in _prefetch(pool, load, todo, max(2, 2 * num_workers)):
            if err is not None:
                errors.append(err)
                continue
            batch.append((cut, audio))
            dur += cut.duration
            if dur >= batch_duration or on_cpu:  # on CPU nothing is gained by waiting
                flush(batch, storage)
                batch, dur = [], 0.0
        flush(batch, storage)
    if progress is not None:
        progress.close()
    base = manifest_path if manifest_path is not None else str(storage_path) + ".jsonl"
    _write_report(report_path(base), errors)
    if manifest_path is None:
        return out.open_manifest()
    out.close()
    return CutSet.from_jsonl_lazy(manifest_path)


def _key(cut: Cut) -> str:
    import uuid

    return str(uuid.uuid4())


def _prefetch(pool, fn, items, depth: int):
    """``map(fn, items)`` on ``pool`` in order, keeping at most ``depth`` calls in flight."""
    from collections import deque

    pending: deque = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= depth:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


# --- statistics -----------------------------------------------------------------------


def compute_global_feature_stats(
    cuts, storage_path: Pathlike | None = None, max_cuts: int | None = None, extractor=None
) -> dict:
    """Per-dimension ``norm_means``/``norm_stds`` over the features of (up to ``max_cuts``) cuts.

    With ``extractor`` the features are computed on the fly instead of loaded.
    The dict is pickled to ``storage_path`` when given.
    """
    import pickle

    from nuptse.features.stats import StatsAccumulator

    acc = None
    for i, cut in enumerate(cuts):
        if max_cuts is not None and i >= max_cuts:
            break
        feats = cut.compute_features(extractor) if extractor is not None else cut.load_features()
        if feats is None:
            raise CutError(f"cut {cut.id!r} has no features to compute statistics of")
        if acc is None:
            acc = StatsAccumulator(feature_dim=feats.shape[-1])
        acc.update(np.asarray(feats, dtype=np.float64))
    if acc is None:
        raise CutError("cannot compute global feature statistics of an empty CutSet")
    result = acc.get()
    if storage_path is not None:
        with open(storage_path, "wb") as f:
            pickle.dump(result, f)
    return result


provide("compute_and_store_cut", compute_and_store_cut)
