"""Speaker diarization batches: features and a per-speaker activity matrix."""

from __future__ import annotations

import dataclasses
from typing import Optional

import torch

from nuptse.cut import CutSet
from nuptse.dataset.collation import IGNORE_INDEX, as_cutset, collate_features, fill_batch
from nuptse.dataset.speech_recognition import validate_cuts
from nuptse.timing import round_time


def _restrict_to_uem(cuts: CutSet, uem) -> CutSet:
    """Cuts of the whole recordings with supervisions clipped to the UEM's scored regions."""
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    regions: dict[str, list] = {}
    for seg in uem:
        regions.setdefault(seg.recording_id, []).append((seg.start, seg.end))
    recordings = {c.recording.id: c.recording for c in cuts if c.has_recording}
    kept = []
    for cut in cuts:
        spans = regions.get(cut.recording_id)
        for sup in cut.supervisions:
            if spans is None:
                kept.append(sup)
                continue
            for lo, hi in spans:
                start, end = max(sup.start, lo), min(sup.end, hi)
                if end > start:
                    kept.append(
                        dataclasses.replace(sup, start=round_time(start), duration=round_time(end - start))
                    )
    return CutSet.from_manifests(
        recordings=RecordingSet.from_recordings(recordings.values()),
        supervisions=SupervisionSet.from_segments(kept),
    )


class DiarizationDataset(torch.utils.data.Dataset):
    """``{"features", "features_lens", "speaker_activity" (B, speakers, T)}``.

    Speaker rows are ordered by speaker name within each cut, or by
    ``global_speaker_ids`` over the whole ``cuts``.  Padding frames hold
    ``-100`` (ignored by cross-entropy).  With ``uem``, only the scored
    regions' supervisions are kept.
    """

    def __init__(
        self,
        cuts: CutSet,
        uem=None,
        min_speaker_dim: Optional[int] = None,
        global_speaker_ids: bool = False,
    ) -> None:
        super().__init__()
        validate_cuts(cuts)
        self.cuts = _restrict_to_uem(cuts, uem) if uem else cuts
        self.speakers = (
            {spk: i for i, spk in enumerate(sorted(self.cuts.speakers))} if global_speaker_ids else None
        )
        self.min_speaker_dim = min_speaker_dim

    def __getitem__(self, cuts: CutSet) -> dict[str, torch.Tensor]:
        cuts = as_cutset(cuts)
        features, lens = collate_features(cuts)
        activity = []
        for cut in cuts:
            mask = cut.speakers_feature_mask(
                min_speaker_dim=self.min_speaker_dim, speaker_to_idx_map=self.speakers
            )
            activity.append(torch.from_numpy(mask).to(torch.float32))
        width = max(a.shape[1] for a in activity)
        rows = max(a.shape[0] for a in activity)
        out = fill_batch(
            (len(activity), rows, width), float(IGNORE_INDEX), torch.float32,
            (((i, slice(0, a.shape[0]), slice(0, a.shape[1])), a) for i, a in enumerate(activity)),
        )
        return {"features": features, "features_lens": lens, "speaker_activity": out}

