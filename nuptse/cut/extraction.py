"""Features of one cut at a time, in order, written to one archive (a ``num_jobs=1`` run).

Each cut goes through three stages: decode (and augment) its audio, extract
features, and store them (for ``lilcom_chunky``, mostly compression).  On a
Linux machine with two or more CPUs, a forked helper process takes a share
of the cuts through all three stages (the writer's ``encoder`` does the
compression there) and sends back only the compressed bytes, which this
process appends in input order, so the archive holds the same bytes as one
process would write.  FFmpeg's FLAC decoder and lilcom hold the GIL: a
decode-ahead thread measured slower than no thread at all
(docs/performance.md), so without the helper the cuts are done one after
another.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from nuptse.cut.base import Cut, CutError
from nuptse.features.finite import check_finite
from nuptse.utils.orphans import exit_with_parent

logger = logging.getLogger(__name__)

#: The helper process starts once this many cuts have been seen (short runs
#: do not pay for starting it).
HELPER_AFTER_CUTS = 8
#: Cuts handed to the helper and not yet finished, at most.
HELPER_IN_FLIGHT = 2
#: Seconds without a result from the helper after which it is stopped and
#: this process does the rest (an extractor that hangs after ``fork``).
HELPER_STALL_S = 300.0


# --- one cut ----------------------------------------------------------------------------


def _features_only(cut: Cut, features) -> Cut:
    """A mixed cut's features as a MonoCut without a recording (lhotse's layout)."""
    from nuptse.cut.mono import MonoCut

    return MonoCut(
        id=cut.id,
        start=0.0,
        duration=cut.duration,
        channel=0,
        supervisions=cut.supervisions,
        features=features,
        recording=None,
        custom=cut.custom,
    )


def compute_and_store_cut(
    cut: Cut, extractor, storage, augment_fn=None, mix_eagerly=True, samples=None
) -> Cut:
    """Extract features of ``cut``'s audio, write them with ``storage``, return the new cut.

    ``samples`` may hold the cut's audio when the caller loaded it already.
    """
    import dataclasses

    from nuptse.cut.mixed import MixedCut
    from nuptse.cut.padding import PaddingCut

    if isinstance(cut, PaddingCut):
        return cut
    if isinstance(cut, MixedCut):
        if not mix_eagerly:
            tracks = [
                t._with(cut=compute_and_store_cut(t.cut, extractor, storage, augment_fn))
                for t in cut.tracks
            ]
            return MixedCut(id=cut.id, tracks=tracks, transforms=cut.transforms)
        feats = extractor.extract_from_samples_and_store(
            samples=check_finite(
                cut.load_audio() if samples is None else samples, "mixed audio", cut.id
            ),
            storage=storage,
            sampling_rate=cut.sampling_rate,
            offset=0.0,
            channel=0,
            augment_fn=augment_fn,
        )
        return _features_only(cut, feats)
    if samples is None:
        samples = cut.load_audio()
    check_finite(samples, "audio", cut.id)
    if samples.shape[0] == 1:
        samples = samples[0]
    feats = extractor.extract_from_samples_and_store(
        samples=samples,
        storage=storage,
        sampling_rate=cut.sampling_rate,
        offset=cut.start,
        channel=cut.channel,
        augment_fn=augment_fn,
    )
    feats = dataclasses.replace(feats, recording_id=cut.recording_id)
    return cut._copy(features=feats)


def worker_init() -> None:
    """Set up a forked worker: torch on one thread, and exit when the parent does.

    A forked child must not enter an OpenMP parallel region that the parent
    started (libgomp is not fork-safe); one thread is also right with one
    worker per core.
    """
    os.environ["OMP_NUM_THREADS"] = "1"
    exit_with_parent()
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


# --- stages: prepare (decode, extract, maybe encode), then store -----------------------


def _extract(cut: Cut, extractor, augment_fn, mix_eagerly: bool):
    """Decode, augment and extract one cut: (number of samples, features), or None when
    the cut needs the general path (padding, or mixed cuts extracted per track)."""
    from nuptse.cut.mixed import MixedCut
    from nuptse.cut.padding import PaddingCut

    if isinstance(cut, PaddingCut) or (isinstance(cut, MixedCut) and not mix_eagerly):
        return None
    samples = check_finite(cut.load_audio(), "audio", cut.id)
    if samples.shape[0] == 1 and not isinstance(cut, MixedCut):
        samples = samples[0]
    if augment_fn is not None:
        samples = check_finite(augment_fn(samples, cut.sampling_rate), "augmented audio", cut.id)
    feats = np.asarray(extractor.extract(samples, cut.sampling_rate))
    if feats.ndim != 2:
        raise CutError(f"cut {cut.id!r}: the extractor returned features of shape {feats.shape}")
    check_finite(feats, "features", cut.id)
    return samples.shape[-1], feats


def _prepare(cut: Cut, extractor, augment_fn, mix_eagerly: bool, encode=None):
    """(prepared, error, traceback text) for one cut, never raising.

    ``prepared`` is None (general path) or ``(num_samples, shape, payload)``,
    where ``payload`` is the features, or what ``encode`` made of them.
    """
    try:
        done = _extract(cut, extractor, augment_fn, mix_eagerly)
        if done is None:
            return None, None, None
        num_samples, feats = done
        payload = feats if encode is None else encode(cut.id, feats)
        return (num_samples, feats.shape, payload), None, None
    except Exception as e:
        return None, e, traceback.format_exc()


def _store_prepared(cut: Cut, prepared, extractor, storage, write) -> Cut:
    """Store a prepared payload with ``write(key, payload)``; return the cut that uses it."""
    import uuid

    from nuptse.cut.mixed import MixedCut
    from nuptse.features import Features
    from nuptse.timing import round_time, samples_to_seconds

    num_samples, shape, payload = prepared
    mixed = isinstance(cut, MixedCut)
    sr = cut.sampling_rate
    f = Features(
        type=extractor.name,
        num_frames=shape[0],
        num_features=shape[1],
        frame_shift=extractor.frame_shift,
        sampling_rate=sr,
        start=0.0 if mixed else cut.start,
        duration=round_time(samples_to_seconds(num_samples, sr)),
        storage_type=storage.name,
        storage_path=None if storage.storage_path is None else str(storage.storage_path),
        storage_key=write(str(uuid.uuid4()), payload),
        recording_id=None if mixed else cut.recording_id,
        channels=0 if mixed else cut.channel,
    )
    if mixed:
        return _features_only(cut, f)
    return cut._copy(features=f)


# --- the helper process ------------------------------------------------------------------

_HELPER_ARGS: tuple | None = None


def _helper_init(extractor, augment_fn, mix_eagerly: bool, encode) -> None:
    """Runs in the forked helper: its arguments arrive through fork, not pickling."""
    global _HELPER_ARGS
    worker_init()
    _HELPER_ARGS = (extractor, augment_fn, mix_eagerly, encode)


def _helper_prepare(cut: Cut):
    prepared, error, tb = _prepare(cut, *_HELPER_ARGS)
    if error is not None:
        # Its traceback does not cross the pipe: keep the text as a note (pickled with it).
        error.add_note(f"raised in nuptse's feature helper process:\n{tb}")
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:
            # Sent back as text rather than breaking the pool on an unpicklable exception.
            error = CutError(f"cut {cut.id!r}: {type(error).__name__}: {error}")
    return prepared, error, tb


class _Helper:
    """A forked single-worker process pool preparing cuts, or nothing where that can't pay."""

    def __init__(self, extractor, augment_fn, mix_eagerly: bool, encode) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_helper_init,
            initargs=(extractor, augment_fn, mix_eagerly, encode),
        )
        self.alive = True

    @staticmethod
    def usable(extractor) -> bool:
        """True where a helper can pay and work: Linux (where ``fork`` is safe with the
        libraries loaded), 2+ CPUs for this process, a CPU extractor."""
        import multiprocessing

        if not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2:
            return False
        if multiprocessing.current_process().daemon:  # may not have children
            return False
        if not str(getattr(extractor, "device", "cpu")).startswith("cpu"):
            return False
        torch = sys.modules.get("torch")
        # CUDA does not survive a fork.
        return not (torch is not None and torch.cuda.is_initialized())

    def submit(self, cut: Cut):
        return self.pool.submit(_helper_prepare, cut)

    def result(self, fut):
        """``fut``'s outcome; stops the helper if it gives none within ``HELPER_STALL_S``."""
        try:
            return fut.result(timeout=HELPER_STALL_S)
        except TimeoutError:
            logger.warning(
                "the helper process gave no result in %.0f s; stopping it and continuing "
                "in this process",
                HELPER_STALL_S,
            )
            self.alive = False
            for proc in list((getattr(self.pool, "_processes", None) or {}).values()):
                proc.kill()
            raise

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


