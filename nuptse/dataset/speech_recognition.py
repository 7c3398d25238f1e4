"""The ASR dataset: a batch of cuts in, padded inputs and supervision spans out.

Batch layout (as lhotse's ``K2SpeechRecognitionDataset``)::

    {
        "inputs": (B, T, F) features or (B, T) audio,
        "supervisions": {
            "sequence_idx": (S,) int32, index of the example each supervision is in,
            "start_frame"/"num_frames": (S,) int32   (features), or
            "start_sample"/"num_samples": (S,) int32 (audio),
            "text": list of S strings,
            "speaker": list of S strings (when every supervision names one),
            "cut": list of S cuts (with return_cuts=True),
        },
    }

Examples are sorted longest first.  With a fault-tolerant input strategy the
cuts that fail to load are left out of the batch (and out of
``supervisions``); ``dataset.fault_report`` says which and why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Optional, Union

import torch

from nuptse.cut import CutSet
from nuptse.dataset.collation import as_cutset
from nuptse.dataset.faults import FaultReport
from nuptse.dataset.input_strategies import BatchIO, PrecomputedFeatures
from nuptse.timing import compute_num_frames

#: How far (seconds) a supervision may reach outside its cut and still be accepted.
SUPERVISION_TOLERANCE = 2e-3


class DatasetError(ValueError):
    """A batch of cuts that a dataset cannot use (names the cut and supervision)."""


def validate_cuts(cuts: CutSet) -> None:
    """Basic checks of a batch: ids present, positive durations."""
    for cut in cuts:
        if not cut.id:
            raise DatasetError(f"a cut without an id in the batch: {cut!r}")
        if not cut.duration > 0:
            raise DatasetError(f"cut {cut.id!r} has a non-positive duration {cut.duration}")


def validate_for_asr(cuts: CutSet) -> None:
    """Check that every supervision lies inside its cut (within 2 ms)."""
    validate_cuts(cuts)
    for cut in cuts:
        for sup in cut.supervisions:
            if sup.start < -SUPERVISION_TOLERANCE:
                raise DatasetError(
                    f"supervision {sup.id!r} starts before its cut {cut.id!r} "
                    f"(start={sup.start}); ASR needs supervisions inside the cut"
                )
            if sup.end > cut.duration + SUPERVISION_TOLERANCE:
                raise DatasetError(
                    f"supervision {sup.id!r} ends after its cut {cut.id!r} "
                    f"(end={sup.end}, cut duration={cut.duration}); ASR needs supervisions inside the cut"
                )


class SupervisedDataset(torch.utils.data.Dataset):
    """What the supervised datasets share: transforms, an input strategy, a fault report."""

    def __init__(
        self,
        cut_transforms: Optional[Sequence[Callable[[CutSet], CutSet]]] = None,
        input_transforms: Optional[Sequence[Callable[[torch.Tensor], torch.Tensor]]] = None,
        input_strategy: BatchIO = PrecomputedFeatures(),
    ) -> None:
        super().__init__()
        self.cut_transforms = list(cut_transforms) if cut_transforms else []
        self.input_transforms = list(input_transforms) if input_transforms else []
        self.input_strategy = input_strategy

    @property
    def fault_report(self) -> FaultReport:
        """Cuts that the input strategy dropped (fault-tolerant loading), per epoch."""
        return self.input_strategy.fault_report

    def set_epoch(self, epoch: int) -> None:
        """Start counting dropped cuts for ``epoch`` (call it where you call the sampler's)."""
        self.fault_report.set_epoch(epoch)

    def _transform_cuts(self, cuts: CutSet) -> CutSet:
        cuts = as_cutset(cuts).sort_by_duration(ascending=False)
        for transform in self.cut_transforms:
            cuts = transform(cuts)
        return as_cutset(cuts).sort_by_duration(ascending=False)

    def _load_inputs(self, cuts: CutSet) -> tuple[torch.Tensor, torch.Tensor, CutSet]:
        """Inputs, their lengths, and the cuts they belong to (fewer if some failed)."""
        loaded = self.input_strategy(cuts)
        if len(loaded) == 3:
            inputs, lens, cuts = loaded
        else:
            inputs, lens = loaded[0], loaded[1]
        return inputs, lens, cuts


class K2SpeechRecognitionDataset(SupervisedDataset):
    """ASR batches: padded inputs plus where each supervision lies and its text.

    ``cut_transforms`` run on the cuts (e.g. :class:`CutMix`,
    :class:`PerturbSpeed`), ``input_transforms`` on the collated inputs with
    the supervision spans (e.g. :class:`SpecAugment`), and ``input_strategy``
    decides what the inputs are (precomputed features by default).
    """

    def __init__(
        self,
        return_cuts: bool = False,
        cut_transforms: Optional[list[Callable[[CutSet], CutSet]]] = None,
        input_transforms: Optional[list[Callable[[torch.Tensor], torch.Tensor]]] = None,
        input_strategy: BatchIO = PrecomputedFeatures(),
    ):
        super().__init__(cut_transforms, input_transforms, input_strategy)
        self.return_cuts = return_cuts

    def _validate(self, cuts: CutSet) -> None:
        validate_for_asr(cuts)

    def _supervision_fields(self, sups: list) -> dict[str, list]:
        """Per-supervision lists that go into ``batch["supervisions"]``."""
        fields: dict[str, list] = {"text": [s.text for s in sups]}
        if sups and all(s.speaker is not None for s in sups):
            fields["speaker"] = [s.speaker for s in sups]
        return fields

    def __getitem__(self, cuts: CutSet) -> dict[str, Union[torch.Tensor, list[str], Any]]:
        self._validate(as_cutset(cuts))
        cuts = self._transform_cuts(cuts)
        inputs, _, cuts = self._load_inputs(cuts)
        intervals = self.input_strategy.supervision_intervals(cuts)
        if self.input_transforms:
            segments = torch.stack(list(intervals.values()), dim=1)
            for transform in self.input_transforms:
                inputs = transform(inputs, supervision_segments=segments)
        supervisions: dict[str, Any] = self._supervision_fields(
            [sup for cut in cuts for sup in cut.supervisions]
        )
        supervisions.update(intervals)
        if self.return_cuts:
            supervisions["cut"] = [cut for cut in cuts for _ in cut.supervisions]
        words = _word_alignments(cuts, self.input_strategy)
        if words is not None:
            supervisions.update(words)
        return {"inputs": inputs, "supervisions": supervisions}


def custom_values(sups: list, name: str) -> list:
    """Each supervision's custom field ``name``; a :class:`DatasetError` names one that lacks it."""
    values = []
    for s in sups:
        value = getattr(s, name, None)
        if value is None:
            raise DatasetError(f"supervision {s.id!r} has no custom field {name!r}")
        values.append(value)
    return values


def _word_alignments(cuts: CutSet, strategy: BatchIO) -> Optional[dict[str, list]]:
    """Words and their start/end frames, when every supervision has a word alignment."""
    sups = [(c, s) for c in cuts for s in c.supervisions]
    if not sups or not all(s.alignment and "word" in s.alignment for _, s in sups):
        return None
    first = next(iter(cuts))
    shift = first.frame_shift or getattr(strategy, "frame_shift", None)
    if shift is None:
        raise DatasetError(
            "cannot place word alignments: the cuts have no features and the input strategy "
            "has no feature extractor (frame_shift unknown)"
        )
    sr = first.sampling_rate
    out: dict[str, list] = {"word": [], "word_start": [], "word_end": []}
    for _, s in sups:
        items = s.alignment["word"]
        out["word"].append([a.symbol for a in items])
        out["word_start"].append([compute_num_frames(a.start, shift, sr) for a in items])
        out["word_end"].append([compute_num_frames(a.end, shift, sr) for a in items])
    return out
