"""Extracting and storing features for many recordings, and global feature stats.

:class:`FeatureSetBuilder` runs a feature extractor over recordings and stores
every matrix with one writer.  With ``num_jobs > 1`` the decoding and
extraction run in long-lived worker threads: torch and the audio decoders
release the GIL while they compute, so threads scale without the start-up
cost of worker processes (each of which would import torch again).  Each job
runs torch with one intra-op thread (parallelism comes from ``num_jobs``:
per-utterance feature extraction gains little from intra-op threads, and
they slow everything down badly when the CPUs are shared).  The writer and
the manifest are only touched by the calling thread, in input order.  A recording whose audio cannot be loaded is logged with its id and
the reason, skipped, and listed in :attr:`FeatureSetBuilder.failed`; the rest
of the work is kept.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from nuptse.features.extractor import AugmentFn, FeatureExtractor, _as_numpy
from nuptse.features.manifest import (  # noqa: F401 (re-exported)
    Features,
    FeatureSet,
    compute_global_stats,
    store_feature_array,
)
from nuptse.serialization import Pathlike

logger = logging.getLogger(__name__)


@dataclass
class FailedRecording:
    """A recording that :class:`FeatureSetBuilder` skipped, and why."""

    recording_id: str
    reason: str


class FeatureSetBuilder:
    """Extracts features of recordings and stores them, building a :class:`FeatureSet`.

    One :class:`Features` item is made per channel of every recording.
    ``augment_fn(samples, sampling_rate)`` (optional) transforms the audio
    before extraction.
    """

    def __init__(
        self,
        feature_extractor: FeatureExtractor,
        storage: Any,
        augment_fn: Optional[AugmentFn] = None,
    ):
        self.feature_extractor = feature_extractor
        self.storage = storage
        self.augment_fn = augment_fn
        #: Recordings skipped by the last :meth:`process_and_store_recordings` call.
        self.failed: list[FailedRecording] = []

    def process_and_store_recordings(
        self,
        recordings: Sequence[Any],
        output_manifest: Optional[Pathlike] = None,
        num_jobs: int = 1,
    ) -> FeatureSet:
        """Extract and store features of every recording; return (and optionally save) them.

        ``num_jobs`` worker threads decode and extract in parallel; results
        are stored in the input order.  Recordings whose audio fails to load
        are skipped (see :attr:`failed`).
        """
        from tqdm.auto import tqdm

        if num_jobs < 1:
            raise ValueError(f"num_jobs must be >= 1, got {num_jobs}")
        self.failed = []
        try:
            total = len(recordings)
        except TypeError:
            total = None
        items: list[Features] = []
        desc = "Extracting and storing features" + (" in parallel" if num_jobs > 1 else "")
        with tqdm(total=total, desc=desc, unit="rec") as progress:
            for recording, outcome in self._results(recordings, num_jobs):
                progress.update(1)
                if isinstance(outcome, FailedRecording):
                    self.failed.append(outcome)
                    logger.warning(
                        "skipping recording %r: its audio could not be loaded: %s",
                        outcome.recording_id,
                        outcome.reason,
                    )
                    continue
                items.extend(self._store(recording, outcome))
        if self.failed:
            logger.warning(
                "%d of %s recording(s) were skipped because their audio could not be loaded: %s",
                len(self.failed),
                total if total is not None else "the",
                ", ".join(f.recording_id for f in self.failed),
            )
        feature_set = FeatureSet.from_features(items)
        if output_manifest is not None:
            feature_set.to_file(output_manifest)
        return feature_set

    # --- internals ------------------------------------------------------------------

    def _results(self, recordings: Iterable[Any], num_jobs: int) -> Iterator[tuple[Any, Any]]:
        """``(recording, per-channel features or FailedRecording)`` in input order."""
        if num_jobs == 1:
            with _torch_threads(1):
                for recording in recordings:
                    yield recording, self._extract(recording)
            return
        with _torch_threads(1), ThreadPoolExecutor(num_jobs) as pool:
            pending: deque[tuple[Any, Future]] = deque()
            for recording in recordings:
                pending.append((recording, pool.submit(self._extract, recording)))
                if len(pending) >= 2 * num_jobs:
                    rec, fut = pending.popleft()
                    yield rec, fut.result()
            while pending:
                rec, fut = pending.popleft()
                yield rec, fut.result()

    def _extract(self, recording: Any) -> Any:
        """Load all channels once and extract each; a failure to load is returned."""
        from nuptse.audio import AudioLoadingError

        try:
            audio = recording.load_audio()
        except AudioLoadingError as e:
            return FailedRecording(recording.id, f"{type(e).__name__}: {e}")
        audio = np.atleast_2d(audio)
        sr = recording.sampling_rate
        out = []
        for row, channel in enumerate(recording.channel_ids):
            samples = audio[row : row + 1]
            if self.augment_fn is not None:
                samples = self.augment_fn(samples, sr)
            feats = _as_numpy(self.feature_extractor.extract(samples=samples, sampling_rate=sr))
            out.append((channel, feats))
        return out

    def _store(self, recording: Any, per_channel: list) -> list[Features]:
        extractor = self.feature_extractor
        manifests = []
        for channel, feats in per_channel:
            key = store_feature_array(feats, storage=self.storage)
            manifests.append(
                extractor._describe_recording_features(
                    recording, feats, key, self.storage, 0, None, channel
                )
            )
        return manifests


@contextmanager
def _torch_threads(num_threads: int):
    """Limit torch's intra-op threads while worker threads compute in parallel."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
