"""Audio tagging batches: inputs plus the audio event labels of each supervision."""

from __future__ import annotations

from nuptse.cut import CutSet
from nuptse.dataset.speech_recognition import (
    K2SpeechRecognitionDataset,
    custom_values,
    validate_cuts,
)


class AudioTaggingDataset(K2SpeechRecognitionDataset):
    """Like :class:`K2SpeechRecognitionDataset`, with ``supervisions["audio_event"]`` instead of text.

    Labels come from each supervision's ``audio_event`` custom field (e.g.
    ``"Speech; Whisper"``).
    """

    def _validate(self, cuts: CutSet) -> None:
        validate_cuts(cuts)

    def _supervision_fields(self, sups: list) -> dict[str, list]:
        return {"audio_event": custom_values(sups, "audio_event")}
