"""Unsupervised datasets and recording chunks, checked against soundfile reads."""

from __future__ import annotations

import numpy as np
import soundfile as sf
import torch
from torch.utils.data import DataLoader

from nuptse.dataset.unsupervised import (
    DynamicUnsupervisedDataset,
    RecordingChunkIterableDataset,
    UnsupervisedDataset,
    UnsupervisedWaveformDataset,
    audio_chunk_collate,
    audio_chunk_worker_init_fn,
)
from nuptse.features.kaldi.extractors import Fbank


def test_recording_chunks_match_file_slices(cuts):
    recordings = [c.recording for c in cuts]
    dataset = RecordingChunkIterableDataset(recordings, chunk_size=4.0, chunk_shift=3.0)
    loader = DataLoader(dataset, batch_size=4, collate_fn=audio_chunk_collate, num_workers=2,
                        worker_init_fn=audio_chunk_worker_init_fn)
    seen = 0
    for batch in loader:
        assert batch["audio"].shape[1] == 64000
        for rid, begin, audio in zip(batch["recording_id"], batch["begin_time"], batch["audio"]):
            rec = next(r for r in recordings if r.id == rid)
            ref, _ = sf.read(rec.sources[0].source, dtype="float32")
            first = int(round(float(begin) * 16000))
            piece = ref[first:first + 64000]
            np.testing.assert_array_equal(audio[: len(piece)].numpy(), piece)
            assert not audio[len(piece):].any()
            seen += 1
    # chunks start every 3 s until one reaches the end: 16.04 s -> 6 (0, 3, ... 15),
    # 11.66 s -> 4 (0 .. 9), 10.51 s -> 4 (0 .. 9)
    assert seen == 14


def test_waveform_and_feature_datasets(cuts, cuts_with_feats):
    out = UnsupervisedWaveformDataset()[cuts]
    assert out["audio"].shape == (3, max(c.num_samples for c in cuts))
    assert out["audio_lens"].tolist() == [c.num_samples for c in cuts]
    listed = UnsupervisedWaveformDataset(collate=False)[cuts]
    assert [a.shape[-1] for a in listed["audio"]] == [c.num_samples for c in cuts]
    feats = UnsupervisedDataset()[cuts_with_feats]["features"]
    dynamic = DynamicUnsupervisedDataset(Fbank())[cuts]
    # lilcom storage is lossy: close, not equal
    torch.testing.assert_close(feats, dynamic, atol=0.05, rtol=0)
