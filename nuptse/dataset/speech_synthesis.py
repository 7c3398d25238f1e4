"""Text-to-speech batches: audio, features and the text of each cut."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Optional, Union

import torch

from nuptse.cut import CutSet
from nuptse.dataset.collation import as_cutset, collate_audio
from nuptse.dataset.input_strategies import BatchIO, PrecomputedFeatures
from nuptse.dataset.speech_recognition import DatasetError, validate_cuts


def validate_for_tts(cuts: CutSet) -> None:
    """Every cut must have exactly one supervision."""
    validate_cuts(cuts)
    for cut in cuts:
        if len(cut.supervisions) != 1:
            raise DatasetError(
                f"cut {cut.id!r} has {len(cut.supervisions)} supervisions; TTS needs exactly one"
            )


class SpeechSynthesisDataset(torch.utils.data.Dataset):
    """TTS batches: ``audio``/``audio_lens``, ``features``/``features_lens`` and, optionally,
    ``text`` (normalized where available), ``tokens``, ``speakers`` and ``cut``.
    """

    def __init__(
        self,
        cut_transforms: Optional[list[Callable[[CutSet], CutSet]]] = None,
        feature_input_strategy: BatchIO = PrecomputedFeatures(),
        feature_transforms: Union[Sequence[Callable], Callable, None] = None,
        return_text: bool = True,
        return_tokens: bool = False,
        return_spk_ids: bool = False,
        return_cuts: bool = False,
    ) -> None:
        super().__init__()
        self.cut_transforms = list(cut_transforms) if cut_transforms else []
        self.feature_input_strategy = feature_input_strategy
        self.return_text = return_text
        self.return_tokens = return_tokens
        self.return_spk_ids = return_spk_ids
        self.return_cuts = return_cuts
        if feature_transforms is None:
            feature_transforms = []
        elif callable(feature_transforms) and not isinstance(feature_transforms, Sequence):
            feature_transforms = [feature_transforms]
        if not all(callable(t) for t in feature_transforms):
            raise TypeError(f"feature_transforms must be callables, got {feature_transforms!r}")
        self.feature_transforms = list(feature_transforms)

    def __getitem__(self, cuts: CutSet) -> dict[str, torch.Tensor]:
        cuts = as_cutset(cuts)
        validate_for_tts(cuts)
        for transform in self.cut_transforms:
            cuts = as_cutset(transform(cuts))
        audio, audio_lens = collate_audio(cuts)
        loaded = self.feature_input_strategy(cuts)
        features, features_lens = loaded[0], loaded[1]
        for transform in self.feature_transforms:
            features = transform(features)
        batch = {
            "audio": audio,
            "features": features,
            "audio_lens": audio_lens,
            "features_lens": features_lens.to(torch.int32),
        }
        if self.return_text:
            batch["text"] = [
                getattr(c.supervisions[0], "normalized_text", None) or c.supervisions[0].text for c in cuts
            ]
        if self.return_tokens:
            batch["tokens"] = [c.tokens for c in cuts]
        if self.return_spk_ids:
            batch["speakers"] = [c.supervisions[0].speaker for c in cuts]
        if self.return_cuts:
            batch["cut"] = list(cuts)
        return batch