# --- the loop ------------------------------------------------------------------------------


def _in_order(
    cuts: Iterable[Cut],
    submit: Callable,
    prepare_here: Callable,
    depth: int,
    wait: Callable,
) -> Iterator[tuple[Cut, tuple]]:
    """Yield ``(cut, (prepared, error, traceback))`` in input order.

    ``submit(cut)`` returns a future, or None to prepare the cut here with
    ``prepare_here``; up to ``depth`` cuts are looked ahead, and while the
    oldest waits for its future the cuts to be prepared here are done first.
    ``wait(future)`` returns its outcome; a future that fails as a whole (its
    process died or stalled) is prepared here.
    """
    pending: deque = deque()  # [cut, future or None, outcome or None]

    def finish(entry):
        cut, fut, outcome = entry
        if fut is None:
            return outcome if outcome is not None else prepare_here(cut)
        while not fut.done():
            todo = next((e for e in pending if e[1] is None and e[2] is None), None)
            if todo is None:
                break
            todo[2] = prepare_here(todo[0])
        try:
            return wait(fut)
        except Exception as e:
            logger.warning("cut %r: the helper failed (%s); preparing it here", cut.id, e)
            return prepare_here(cut)

    for cut in cuts:
        pending.append([cut, submit(cut), None])
        if len(pending) > depth:
            entry = pending.popleft()
            yield entry[0], finish(entry)
    while pending:
        entry = pending.popleft()
        yield entry[0], finish(entry)


