"""Input strategies: how a batch of cuts becomes model inputs.

:class:`PrecomputedFeatures` reads stored feature matrices,
:class:`AudioSamples` reads waveforms, and :class:`OnTheFlyFeatures` reads
waveforms and computes features for the whole batch in one padded call (the
Kaldi layers take the signals' ``lengths``, so each result equals
per-utterance extraction), on the CPU or on the extractor's device.

Every strategy can read in parallel (``num_workers`` threads or processes)
and, with ``fault_tolerant=True``, drops the cuts that fail to load instead
of failing the batch; drops are logged and kept in ``strategy.fault_report``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import lru_cache
from typing import Optional, Union

import numpy as np
import torch

from nuptse.cut import CutSet, compute_supervisions_frame_mask
from nuptse.cut.base import LOG_EPSILON
from nuptse.cut.masks import supervisions_frame_mask
from nuptse.dataset.collation import (
    _check_direction,
    _placement,
    _read_features,
    _recording_samples,
    as_cutset,
    collate_audio,
    collate_features,
    collate_matrices,
    collate_vectors,
    fill_batch,
    read_audio_from_cuts,
    stack_audio,
)
from nuptse.dataset.faults import FaultReport, LoadFailure
from nuptse.dataset.masks import frame_intervals, sample_intervals
from nuptse.features import FeatureExtractor
from nuptse.timing import compute_num_frames, supervision_to_frames, supervision_to_samples
from nuptse.utils import ifnone

logger = logging.getLogger(__name__)

ExecutorType = type


@lru_cache(maxsize=1)
def _get_executor(max_workers: int = 0, executor_type: Callable = ThreadPoolExecutor) -> Optional[Executor]:
    """A pool kept for the process's lifetime (one per settings), or None for 0 workers."""
    if max_workers <= 0:
        return None
    return executor_type(max_workers=max_workers)


class BatchIO:
    """Base of the input strategies: collate a batch and locate its supervisions."""

    def __init__(self, num_workers: int = 0, executor_type: Callable = ThreadPoolExecutor) -> None:
        self.num_workers = num_workers
        self._executor_type = executor_type
        self.fault_tolerant = False
        self.fault_report = FaultReport()

    def _executor(self) -> Optional[Executor]:
        return _get_executor(self.num_workers, executor_type=self._executor_type)

    def _on_error(self, stage: str):
        def report(cut, error) -> None:
            self.fault_report.record(cut.id, stage, error)

        return report

    def __call__(self, cuts: CutSet):
        """Collated inputs and their lengths before padding."""
        raise NotImplementedError

    def supervision_intervals(self, cuts: CutSet) -> dict[str, torch.Tensor]:
        """``sequence_idx`` with ``start_frame``/``num_frames`` or ``start_sample``/``num_samples``."""
        raise NotImplementedError

    def supervision_masks(self, cuts: CutSet) -> torch.Tensor:
        """``(B, T)`` 0/1 masks of the supervised frames or samples, zero-padded."""
        raise NotImplementedError


class PrecomputedFeatures(BatchIO):
    """Read the feature matrices stored with the cuts, padded with ``LOG_EPSILON``."""

    def __init__(
        self,
        num_workers: int = 0,
        executor_type: Callable = ThreadPoolExecutor,
        fault_tolerant: bool = False,
    ) -> None:
        super().__init__(num_workers=num_workers, executor_type=executor_type)
        self.fault_tolerant = fault_tolerant
        self.fault_report = FaultReport(shared=fault_tolerant)

    def __call__(self, cuts: CutSet, pad_direction: Optional[str] = "right"):
        """``(features (B, T, F), num_frames (B,))``, plus the loaded cuts when fault tolerant."""
        cuts = as_cutset(cuts)
        if not self.fault_tolerant:
            return collate_features(cuts, pad_direction=pad_direction, executor=self._executor())
        return self._tolerant(cuts, pad_direction)

    def _tolerant(self, cuts: CutSet, pad_direction: str):
        _check_direction(pad_direction)
        executor = self._executor()
        mapper = map if executor is None else executor.map
        results = list(mapper(_read_features_or_failure, cuts))
        ok_cuts, mats = [], []
        for cut, result in zip(cuts, results):
            if isinstance(result, LoadFailure):
                self.fault_report.record(cut.id, "features", result)
                continue
            ok_cuts.append(cut)
            mats.append(result[: cut.num_frames])
        lens = torch.tensor([c.num_frames for c in ok_cuts], dtype=torch.int)
        if not mats:
            return torch.zeros(0, 0, 0), lens, CutSet.from_cuts([])
        target = int(lens.max())
        out = fill_batch(
            (len(mats), target, mats[0].shape[1]), LOG_EPSILON, mats[0].dtype,
            (((i, _placement(m.shape[0], target, pad_direction)), m) for i, m in enumerate(mats)),
        )
        return out, lens, CutSet.from_cuts(ok_cuts)

    def supervision_intervals(
        self, cuts: CutSet, pad_direction: Optional[str] = "right"
    ) -> dict[str, torch.Tensor]:
        _check_direction(pad_direction, ("left", "right"))
        cuts = list(cuts)
        pad_to = max(c.num_frames for c in cuts) if cuts else 0
        return frame_intervals(cuts, pad_to=pad_to, pad_direction=pad_direction)

    def supervision_masks(
        self,
        cuts: CutSet,
        use_alignment_if_exists: Optional[str] = None,
        pad_direction: Optional[str] = "right",
    ) -> torch.Tensor:
        _check_direction(pad_direction, ("left", "right"))
        masks = [c.supervisions_feature_mask(use_alignment_if_exists=use_alignment_if_exists) for c in cuts]
        return collate_vectors(masks, pad_direction=pad_direction)


