"""Masks of where a cut's supervisions (or each speaker) are active, per sample or frame.

A supervision (or, with ``use_alignment_if_exists``, each of its alignment
items of that kind) marks the samples/frames of its span; spans that stick
out of the cut are clipped to it.  Frame indices round the times to the
nearest frame, sample indices go through :mod:`nuptse.timing`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nuptse.cut.registry import CutError
from nuptse.timing import compute_num_frames, compute_num_samples, seconds_to_frames


def _spans(sup, alignment_type: str | None) -> list[tuple[float, float]]:
    """The ``(start, end)`` spans a supervision marks."""
    items = (sup.alignment or {}).get(alignment_type) if alignment_type else None
    if items:
        return [(a.start, a.end) for a in items]
    return [(sup.start, sup.end)]


def _index_range(start: float, end: float, cut_duration: float, total: int, to_index) -> slice:
    lo = to_index(start) if start > 0 else 0
    hi = to_index(end) if end < cut_duration else total
    return slice(lo, hi)


def supervisions_frame_mask(
    cut: Any, frame_shift: float | None = None, use_alignment_if_exists: str | None = None
) -> np.ndarray:
    """1 for the frames covered by a supervision, 0 elsewhere (``float32``, ``(num_frames,)``).

    A cut without features needs ``frame_shift``.
    """
    if cut.has_features:
        frame_shift, total = cut.frame_shift, cut.num_frames
    elif frame_shift is not None:
        total = compute_num_frames(cut.duration, frame_shift, cut.sampling_rate)
    else:
        raise CutError(f"cut {cut.id!r} has no features: pass frame_shift for a frame mask")
    mask = np.zeros(total, dtype=np.float32)
    for sup in cut.supervisions:
        for start, end in _spans(sup, use_alignment_if_exists):
            mask[
                _index_range(
                    start, end, cut.duration, total, lambda t: seconds_to_frames(t, frame_shift)
                )
            ] = 1.0
    return mask


class MasksMixin:
    """Supervision and speaker activity masks of a cut."""

    def _require(self, what: str, ok: bool) -> None:
        if not ok:
            raise CutError(f"cut {self.id!r} has no {what}, so it has no {what} mask")

    def supervisions_audio_mask(self, use_alignment_if_exists: str | None = None) -> np.ndarray:
        """1 for the samples covered by a supervision, 0 elsewhere (``float32``, ``(num_samples,)``)."""
        self._require("recording", self.has_recording)
        sr = self.sampling_rate
        total = compute_num_samples(self.duration, sr)
        mask = np.zeros(total, dtype=np.float32)
        for sup in self.supervisions:
            for start, end in _spans(sup, use_alignment_if_exists):
                mask[
                    _index_range(
                        start, end, self.duration, total, lambda t: compute_num_samples(t, sr)
                    )
                ] = 1.0
        return mask

    def supervisions_feature_mask(self, use_alignment_if_exists: str | None = None) -> np.ndarray:
        """1 for the frames covered by a supervision, 0 elsewhere (``float32``, ``(num_frames,)``)."""
        return supervisions_frame_mask(self, use_alignment_if_exists=use_alignment_if_exists)

    def _speakers_mask(self, total, to_index, min_speaker_dim, speaker_to_idx_map, alignment):
        if speaker_to_idx_map is None:
            speakers = sorted({s.speaker for s in self.supervisions}, key=str)
            speaker_to_idx_map = {spk: i for i, spk in enumerate(speakers)}
        rows = len(speaker_to_idx_map)
        if min_speaker_dim is not None:
            rows = min(min_speaker_dim, rows)
        mask = np.zeros((rows, total))
        for sup in self.supervisions:
            row = speaker_to_idx_map[sup.speaker]
            for start, end in _spans(sup, alignment):
                mask[row, _index_range(start, end, self.duration, total, to_index)] = 1
        return mask

    def speakers_feature_mask(
        self,
        min_speaker_dim: int | None = None,
        speaker_to_idx_map: dict[str, int] | None = None,
        use_alignment_if_exists: str | None = None,
    ) -> np.ndarray:
        """Per-speaker frame activity, ``(num_speakers, num_frames)`` of 0/1.

        Speakers are ordered by name unless ``speaker_to_idx_map`` gives their rows.
        """
        self._require("features", self.has_features)
        fs = self.frame_shift
        return self._speakers_mask(
            self.num_frames,
            lambda t: seconds_to_frames(t, fs),
            min_speaker_dim,
            speaker_to_idx_map,
            use_alignment_if_exists,
        )

    def speakers_audio_mask(
        self,
        min_speaker_dim: int | None = None,
        speaker_to_idx_map: dict[str, int] | None = None,
        use_alignment_if_exists: str | None = None,
    ) -> np.ndarray:
        """Per-speaker sample activity, ``(num_speakers, num_samples)`` of 0/1."""
        self._require("recording", self.has_recording)
        sr = self.sampling_rate
        return self._speakers_mask(
            compute_num_samples(self.duration, sr),
            lambda t: compute_num_samples(t, sr),
            min_speaker_dim,
            speaker_to_idx_map,
            use_alignment_if_exists,
        )
