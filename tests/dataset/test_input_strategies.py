"""Input strategies: batched on-the-fly features, supervision spans, fault tolerance, parallel reads."""

from __future__ import annotations

import dataclasses
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial

import numpy as np
import pytest
import soundfile as sf
import torch

from nuptse.audio import AudioLoadingError
from nuptse.cut import LOG_EPSILON
from nuptse.dataset import AudioSamples, OnTheFlyFeatures, PrecomputedFeatures
from nuptse.features.kaldi.extractors import Fbank
from nuptse.timing import compute_num_frames, compute_num_samples


def knf_fbank(x: np.ndarray) -> np.ndarray:
    """kaldi-native-fbank with the options of nuptse's default Fbank (an independent reference)."""
    knf = pytest.importorskip("kaldi_native_fbank")
    o = knf.FbankOptions()
    o.frame_opts.dither = 0.0
    o.frame_opts.snip_edges = False
    o.frame_opts.samp_freq = 16000
    o.mel_opts.num_bins = 80
    o.mel_opts.low_freq = 20.0
    o.mel_opts.high_freq = -400.0
    comp = knf.OnlineFbank(o)
    comp.accept_waveform(16000, x.tolist())
    comp.input_finished()
    return np.stack([comp.get_frame(i) for i in range(comp.num_frames_ready)])


def test_on_the_fly_batch_equals_per_utterance_and_kaldi(cuts):
    extractor = Fbank()
    feats, lens = OnTheFlyFeatures(extractor)(cuts)
    for i, cut in enumerate(cuts):
        audio, _ = sf.read(cut.recording.sources[0].source, dtype="float32")
        single = extractor.extract(audio, 16000)
        n = single.shape[0]
        assert int(lens[i]) == n == compute_num_frames(cut.duration, 0.01, 16000)
        # One padded call with lengths gives each utterance's own features, bit for bit.
        np.testing.assert_array_equal(feats[i, :n].numpy(), single)
        assert (feats[i, n:] == LOG_EPSILON).all()
        ref = knf_fbank(audio)
        assert ref.shape == single.shape
        assert np.abs(ref - single).max() < 2e-3


def test_on_the_fly_sequential_extraction_matches_batched(cuts):
    batched, _ = OnTheFlyFeatures(Fbank())(cuts)
    sequential, _ = OnTheFlyFeatures(Fbank(), use_batch_extract=False)(cuts)
    torch.testing.assert_close(batched, sequential, atol=1e-5, rtol=0)


def test_on_the_fly_supervision_intervals_follow_timing(cuts):
    strategy = OnTheFlyFeatures(Fbank())
    iv = strategy.supervision_intervals(cuts)
    expected = [
        (i, compute_num_frames(s.start, 0.01, 16000), compute_num_frames(s.duration, 0.01, 16000))
        for i, c in enumerate(cuts)
        for s in c.supervisions
    ]
    got = list(zip(iv["sequence_idx"].tolist(), iv["start_frame"].tolist(), iv["num_frames"].tolist()))
    assert got == expected
    # hand-computed for the first supervision of every cut: 0.5 s .. 3.0 s
    assert got[0][1:] == (50, 250)


def test_audio_samples_intervals_and_masks(cuts):
    strategy = AudioSamples()
    audio, lens = strategy(cuts)
    iv = strategy.supervision_intervals(cuts)
    assert iv["start_sample"].tolist()[:2] == [8000, compute_num_samples(3.25, 16000)]
    masks = strategy.supervision_masks(cuts)
    assert masks.shape == audio.shape
    assert masks[0, 7999] == 0 and masks[0, 8000] == 1 and masks[0, 47999] == 1 and masks[0, 48000] == 0


def test_precomputed_features_left_padding_shifts_starts(cuts_with_feats):
    strategy = PrecomputedFeatures()
    right = strategy.supervision_intervals(cuts_with_feats)
    left = strategy.supervision_intervals(cuts_with_feats, pad_direction="left")
    longest = max(c.num_frames for c in cuts_with_feats)
    shifts = [longest - c.num_frames for c in cuts_with_feats for _ in c.supervisions]
    assert (left["start_frame"] - right["start_frame"]).tolist() == shifts
    for i, c in enumerate(cuts_with_feats):
        # spans never run past the cut's frames
        sel = right["sequence_idx"] == i
        assert int((right["start_frame"][sel] + right["num_frames"][sel]).max()) <= c.num_frames


@pytest.mark.parametrize("make", [AudioSamples, partial(OnTheFlyFeatures, Fbank())])
def test_fault_tolerant_drops_the_corrupt_cut_and_reports_it(cuts, audio_dir, make, caplog):
    bad = sorted(audio_dir.glob("*.flac"))[0]
    bad.write_bytes(b"\x00garbage" * 512)
    bad_id = next(c.id for c in cuts if c.recording.sources[0].source == str(bad))
    strategy = make(fault_tolerant=True)
    out = strategy(cuts)
    inputs, lens, ok = out[0], out[1], out[-1]
    assert inputs.shape[0] == len(lens) == len(ok) == 2
    assert bad_id not in [c.id for c in ok]
    report = strategy.fault_report
    assert report.num_dropped() == 1
    assert report.dropped_ids() == [bad_id]
    assert report.records[0].stage == "audio"
    assert bad_id in caplog.text
    # Without fault tolerance the error propagates.
    with pytest.raises((AudioLoadingError, ValueError)):
        make()(cuts)


def test_precomputed_fault_tolerant(cuts_with_feats, tmp_path):
    def break_short(c):
        if c.duration > 11:
            return c
        missing = dataclasses.replace(c.features, storage_path=str(tmp_path / "missing.llc"))
        return dataclasses.replace(c, features=missing)

    broken = cuts_with_feats.map(break_short)
    strategy = PrecomputedFeatures(fault_tolerant=True)
    feats, lens, ok = strategy(broken)
    assert len(ok) == 2 and feats.shape[0] == 2
    assert strategy.fault_report.num_dropped() == 1


@pytest.mark.parametrize(
    "executor_type",
    [ThreadPoolExecutor, partial(ProcessPoolExecutor, mp_context=multiprocessing.get_context("spawn"))],
)
def test_parallel_reads_give_the_same_batch(cuts, executor_type):
    ref, _ = AudioSamples()(cuts)
    got, _ = AudioSamples(num_workers=2, executor_type=executor_type)(cuts)
    torch.testing.assert_close(ref, got, atol=0, rtol=0)


def test_on_the_fly_drops_audio_with_nan(cuts, tmp_path):
    from nuptse import Recording
    from tests.dataset.conftest import make_cuts

    x, _ = sf.read(next(iter(cuts)).recording.sources[0].source, dtype="float32")
    x[1000] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, x, 16000, subtype="FLOAT")
    assert Recording.from_file(path).num_samples == len(x)
    batch = make_cuts([path] + [c.recording.sources[0].source for c in list(cuts)[1:]])
    strategy = OnTheFlyFeatures(Fbank(), fault_tolerant=True)
    feats, lens, ok = strategy(batch)
    assert len(ok) == 2 and torch.isfinite(feats).all()
    assert strategy.fault_report.by_reason() == {"NonFiniteError": 1}