def _read_features_or_failure(cut) -> Union[torch.Tensor, LoadFailure]:
    try:
        return _read_features(cut)
    except Exception as e:  # noqa: BLE001 - a failed read drops the cut
        return LoadFailure.from_exception(e)


class AudioSamples(BatchIO):
    """Read the cuts' audio, zero-padded to the longest: ``(B, T)`` or ``(B, C, T)``.

    ``mono_downmix``: ``None`` keeps channels only when every cut has several,
    ``True`` averages them, ``False`` always returns ``(B, C, T)``.
    """

    def __init__(
        self,
        num_workers: int = 0,
        fault_tolerant: bool = False,
        executor_type: Callable = ThreadPoolExecutor,
        use_batch_loader: bool = False,
        mono_downmix: Optional[bool] = None,
    ) -> None:
        super().__init__(num_workers=num_workers, executor_type=executor_type)
        if use_batch_loader:
            raise NotImplementedError(
                "use_batch_loader (AIStore batch requests) is not supported by nuptse"
            )
        self.fault_tolerant = fault_tolerant
        self.fault_report = FaultReport(shared=fault_tolerant)
        self.use_batch_loader = use_batch_loader
        self.mono_downmix = mono_downmix

    def __call__(self, cuts: CutSet, recording_field: Optional[str] = None):
        """``(audio, num_samples)``, plus the loaded cuts when fault tolerant."""
        return collate_audio(
            as_cutset(cuts),
            executor=self._executor(),
            fault_tolerant=self.fault_tolerant,
            recording_field=recording_field,
            mono_downmix=self.mono_downmix,
            on_error=self._on_error("audio"),
        )

    def supervision_intervals(self, cuts: CutSet) -> dict[str, torch.Tensor]:
        return sample_intervals(list(cuts))

    def supervision_masks(self, cuts: CutSet, use_alignment_if_exists: Optional[str] = None) -> torch.Tensor:
        return collate_vectors([c.supervisions_audio_mask(use_alignment_if_exists) for c in cuts])


