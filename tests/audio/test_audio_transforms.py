"""Transforms: sample counts, values against lhotse-written arrays and numpy/scipy, serialization."""

from __future__ import annotations

import gzip
import json
import pickle

import numpy as np
import pytest
import soundfile as sf
from scipy import signal as scipy_signal

from nuptse.audio import (
    AudioTransform,
    Recording,
    Resample,
    ReverbWithImpulseResponse,
    Speed,
    Tempo,
    UnknownTransformError,
    Volume,
)
from nuptse.timing import compute_num_samples, perturb_num_samples

TRANSFORMED = "lhotse_written/recordings_transformed.jsonl.gz"


def _sf(path):
    x, _ = sf.read(path, dtype="float32", always_2d=True)
    return x.T


@pytest.fixture(scope="module")
def transformed(fixtures_dir):
    with gzip.open(fixtures_dir / TRANSFORMED, "rt") as f:
        dicts = [json.loads(line) for line in f]
    return {d["id"]: (d, Recording.from_dict(d).with_path_prefix(fixtures_dir)) for d in dicts}


def test_lhotse_transformed_manifest_loads_with_exact_counts(transformed):
    counts = {
        "9001-500-0005_sp1.1": (17877, 16000),
        "9002-501-0005_tp0.9": (22010, 16000),
        "9003-502-0005_vp0.5": (18873, 16000),
        "9003-502-0002_rs8000": (16224, 8000),
        "9002-501-0007_rvb": (38551, 16000),
        "9001-500-0003_sp0.9_vp0.8": (24418, 8000),
    }
    for rid, (d, rec) in transformed.items():
        assert (rec.num_samples, rec.sampling_rate) == counts[rid]
        assert rec.duration == d["duration"]
        assert rec.load_audio().shape == (1, rec.num_samples)
        # Serialization gives back lhotse's dict exactly (before the path prefix).
        assert Recording.from_dict(d).to_dict() == d


@pytest.mark.parametrize(
    "rid",
    [
        "9001-500-0005_sp1.1",
        "9003-502-0005_vp0.5",
        "9003-502-0002_rs8000",
        "9002-501-0007_rvb",
        "9001-500-0003_sp0.9_vp0.8",
    ],
)
def test_values_match_lhotse_expected_audio(fixtures_dir, transformed, rid):
    expected = np.load(fixtures_dir / f"lhotse_written/expected_audio/{rid}.npy")
    audio = transformed[rid][1].load_audio()
    assert audio.shape == expected.shape
    np.testing.assert_allclose(audio, expected, atol=1e-5, rtol=0)


def test_our_own_perturbations_equal_lhotse_manifest(fixtures_dir, transformed):
    base = fixtures_dir / "mini_corpus/dev-clean-2"
    rir = Recording.from_file(fixtures_dir / "rir/sim_1ch.wav")
    made = {
        "9001-500-0005_sp1.1": Recording.from_file(
            base / "9001/500/9001-500-0005.flac"
        ).perturb_speed(1.1),
        "9002-501-0005_tp0.9": Recording.from_file(
            base / "9002/501/9002-501-0005.flac"
        ).perturb_tempo(0.9),
        "9003-502-0005_vp0.5": Recording.from_file(
            base / "9003/502/9003-502-0005.flac"
        ).perturb_volume(0.5),
        "9002-501-0007_rvb": Recording.from_file(base / "9002/501/9002-501-0007.flac").reverb_rir(
            rir
        ),
    }
    for rid, rec in made.items():
        theirs = transformed[rid][1]
        assert rec.id == rid
        assert (rec.num_samples, rec.duration, rec.channel_ids) == (
            theirs.num_samples,
            theirs.duration,
            theirs.channel_ids,
        )
        assert rec.transforms[0].to_dict()["name"] == theirs.transforms[0].to_dict()["name"]
    rs = Recording.from_file(base / "9003/502/9003-502-0002.flac").resample(8000)
    assert (rs.id, rs.num_samples, rs.duration) == ("9003-502-0002", 16224, 2.028)


def test_volume_is_exact(fixtures_dir, transformed):
    x = _sf(fixtures_dir / "mini_corpus/dev-clean-2/9003/502/9003-502-0005.flac")
    np.testing.assert_array_equal(transformed["9003-502-0005_vp0.5"][1].load_audio(), x * 0.5)


def test_resample_equals_scipy(fixtures_dir):
    signal = pytest.importorskip("scipy.signal")
    x = _sf(fixtures_dir / "mini_corpus/dev-clean-2/9003/502/9003-502-0002.flac")
    rec = Recording.from_file(fixtures_dir / "mini_corpus/dev-clean-2/9003/502/9003-502-0002.flac")
    np.testing.assert_allclose(
        rec.resample(8000).load_audio(), signal.resample_poly(x, 1, 2, axis=-1), atol=1e-6
    )
    lj = Recording.from_file(fixtures_dir / "ljspeech/storage/LJ002-0020.wav")
    up = lj.resample(16000)
    assert up.num_samples == compute_num_samples(lj.duration, 16000)
    y = up.load_audio()
    ref = signal.resample_poly(
        _sf(fixtures_dir / "ljspeech/storage/LJ002-0020.wav"), 320, 441, axis=-1
    )
    assert y.shape[1] == up.num_samples
    np.testing.assert_allclose(y, ref[:, : y.shape[1]], atol=1e-6)


