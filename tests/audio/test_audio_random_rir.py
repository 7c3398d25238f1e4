"""Reverberation with a generated room impulse response (``reverb_rir()`` without an RIR)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nuptse.audio import FastRandomRIRGenerator, Recording, ReverbWithImpulseResponse

SPEECH = "libri/libri-1088-134315-0000.wav"

#: What lhotse 1.33 writes for ``Recording.reverb_rir()`` (seeds given here).
LHOTSE_TRANSFORM = {
    "name": "ReverbWithImpulseResponse",
    "kwargs": {
        "rir": None,
        "normalize_output": True,
        "early_only": False,
        "rir_channels": [0],
        "rir_generator": {
            "sr": 16000,
            "direct_range": [-6, 50],
            "max_T60": 0.8,
            "alpha": 0.25,
            "a": -2.0,
            "b": 2.0,
            "tau": 0.2,
            "room_seed": 3,
            "source_seed": 5,
        },
    },
}


@pytest.fixture(scope="module")
def speech(fixtures_dir):
    return Recording.from_file(fixtures_dir / SPEECH)


def test_generator_is_deterministic_per_seed():
    a = FastRandomRIRGenerator(sr=16000, room_seed=1, source_seed=2)
    b = FastRandomRIRGenerator(sr=16000, room_seed=1, source_seed=2)
    np.testing.assert_array_equal(a(), b())
    np.testing.assert_array_equal(a(nsource=2), b(nsource=2))
    # the cached response is not shared mutable state
    h = a()
    h[:] = 0
    assert np.abs(a()).max() > 0
    other_room = FastRandomRIRGenerator(sr=16000, room_seed=7, source_seed=2)()
    other_source = FastRandomRIRGenerator(sr=16000, room_seed=1, source_seed=8)()
    for o in (other_room, other_source):
        assert o.shape != h.shape or not np.allclose(o, a())


def test_generator_without_seed_draws_fresh_responses():
    gen = FastRandomRIRGenerator(sr=8000)
    first, second = gen(), gen()
    assert first.shape != second.shape or not np.array_equal(first, second)


@pytest.mark.parametrize("seed", range(5))
def test_generated_rir_decays(seed):
    h = FastRandomRIRGenerator(sr=16000, room_seed=seed, source_seed=100 + seed)(nsource=1)[0]
    assert h.dtype == np.float32 and np.isfinite(h).all()
    peak = int(np.argmax(h))
    assert h[peak] == pytest.approx(np.abs(h).max())
    tail = h[peak + 32 :].astype(np.float64) ** 2
    quarter = len(tail) // 4
    head_energy, tail_energy = tail[:quarter].sum(), tail[-quarter:].sum()
    assert tail_energy < 1e-2 * head_energy
    # the length follows T60 (at most max_T60 plus the direct path and filter)
    assert len(h) < int((0.8 + 3.1 / 343.0) * 16000) + 64


def test_reverb_rir_without_rir(speech):
    rvb = speech.reverb_rir(room_rng_seed=3, source_rng_seed=5)
    assert rvb.id == speech.id + "_rvb"
    assert (rvb.num_samples, rvb.duration, rvb.channel_ids) == (
        speech.num_samples,
        speech.duration,
        [0],
    )
    dry = speech.load_audio()
    wet = rvb.load_audio()
    assert wet.shape == dry.shape and wet.dtype == np.float32
    assert not np.allclose(wet, dry)
    # normalize_output keeps the input's mean power
    assert np.mean(wet.astype(np.float64) ** 2) == pytest.approx(
        np.mean(dry.astype(np.float64) ** 2), rel=1e-3
    )
    np.testing.assert_array_equal(rvb.load_audio(), wet)  # every load the same
    other = speech.reverb_rir(room_rng_seed=4, source_rng_seed=5).load_audio()
    assert not np.allclose(other, wet)
    part = rvb.load_audio(offset=1.0, duration=0.5)
    assert part.shape == (1, 8000)


def test_reverb_rir_without_seeds_records_them(speech):
    rvb = speech.reverb_rir()
    gen = rvb.transforms[-1].rir_generator
    assert isinstance(gen.room_seed, int) and isinstance(gen.source_seed, int)
    again = Recording.from_dict(json.loads(json.dumps(rvb.to_dict())))
    np.testing.assert_array_equal(again.load_audio(duration=1.0), rvb.load_audio(duration=1.0))


def test_multichannel_generated_rir(speech):
    rvb = speech.reverb_rir(rir_channels=[0, 1, 2], room_rng_seed=1, source_rng_seed=2)
    assert rvb.channel_ids == [0, 1, 2] and rvb.num_channels == 3
    audio = rvb.load_audio(duration=2.0)
    assert audio.shape == (3, 32000)
    assert not np.allclose(audio[0], audio[1])
    # microphones of one array in one room: strongly correlated channels
    assert np.corrcoef(audio[0], audio[1])[0, 1] > 0.5
    stereo = speech.reverb_rir(room_rng_seed=1, source_rng_seed=2)  # mono stays mono
    assert stereo.load_audio(duration=0.1).shape == (1, 1600)


def test_early_only_and_unnormalized(speech):
    early = speech.reverb_rir(
        early_only=True, normalize_output=False, room_rng_seed=1, source_rng_seed=2
    )
    full = speech.reverb_rir(normalize_output=False, room_rng_seed=1, source_rng_seed=2)
    dry = speech.load_audio(duration=2.0).astype(np.float64)
    e = early.load_audio(duration=2.0).astype(np.float64)
    f = full.load_audio(duration=2.0).astype(np.float64)
    assert e.shape == f.shape == dry.shape
    # the direct path has gain 1, so the early version stays closer to the input
    assert np.mean((e - dry) ** 2) < np.mean((f - dry) ** 2)


def test_serialization_round_trip(speech):
    rvb = speech.reverb_rir(rir_channels=[0, 1], room_rng_seed=11, source_rng_seed=12)
    d = json.loads(json.dumps(rvb.to_dict()))
    t = d["transforms"][-1]
    assert t["name"] == "ReverbWithImpulseResponse"
    assert t["kwargs"]["rir"] is None
    assert t["kwargs"]["rir_generator"]["room_seed"] == 11
    assert t["kwargs"]["rir_generator"]["source_seed"] == 12
    assert sorted(t["kwargs"]["rir_generator"]) == sorted(
        LHOTSE_TRANSFORM["kwargs"]["rir_generator"]
    )
    back = Recording.from_dict(d)
    assert back.to_dict() == d
    np.testing.assert_array_equal(back.load_audio(duration=1.0), rvb.load_audio(duration=1.0))


def test_lhotse_layout_loads_and_round_trips(speech):
    d = speech.to_dict()
    d["id"] += "_rvb"
    d["transforms"] = [LHOTSE_TRANSFORM]
    rec = Recording.from_dict(json.loads(json.dumps(d)))
    assert isinstance(rec.transforms[0], ReverbWithImpulseResponse)
    assert rec.to_dict() == d
    assert rec.load_audio(duration=1.0).shape == (1, 16000)
    # null seeds (what lhotse writes by default) load too: random per load
    d["transforms"] = [json.loads(json.dumps(LHOTSE_TRANSFORM))]
    d["transforms"][0]["kwargs"]["rir_generator"].update(room_seed=None, source_seed=None)
    assert Recording.from_dict(d).load_audio(duration=0.5).shape == (1, 8000)


def test_lhotse_interchange(speech):
    lhotse = pytest.importorskip("lhotse")
    ours = speech.reverb_rir(room_rng_seed=3, source_rng_seed=5)
    theirs = lhotse.Recording.from_dict(json.loads(json.dumps(ours.to_dict())))
    assert theirs.to_dict() == ours.to_dict()
    written = lhotse.Recording.from_file(speech.sources[0].source).reverb_rir(
        room_rng_seed=3, source_rng_seed=5
    )
    assert Recording.from_dict(written.to_dict()).to_dict() == written.to_dict()
    assert written.to_dict()["transforms"] == [LHOTSE_TRANSFORM]


def test_generated_rir_rate_and_channel_checks(speech):
    rvb = speech.reverb_rir(room_rng_seed=1, source_rng_seed=2)
    t = rvb.transforms[-1]
    # Audio at another rate gets the response resampled to its rate (same duration).
    full, half = t.load_rir(16000), t.load_rir(8000)
    assert half.shape[1] == -(-full.shape[1] // 2)
    assert t(np.zeros((1, 100), np.float32), 8000).shape == (1, 100)
    stereo = Recording.from_dict(
        {
            **speech.to_dict(),
            "channel_ids": [0, 1],
            "sources": [{"type": "file", "channels": [0, 1], "source": "x.wav"}],
        }
    )
    with pytest.raises(ValueError, match="2 channels"):
        stereo.reverb_rir(rir_channels=[0, 1, 2])
    with pytest.raises(ValueError, match="direct_range"):
        FastRandomRIRGenerator(direct_range=[5, 1])
    with pytest.raises(ValueError, match="Unknown"):
        FastRandomRIRGenerator.from_dict({"sr": 16000, "bogus": 1})
