"""Speech translation batches: ASR batches with the translated text of each supervision."""

from __future__ import annotations

from nuptse.dataset.speech_recognition import K2SpeechRecognitionDataset, custom_values


class K2Speech2TextTranslationDataset(K2SpeechRecognitionDataset):
    """Like :class:`K2SpeechRecognitionDataset`, plus ``supervisions["tgt_text"]``.

    The translation is read from each supervision's custom field
    ``translated_text``.
    """

    def _supervision_fields(self, sups: list) -> dict[str, list]:
        fields = super()._supervision_fields(sups)
        fields["tgt_text"] = custom_values(sups, "translated_text")
        return fields