def test_reverb_against_numpy_formula(fixtures_dir):
    x = _sf(fixtures_dir / "libri/libri-1088-134315-0000.wav")[0].astype(np.float64)
    h = _sf(fixtures_dir / "rir/sim_1ch.wav")[0].astype(np.float64) * 2.0**-15
    y = scipy_signal.fftconvolve(x, h)[104 : 104 + len(x)]
    y *= np.sqrt(np.mean(x**2) / np.mean(y**2))
    rec = Recording.from_file(fixtures_dir / "libri/libri-1088-134315-0000.wav")
    out = rec.reverb_rir(Recording.from_file(fixtures_dir / "rir/sim_1ch.wav")).load_audio()
    np.testing.assert_allclose(out[0], y, atol=1e-6)
    known = _sf(fixtures_dir / "libri/libri-1088-134315-0000_rvb.wav")
    np.testing.assert_allclose(out, known, atol=1e-6)


def test_reverb_multichannel_rir(fixtures_dir):
    rec = Recording.from_file(fixtures_dir / "mono_c0.wav").resample(16000)
    rir = Recording.from_file(fixtures_dir / "rir/real_8ch.wav")
    out = rec.reverb_rir(rir, rir_channels=[0, 3])
    assert out.channel_ids == [0, 1]
    assert out.load_audio().shape == (2, rec.num_samples)
    early = rec.reverb_rir(rir, early_only=True, normalize_output=False, affix_id=False)
    assert early.id == rec.id and early.load_audio().shape == (1, rec.num_samples)


def test_speed_partial_reads(transformed):
    rec = transformed["9001-500-0005_sp1.1"][1]
    full = rec.load_audio()
    part = rec.load_audio(offset=0.3, duration=0.4)
    assert part.shape == (1, 6400)
    # Away from the edges of the span the partial read agrees with the full one.
    np.testing.assert_allclose(
        part[:, 200:-200], full[:, 4800 + 200 : 4800 + 6400 - 200], atol=2e-3
    )


def test_tempo_length_and_envelope(fixtures_dir, transformed):
    audio = transformed["9002-501-0005_tp0.9"][1].load_audio()[0]
    sox = np.load(
        fixtures_dir / "lhotse_written/expected_audio/sox_cli/9002-501-0005_tp0.9.npy"
    ).reshape(-1)
    assert len(audio) == len(sox) == 22010

    def env(v):
        return np.sqrt(np.convolve(v.astype(np.float64) ** 2, np.ones(320) / 320, "same"))

    assert np.corrcoef(env(audio), env(sox))[0, 1] > 0.95
    # Pitch is kept: the dominant frequency of the voiced part barely moves.
    x = _sf(fixtures_dir / "mini_corpus/dev-clean-2/9002/501/9002-501-0005.flac")[0]

    def peak_hz(v):
        spec = np.abs(np.fft.rfft(v * np.hanning(len(v))))
        return np.argmax(spec[1:]) * 16000 / len(v)

    assert abs(peak_hz(audio) - peak_hz(x)) < 15


@pytest.mark.parametrize("factor", [0.9, 1.1, 0.95, 1.05])
@pytest.mark.parametrize("n", [1, 7, 16000, 19665, 48949])
def test_counts_follow_timing(factor, n):
    rec = Recording("r", [], 16000, n, n / 16000)
    assert rec.perturb_speed(factor).num_samples == perturb_num_samples(n, factor)
    assert rec.perturb_tempo(factor).num_samples == perturb_num_samples(n, factor)
    assert rec.perturb_speed(factor).id == f"r_sp{factor}"
    assert rec.perturb_tempo(factor, affix_id=False).id == "r"
    assert rec.perturb_volume(factor).num_samples == n


def test_counts_equal_lhotse(fixtures_dir):
    lhotse = pytest.importorskip("lhotse")
    path = fixtures_dir / "ljspeech/storage/LJ002-0035.wav"
    ours, theirs = Recording.from_file(path), lhotse.Recording.from_file(path)
    for op, arg in [
        ("perturb_speed", 0.9),
        ("perturb_speed", 1.1),
        ("perturb_tempo", 1.1),
        ("resample", 16000),
        ("resample", 8000),
        ("perturb_volume", 2.0),
    ]:
        a, b = getattr(ours, op)(arg), getattr(theirs, op)(arg)
        assert a.to_dict() == b.to_dict()
        # lhotse reads our serialized transforms
        back = lhotse.Recording.from_dict(json.loads(json.dumps(a.to_dict())))
        assert back.num_samples == a.num_samples and back.transforms == b.transforms
    chain = ours.resample(16000).perturb_speed(1.1).perturb_volume(0.3)
    assert chain.load_audio().shape == (1, chain.num_samples)
    assert (
        chain.to_dict() == theirs.resample(16000).perturb_speed(1.1).perturb_volume(0.3).to_dict()
    )


def test_transform_registry_and_pickle(fixtures_dir):
    rir = Recording.from_file(fixtures_dir / "rir/sim_1ch.wav")
    for t in [
        Speed(1.1),
        Tempo(0.9),
        Volume(0.5),
        Resample(16000, 8000),
        ReverbWithImpulseResponse(rir=rir),
    ]:
        d = t.to_dict()
        assert AudioTransform.from_dict(json.loads(json.dumps(d))) == t
        assert pickle.loads(pickle.dumps(t)) == t
    with pytest.raises(UnknownTransformError, match="PitchShift"):
        AudioTransform.from_dict({"name": "PitchShift", "kwargs": {}})


def test_reverb_rir_path_prefix(fixtures_dir, transformed):
    d, rec = transformed["9002-501-0007_rvb"]
    assert rec.transforms[0].rir.sources[0].source == str(fixtures_dir / "rir/sim_1ch.wav")
    assert Recording.from_dict(d).transforms[0].rir.sources[0].source == "rir/sim_1ch.wav"
