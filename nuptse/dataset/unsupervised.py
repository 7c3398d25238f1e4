"""Datasets without supervision: features or audio of the cuts only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Optional

import numpy as np
import torch

from nuptse.cut import CutSet
from nuptse.dataset.collation import as_cutset, collate_audio, collate_features, collate_matrices
from nuptse.dataset.speech_recognition import DatasetError, validate_cuts

logger = logging.getLogger(__name__)


class UnsupervisedDataset(torch.utils.data.Dataset):
    """Precomputed features of the cuts: ``{"cuts", "features" (B, T, F), "features_lens" (B,)}``."""

    def __init__(self) -> None:
        super().__init__()

    def __getitem__(self, cuts: CutSet) -> dict[str, Any]:
        cuts = as_cutset(cuts)
        self._validate(cuts)
        features, lens = collate_features(cuts)
        return {"cuts": cuts, "features": features, "features_lens": lens}

    def _validate(self, cuts: CutSet) -> None:
        validate_cuts(cuts)
        missing = [c.id for c in cuts if not c.has_features]
        if missing:
            raise DatasetError(f"cuts without features: {missing[:5]}")


class UnsupervisedWaveformDataset(UnsupervisedDataset):
    """Audio of the cuts: ``{"cuts", "audio" (B, T), "audio_lens" (B,)}``.

    With ``collate=False``, ``audio`` is a list of arrays and cuts whose
    audio fails to load are left out.
    """

    def __init__(self, collate: bool = True) -> None:
        super().__init__()
        self.collate = collate

    def __getitem__(self, cuts: CutSet) -> dict[str, Any]:
        cuts = as_cutset(cuts)
        self._validate(cuts)
        if self.collate:
            audio, lens = collate_audio(cuts)
            return {"cuts": cuts, "audio": audio, "audio_lens": lens}
        kept, audios = [], []
        for cut in cuts:
            try:
                audios.append(cut.load_audio())
            except Exception as e:  # noqa: BLE001 - skip unreadable audio
                logger.warning("Skipping cut %r: its audio failed to load: %s", cut.id, e)
                continue
            kept.append(cut)
        return {"cuts": CutSet.from_cuts(kept), "audio": audios}

    def _validate(self, cuts: CutSet) -> None:
        validate_cuts(cuts)
        missing = [c.id for c in cuts if not c.has_recording]
        if missing:
            raise DatasetError(f"cuts without recordings: {missing[:5]}")


class DynamicUnsupervisedDataset(UnsupervisedDataset):
    """Features computed on the fly from the cuts' audio (optionally augmented first).

    ``augment_fn(samples, sampling_rate)`` is applied to each cut's audio.
    Returns the ``(B, T, F)`` features tensor, padded with ``LOG_EPSILON``.
    """

    def __init__(self, feature_extractor, augment_fn: Optional[Callable] = None):
        super().__init__()
        self.feature_extractor = feature_extractor
        self.augment_fn = augment_fn

    def __getitem__(self, cuts: CutSet) -> torch.Tensor:
        from nuptse.cut.base import LOG_EPSILON

        cuts = as_cutset(cuts)
        self._validate(cuts)
        feats = [
            torch.from_numpy(np.asarray(c.compute_features(self.feature_extractor, self.augment_fn)))
            for c in cuts
        ]
        return collate_matrices(feats, padding_value=LOG_EPSILON)

    def _validate(self, cuts: CutSet) -> None:
        validate_cuts(cuts)
        missing = [c.id for c in cuts if not c.has_recording]
        if missing:
            raise DatasetError(f"cuts without recordings: {missing[:5]}")


class RecordingChunkIterableDataset(torch.utils.data.IterableDataset):
    """Fixed-size chunks of each recording, every ``chunk_shift`` seconds (overlapping if shorter).

    Yields ``{"recording_id", "begin_time", "end_time", "audio" (chunk samples,)}``
    one chunk at a time; batch them with ``collate_fn=audio_chunk_collate``
    and split the recordings over workers with
    ``worker_init_fn=audio_chunk_worker_init_fn``.  Chunks stop at the first
    one that reaches the end of the recording (which may be shorter).
    Recordings must have one channel.
    """

    def __init__(self, recordings, chunk_size: float, chunk_shift: float) -> None:
        self.recordings = list(recordings)
        self.chunk_size = chunk_size
        self.chunk_shift = chunk_shift
        self.start = 0
        self.end = len(self.recordings)
        self.validate()

    def validate(self) -> None:
        if not 0 < self.chunk_shift:
            raise DatasetError(f"chunk_shift must be positive, got {self.chunk_shift}")
        for r in self.recordings:
            if r.num_channels != 1:
                raise DatasetError(f"recording {r.id!r} has {r.num_channels} channels; chunks need one")

    def __iter__(self):
        from nuptse.timing import compute_num_samples, samples_to_seconds

        for r in self.recordings[self.start : self.end]:
            sr = r.sampling_rate
            size = compute_num_samples(self.chunk_size, sr)
            shift = compute_num_samples(self.chunk_shift, sr)
            total = r.num_samples
            first = 0
            while True:
                count = min(size, total - first)
                audio = r.load_audio(
                    offset=samples_to_seconds(first, sr), duration=samples_to_seconds(count, sr)
                )
                begin = samples_to_seconds(first, sr)
                yield {
                    "recording_id": r.id,
                    "begin_time": torch.as_tensor(begin, dtype=torch.float32),
                    "end_time": torch.as_tensor(begin + self.chunk_size, dtype=torch.float32),
                    "audio": torch.from_numpy(np.ascontiguousarray(audio[0])),
                }
                if first + size >= total:
                    break
                first += shift


def audio_chunk_collate(batch: list[dict]) -> dict:
    """Collate chunks: ids as a list, times stacked, audio zero-padded to the longest."""
    from torch.utils.data import default_collate

    from nuptse.dataset.collation import stack_audio

    audios = [d["audio"] for d in batch]
    out = default_collate([{k: v for k, v in d.items() if k != "audio"} for d in batch])
    out["audio"] = stack_audio(audios, [a.shape[0] for a in audios], mono_downmix=True).to(torch.float32)
    return out


def audio_chunk_worker_init_fn(worker_id: int) -> None:
    """Give each DataLoader worker its own contiguous share of the recordings."""
    info = torch.utils.data.get_worker_info()
    dataset = info.dataset
    begin, end = dataset.start, dataset.end
    share = -(-(end - begin) // info.num_workers)
    dataset.start = begin + info.id * share
    dataset.end = min(dataset.start + share, end)
