"""Recording.to_cut and the lazy augmentation methods' ids and transform lists."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from nuptse.audio import ChannelNotFoundError, Recording
from nuptse.augmentation import DereverbWPE


def test_to_cut_mono_and_multi(fixtures_dir):
    mono = Recording.from_file(fixtures_dir / "mono_c0.wav").to_cut()
    assert type(mono).__name__ == "MonoCut"
    assert (mono.id, mono.start, mono.duration, mono.channel) == ("mono_c0", 0.0, 0.5, 0)
    expected, _ = sf.read(fixtures_dir / "mono_c0.wav", dtype="float32")
    np.testing.assert_array_equal(mono.load_audio()[0], expected)
    multi = Recording.from_file(fixtures_dir / "stereo.wav").to_cut()
    assert type(multi).__name__ == "MultiCut" and list(multi.channel) == [0, 1]
    assert multi.load_audio().shape == (2, 8000)


def test_dereverb_wpe_ids(fixtures_dir):
    rec = Recording.from_file(fixtures_dir / "stereo.wav")
    assert rec.dereverb_wpe().id == "stereo_wpe"
    assert rec.dereverb_wpe(affix_id=False).transforms == [DereverbWPE()]


def test_unknown_channel_is_an_assertion_error_too(fixtures_dir):
    rec = Recording.from_file(fixtures_dir / "stereo.wav")
    with pytest.raises(ChannelNotFoundError, match="1000"):
        rec.load_audio(channels=1000)
    with pytest.raises(AssertionError):
        rec.load_audio(channels=[0, 7])


def test_recording_set_reverb_without_rirs_generates_one_per_recording(fixtures_dir):
    from nuptse.audio import RecordingSet

    recs = RecordingSet.from_recordings(
        Recording.from_file(fixtures_dir / name) for name in ("mono_c0.wav", "mono_c1.wav")
    )
    rvb = recs.reverb_rir(room_rng_seed=7)
    gens = [r.transforms[-1].rir_generator for r in rvb]
    assert [r.id for r in rvb] == ["mono_c0_rvb", "mono_c1_rvb"]
    assert all(g.room_seed == 7 for g in gens)
    out = rvb["mono_c0_rvb"].load_audio()
    assert out.shape == (1, 4000)
    # normalize_output keeps the mean power of the input.
    x = recs["mono_c0"].load_audio()
    assert np.mean(out**2) == pytest.approx(np.mean(x**2), rel=1e-3)
