"""K2SpeechRecognitionDataset: batch layout, supervision frames, fault tolerance, DataLoader workers."""

from __future__ import annotations

import multiprocessing

import pytest
import torch
from torch.utils.data import DataLoader

from nuptse.cut import CutSet
from nuptse.dataset import (
    AudioSamples,
    CutMix,
    K2SpeechRecognitionDataset,
    OnTheFlyFeatures,
    PrecomputedFeatures,
    SpecAugment,
)
from nuptse.dataset.dataloading import make_worker_init_fn
from nuptse.dataset.speech_recognition import DatasetError, validate_for_asr
from nuptse.features.kaldi.extractors import Fbank
from nuptse.timing import compute_num_frames


def test_batch_layout_and_frames(cuts_with_feats):
    batch = K2SpeechRecognitionDataset(return_cuts=True)[cuts_with_feats]
    inputs, sups = batch["inputs"], batch["supervisions"]
    ordered = sorted(cuts_with_feats, key=lambda c: c.duration, reverse=True)
    assert inputs.shape == (3, ordered[0].num_frames, 80)
    assert sups["sequence_idx"].tolist() == [0, 0, 1, 1, 2, 2]
    assert sups["text"] == [s.text for c in ordered for s in c.supervisions]
    assert sups["speaker"] == [s.speaker for c in ordered for s in c.supervisions]
    assert [c.id for c in sups["cut"]] == [c.id for c in ordered for _ in c.supervisions]
    for j, (cut, sup) in enumerate((c, s) for c in ordered for s in c.supervisions):
        start = compute_num_frames(sup.start, 0.01, 16000)
        num = min(compute_num_frames(sup.duration, 0.01, 16000), cut.num_frames - start)
        assert sups["start_frame"][j] == start
        assert sups["num_frames"][j] == num
        assert start + num <= cut.num_frames
    # 0.5 s -> frame 50; 2.5 s -> 250 frames; 3.25 s -> frame 325 (hand-computed)
    assert sups["start_frame"].tolist()[:2] == [50, 325]
    assert sups["num_frames"].tolist()[0] == 250


def test_audio_inputs_give_sample_spans(cuts):
    batch = K2SpeechRecognitionDataset(input_strategy=AudioSamples())[cuts]
    assert batch["inputs"].shape == (3, 256640)
    assert batch["supervisions"]["start_sample"].tolist()[:2] == [8000, 52000]
    assert batch["supervisions"]["num_samples"].tolist()[0] == 40000


def test_validate_for_asr_names_the_supervision(cuts):
    cut = next(iter(cuts))
    sup = cut.supervisions[0]
    object.__setattr__(sup, "duration", cut.duration + 5)
    with pytest.raises(DatasetError, match=sup.id):
        validate_for_asr(CutSet.from_cuts([cut]))


def _corrupt_first_flac(cuts, audio_dir) -> str:
    bad = sorted(audio_dir.glob("*.flac"))[0]
    bad.write_bytes(b"\x00garbage" * 512)
    return next(c.id for c in cuts if c.recording.sources[0].source == str(bad))


def test_fault_tolerant_batch_keeps_supervisions_consistent(cuts, audio_dir):
    bad_id = _corrupt_first_flac(cuts, audio_dir)
    ds = K2SpeechRecognitionDataset(
        input_strategy=OnTheFlyFeatures(Fbank(), fault_tolerant=True), return_cuts=True
    )
    batch = ds[cuts]
    sups = batch["supervisions"]
    assert batch["inputs"].shape[0] == 2
    assert sups["sequence_idx"].tolist() == [0, 0, 1, 1]
    assert len(sups["text"]) == 4 and bad_id not in [c.id for c in sups["cut"]]
    assert ds.fault_report.num_dropped(epoch=0) == 1
    assert ds.fault_report.by_reason() and "1 cut(s) dropped" in ds.fault_report.summary()


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_fault_report_collects_drops_from_dataloader_workers(cuts, audio_dir, context):
    bad_id = _corrupt_first_flac(cuts, audio_dir)
    ds = K2SpeechRecognitionDataset(input_strategy=AudioSamples(fault_tolerant=True))
    batches = [CutSet.from_cuts([c]) for c in cuts]
    loader = DataLoader(
        ds, sampler=batches, batch_size=None, num_workers=2,
        multiprocessing_context=multiprocessing.get_context(context),
    )
    for epoch in range(2):
        ds.set_epoch(epoch)
        got = [b["inputs"].shape[0] for b in loader]
        assert sorted(got) == [0, 1, 1]
    del loader
    report = ds.fault_report
    report.set_epoch(2)  # collects what is still in flight
    assert report.dropped_ids() == [bad_id, bad_id]
    assert report.per_epoch() == {0: 1, 1: 1} or report.num_dropped() == 2


def _augmented_loader(cuts_with_feats, noise, seed: int):
    ds = K2SpeechRecognitionDataset(
        cut_transforms=[CutMix(noise, snr=(10, 20), p=0.5, seed="randomized")],
        input_transforms=[SpecAugment(p=1.0, num_frame_masks=2, frames_mask_size=20)],
        input_strategy=PrecomputedFeatures(),
    )
    batches = [cuts_with_feats] * 4
    torch.manual_seed(seed)
    return DataLoader(
        ds, sampler=batches, batch_size=None, num_workers=2,
        worker_init_fn=make_worker_init_fn(seed=seed),
    )


def test_augmentation_is_deterministic_for_a_seed_and_differs_between_workers(cuts_with_feats):
    noise = CutSet.from_cuts([next(iter(cuts_with_feats)).truncate(duration=2.0).with_id("noise")])
    first = [b["inputs"] for b in _augmented_loader(cuts_with_feats, noise, seed=3)]
    again = [b["inputs"] for b in _augmented_loader(cuts_with_feats, noise, seed=3)]
    for a, b in zip(first, again):
        torch.testing.assert_close(a, b, atol=0, rtol=0)
    # Batches 0 and 1 are the same cuts, handled by workers 0 and 1: different augmentation.
    assert not torch.equal(first[0], first[1])
    other = [b["inputs"] for b in _augmented_loader(cuts_with_feats, noise, seed=4)]
    assert not torch.equal(first[0], other[0])