class OnTheFlyFeatures(BatchIO):
    """Read the cuts' audio and compute features for the batch.

    ``wave_transforms`` are applied to the zero-padded ``(B, T)`` batch of
    waveforms before extraction (e.g. :class:`RandomizedSmoothing`).  With
    ``use_batch_extract`` (all cuts at one sampling rate) the extractor gets
    the padded batch and the signals' lengths in one call; Kaldi extractors
    then run on their configured device (``FbankConfig(device="cuda")``).
    Features are padded with ``LOG_EPSILON``.
    """

    def __init__(
        self,
        extractor,
        wave_transforms: Optional[list[Callable[[torch.Tensor], torch.Tensor]]] = None,
        num_workers: int = 0,
        use_batch_extract: bool = True,
        fault_tolerant: bool = False,
        return_audio: bool = False,
        executor_type: Callable = ThreadPoolExecutor,
    ) -> None:
        super().__init__(num_workers=num_workers, executor_type=executor_type)
        self.extractor = extractor
        self.wave_transforms = list(wave_transforms) if wave_transforms else []
        self.use_batch_extract = use_batch_extract
        self.fault_tolerant = fault_tolerant
        self.fault_report = FaultReport(shared=fault_tolerant)
        self.return_audio = return_audio

    def __call__(self, cuts: CutSet, recording_field: Optional[str] = None):
        """``(features, num_frames[, audio, num_samples][, loaded cuts])``."""
        cuts = as_cutset(cuts)
        audios, cuts, counts = read_audio_from_cuts(
            cuts,
            executor=self._executor(),
            suppress_errors=self.fault_tolerant,
            recording_field=recording_field,
            filter_aux_iter=[_recording_samples(c, recording_field) for c in cuts],
            on_error=self._on_error("audio"),
        )
        if not audios:
            return self._empty(cuts)
        audios = [a[..., :n] if a.ndim == 1 else a[0, :n] for a, n in zip(audios, counts)]
        if self.fault_tolerant:
            audios, cuts = self._drop_non_finite(audios, cuts)
            if not audios:
                return self._empty(cuts)
        lengths = [a.shape[0] for a in audios]
        batch = stack_audio(audios, lengths, mono_downmix=True)
        for transform in self.wave_transforms:
            batch = transform(batch)
        rates = {c.sampling_rate for c in cuts}
        with torch.no_grad():
            if self.use_batch_extract:
                if len(rates) != 1:
                    raise ValueError(
                        f"use_batch_extract needs one sampling rate per batch, got {sorted(rates)} "
                        "(resample the cuts or pass use_batch_extract=False)"
                    )
                feats = self._extract_batch(batch, lengths, rates.pop())
            else:
                feats = [self._extract_one(cut, batch[i, : lengths[i]]) for i, cut in enumerate(cuts)]
        feats = [f if isinstance(f, torch.Tensor) else torch.from_numpy(np.asarray(f)) for f in feats]
        feats = [f.cpu() for f in feats]
        out = (
            collate_matrices(feats, padding_value=LOG_EPSILON),
            torch.tensor([f.shape[0] for f in feats], dtype=torch.int64),
        )
        if self.return_audio:
            out += (batch, torch.tensor(lengths, dtype=torch.int64))
        if self.fault_tolerant:
            out += (cuts,)
        return out

    def _empty(self, cuts: CutSet):
        """The result for a batch whose every cut was dropped."""
        out = (torch.zeros(0, 0, 0), torch.zeros(0, dtype=torch.int64))
        if self.return_audio:
            out += (torch.zeros(0, 0), torch.zeros(0, dtype=torch.int64))
        return out + (cuts,) if self.fault_tolerant else out

    def _drop_non_finite(self, audios: list, cuts: CutSet) -> tuple[list, CutSet]:
        """Leave out (and report) cuts whose audio holds NaN or infinite samples."""
        from nuptse.features.finite import NonFiniteError, count_non_finite

        kept_audio, kept_cuts = [], []
        for audio, cut in zip(audios, cuts):
            bad = count_non_finite(audio)
            if bad:
                error = NonFiniteError(f"audio of {cut.id!r} has {bad} NaN or infinite value(s)")
                self.fault_report.record(cut.id, "audio", error)
                continue
            kept_audio.append(audio)
            kept_cuts.append(cut)
        if len(kept_cuts) == len(audios):
            return audios, cuts
        return kept_audio, CutSet.from_cuts(kept_cuts)

    def _extract_batch(self, batch: torch.Tensor, lengths: list[int], sampling_rate: int) -> list:
        result = self.extractor.extract_batch(batch, sampling_rate=sampling_rate, lengths=lengths)
        if isinstance(result, (list, tuple)):
            return list(result)
        if result.ndim == 2:  # a batch of one comes back as its own matrix
            return [result]
        return [result[i] for i in range(result.shape[0])]

    def _extract_one(self, cut, samples: torch.Tensor):
        try:
            return self.extractor.extract(samples.numpy(), cut.sampling_rate)
        except Exception:
            logger.error("Feature extraction failed for cut %r", cut.id)
            raise

    @property
    def frame_shift(self) -> float:
        return self.extractor.frame_shift

    def supervision_intervals(self, cuts: CutSet) -> dict[str, torch.Tensor]:
        return frame_intervals(list(cuts), frame_shift=self.extractor.frame_shift)

    def supervision_masks(self, cuts: CutSet, use_alignment_if_exists: Optional[str] = None) -> torch.Tensor:
        return collate_vectors(
            [supervisions_frame_mask(c, self.extractor.frame_shift, use_alignment_if_exists) for c in cuts]
        )


#: Names lhotse's module offers from elsewhere (imports ported code may rely on).
_REEXPORTED = (
    FeatureExtractor,
    compute_num_frames,
    compute_supervisions_frame_mask,
    ifnone,
    supervision_to_frames,
    supervision_to_samples,
)

__all__ = [
    "AudioSamples",
    "BatchIO",
    "ExecutorType",
    "OnTheFlyFeatures",
    "PrecomputedFeatures",
]