def process_cuts(
    cuts: Iterable[Cut],
    extractor,
    storage,
    augment_fn=None,
    mix_eagerly: bool = True,
    on_error: str = "raise",
    progress=None,
    overlap: bool = True,
):
    """Yield (new cut or None, error dict or None) for every input cut, in order.

    With ``overlap`` a helper process takes a share of the cuts where it can
    pay (:meth:`_Helper.usable` and a writer with an encoder); otherwise, and
    with ``overlap=False`` (pool and Dask workers, which have a core each
    already), each cut is done in the calling thread, one after another.
    """
    helper = None
    in_flight: list = []  # the helper's unfinished futures
    encode = storage.encoder() if overlap else None
    if encode is None or not _Helper.usable(extractor):
        encode = None
        write = storage.write
    else:
        write = storage.write_encoded
    seen = 0

    def prepare_here(cut):
        return _prepare(cut, extractor, augment_fn, mix_eagerly, encode)

    def submit(cut):
        nonlocal helper, seen
        seen += 1
        if encode is None:
            return None
        if helper is None and seen > HELPER_AFTER_CUTS:
            helper = _Helper(extractor, augment_fn, mix_eagerly, encode)
        if helper is None or not helper.alive:
            return None
        in_flight[:] = [f for f in in_flight if not f.done()]
        if len(in_flight) >= HELPER_IN_FLIGHT:
            return None
        try:
            fut = helper.submit(cut)
        except Exception as e:  # the helper died: this process does the rest
            logger.warning("the helper process stopped (%s); continuing without it", e)
            helper.alive = False
            return None
        in_flight.append(fut)
        return fut

    outcomes = _in_order(
        cuts, submit, prepare_here, HELPER_IN_FLIGHT + 2, wait=lambda fut: helper.result(fut)
    )
    try:
        for cut, (prepared, early_error, remote_tb) in outcomes:
            try:
                if early_error is not None:
                    raise early_error
                if prepared is None:
                    out = compute_and_store_cut(cut, extractor, storage, augment_fn, mix_eagerly)
                else:
                    out = _store_prepared(cut, prepared, extractor, storage, write)
            except Exception as e:
                if on_error == "raise":
                    raise
                reason = f"{type(e).__name__}: {e}"
                logger.warning("skipping cut %r: %s", cut.id, reason)
                tb = remote_tb if early_error is not None and remote_tb else traceback.format_exc()
                yield None, {"id": cut.id, "error": reason, "traceback": tb}
            else:
                yield out, None
            if progress is not None:
                progress.update(1)
    finally:
        if helper is not None:
            helper.close()
