"""Fbank / Mfcc / Spectrogram extractors: exactness, batching, configs and mixing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import soundfile as sf
import torch

from nuptse.features.base import FeatureExtractor
from nuptse.features.kaldi.extractors import (
    Fbank,
    FbankConfig,
    LogSpectrogram,
    LogSpectrogramConfig,
    Mfcc,
    MfccConfig,
    Spectrogram,
    SpectrogramConfig,
)
from nuptse.features.kaldi.layers import Wav2LogFilterBank, Wav2MFCC, Wav2Spec

UTTS = ["9001-500-0005", "9002-501-0005", "9003-502-0005"]


def _flac(fixtures_dir, utt: str) -> np.ndarray:
    spk, chapter, _ = utt.split("-")
    path = fixtures_dir / "mini_corpus" / "dev-clean-2" / spk / chapter / f"{utt}.flac"
    samples, sr = sf.read(path, dtype="float32")
    assert sr == 16000
    return samples


@pytest.fixture(scope="module")
def signals(fixtures_dir):
    return [_flac(fixtures_dir, u) for u in UTTS]


@pytest.fixture(scope="module")
def libri(fixtures_dir):
    samples, sr = sf.read(fixtures_dir / "libri" / "libri-1088-134315-0000.wav", dtype="float32")
    return samples


# --- exactness ---------------------------------------------------------------------------


@pytest.mark.parametrize("utt", UTTS)
def test_fbank_matches_lhotse_written_arrays(fixtures_dir, utt):
    expected = np.load(
        fixtures_dir / "lhotse_written" / "expected_features" / f"numpy_files-{utt}.npy"
    )
    feats = Fbank().extract(_flac(fixtures_dir, utt), 16000)
    assert feats.dtype == np.float32
    assert feats.shape == expected.shape
    np.testing.assert_allclose(feats, expected, atol=1e-3)


def _knf_frame_opts(opts):
    opts.frame_opts.dither = 0.0
    opts.frame_opts.snip_edges = False
    opts.frame_opts.samp_freq = 16000
    return opts


def test_fbank_matches_kaldi_native_fbank(libri):
    knf = pytest.importorskip("kaldi_native_fbank")
    opts = _knf_frame_opts(knf.FbankOptions())
    opts.mel_opts.num_bins = 40
    opts.mel_opts.low_freq = 20
    opts.mel_opts.high_freq = -400
    opts.energy_floor = 1e-10
    online = knf.OnlineFbank(opts)
    online.accept_waveform(16000, libri.tolist())
    online.input_finished()
    ref = np.stack([online.get_frame(i) for i in range(online.num_frames_ready)])
    ours = Fbank(FbankConfig(num_filters=40)).extract(libri, 16000)
    assert ours.shape == ref.shape == (1604, 40)
    np.testing.assert_allclose(ours, ref, atol=1e-3)


def test_fbank_matches_lhotse_libri_array(fixtures_dir, libri):
    expected = np.load(fixtures_dir / "lhotse_features" / "libri-1088-134315-0000.fbank40.npy")
    fbank = FeatureExtractor.from_yaml(
        fixtures_dir / "lhotse_features" / "libri-1088-134315-0000.fbank40.yml"
    )
    assert isinstance(fbank, Fbank) and fbank.config.num_filters == 40
    # lhotse stored this array lilcom-compressed: its error bound is 2**-6
    np.testing.assert_allclose(fbank.extract(libri, 16000), expected, atol=2**-6 + 1e-4)


def test_mfcc_matches_kaldi_native_fbank(libri):
    knf = pytest.importorskip("kaldi_native_fbank")
    opts = _knf_frame_opts(knf.MfccOptions())
    opts.mel_opts.num_bins = 23
    opts.mel_opts.low_freq = 20
    opts.mel_opts.high_freq = -400
    opts.num_ceps = 13
    opts.use_energy = False
    opts.energy_floor = 1e-10
    online = knf.OnlineMfcc(opts)
    online.accept_waveform(16000, libri.tolist())
    online.input_finished()
    ref = np.stack([online.get_frame(i) for i in range(online.num_frames_ready)])
    ours = Mfcc().extract(libri, 16000)
    assert ours.shape == ref.shape == (1604, 13)
    # c0 is large (sum of log energies); compare relative to each coefficient's range
    np.testing.assert_allclose(ours, ref, atol=2e-3, rtol=1e-4)


def test_spectrogram_through_kaldi_mel_banks_matches_kaldi_native_fbank(libri):
    """The power spectrum projected on Kaldi's mel banks gives knf's log-mel fbank."""
    knf = pytest.importorskip("kaldi_native_fbank")
    opts = _knf_frame_opts(knf.FbankOptions())
    opts.mel_opts.num_bins = 23
    opts.energy_floor = 1e-10
    online = knf.OnlineFbank(opts)
    x = libri[: 16000 * 3]
    online.accept_waveform(16000, x.tolist())
    online.input_finished()
    ref = np.stack([online.get_frame(i) for i in range(online.num_frames_ready)])
    banks = np.asarray(knf.MelBanks(opts.mel_opts, opts.frame_opts).get_matrix())  # (23, 257)
    power = Spectrogram().extract(x, 16000)
    assert power.shape == (300, 257)
    logmel = np.log(np.maximum(power[:, : banks.shape[1]] @ banks.T, np.finfo(np.float32).eps))
    np.testing.assert_allclose(logmel, ref, atol=1e-3)


@pytest.mark.parametrize(
    "extractor, layer",
    [
        (Fbank(), Wav2LogFilterBank()),
        (Mfcc(), Wav2MFCC()),
        (Spectrogram(), Wav2Spec(use_energy=False)),
    ],
)
def test_extractors_equal_their_layers(signals, extractor, layer):
    x = signals[0]
    expected = layer(torch.from_numpy(x)[None])[0].detach().numpy()
    np.testing.assert_array_equal(extractor.extract(x, 16000), expected)


def test_dims_and_frame_shift():
    assert Fbank().feature_dim(16000) == 80
    assert Fbank(FbankConfig(use_energy=True)).feature_dim(16000) == 81
    assert Mfcc().feature_dim(16000) == 13
    assert Spectrogram().feature_dim(16000) == 257
    assert LogSpectrogram().feature_dim(16000) == 257
    assert Fbank(FbankConfig(frame_shift=0.02)).frame_shift == 0.02
    x = np.zeros(16000, dtype=np.float32)
    assert Fbank(FbankConfig(use_energy=True)).extract(x, 16000).shape == (100, 81)


def test_wrong_sampling_rate_is_a_clear_error():
    with pytest.raises(ValueError, match="8000"):
        Fbank().extract(np.zeros(8000, dtype=np.float32), 8000)


def test_numpy_in_numpy_out_tensor_in_tensor_out(signals):
    fb = Fbank()
    x = signals[0]
    out_np = fb.extract(x, 16000)
    out_t = fb.extract(torch.from_numpy(x), 16000)
    assert isinstance(out_np, np.ndarray) and isinstance(out_t, torch.Tensor)
    np.testing.assert_array_equal(out_np, out_t.numpy())
    # float64 and (1, n) inputs are accepted
    np.testing.assert_array_equal(fb.extract(x.astype(np.float64)[None], 16000), out_np)


def test_tensor_input_keeps_gradients(signals):
    x = torch.from_numpy(signals[0][:4000].copy()).requires_grad_(True)
    Fbank().extract(x, 16000).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


# --- batches -----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Fbank, Mfcc, Spectrogram])
def test_extract_batch_list_equals_extract(signals, cls):
    ex = cls()
    batch = ex.extract_batch(signals, 16000)
    assert isinstance(batch, list) and len(batch) == 3
    for x, feats in zip(signals, batch):
        np.testing.assert_allclose(feats, ex.extract(x, 16000), atol=1e-4)


@pytest.mark.parametrize("cls", [Fbank, Mfcc, Spectrogram])
@pytest.mark.parametrize("as_torch", [True, False])
def test_extract_batch_padded_with_lengths(signals, cls, as_torch):
    ex = cls()
    lengths = [len(x) for x in signals]
    padded = np.zeros((3, max(lengths)), dtype=np.float32)
    for i, x in enumerate(signals):
        padded[i, : len(x)] = x
    if as_torch:
        batch = ex.extract_batch(torch.from_numpy(padded), 16000, lengths=torch.tensor(lengths))
        assert all(isinstance(b, torch.Tensor) for b in batch)
        batch = [b.numpy() for b in batch]
    else:
        batch = ex.extract_batch(padded, 16000, lengths=np.array(lengths))
        assert all(isinstance(b, np.ndarray) for b in batch)
    assert isinstance(batch, list) and len(batch) == 3
    for x, feats in zip(signals, batch):
        expected = ex.extract(x, 16000)
        assert feats.shape == expected.shape
        np.testing.assert_allclose(feats, expected, atol=1e-4, rtol=1e-5)


def test_extract_batch_equal_lengths_is_stacked(signals):
    ex = Fbank()
    arr = np.stack([s[:16000] for s in signals])
    out = ex.extract_batch(arr, 16000)
    assert isinstance(out, np.ndarray) and out.shape == (3, 100, 80)
    np.testing.assert_allclose(out[1], ex.extract(arr[1], 16000), atol=1e-5)
    single = ex.extract_batch([arr[0]], 16000)
    assert isinstance(single, list) and single[0].shape == (100, 80)
    assert ex.extract_batch(arr[0], 16000).shape == (100, 80)


def test_extract_batch_rejects_inconsistent_lengths(signals):
    with pytest.raises(ValueError, match="lengths"):
        Fbank().extract_batch(np.zeros((2, 100), dtype=np.float32), 16000, lengths=[100])


def test_default_extract_batch_of_base_class(signals):
    """An extractor without its own extract_batch extracts one by one."""

    @dataclasses.dataclass
    class Cfg:
        pass

    class Frames(FeatureExtractor):
        name = "test-frames"
        config_type = Cfg
        frame_shift = 0.01

        def extract(self, samples, sampling_rate):
            return np.asarray(samples)[: len(samples) // 160 * 160].reshape(-1, 160)

        def feature_dim(self, sampling_rate):
            return 160

    ex = Frames()
    out = ex.extract_batch([signals[0], signals[1]], 16000)
    assert [o.shape for o in out] == [(122, 160), (123, 160)]
    padded = np.zeros((2, 1600), dtype=np.float32)
    out = ex.extract_batch(padded, 16000, lengths=[1600, 1600])
    assert out.shape == (2, 10, 160)


# --- configs and YAML --------------------------------------------------------------------


def test_lhotse_yaml_files_load_into_defaults(fixtures_dir):
    fb = FeatureExtractor.from_yaml(fixtures_dir / "lhotse_written" / "fbank_config.yml")
    mf = FeatureExtractor.from_yaml(fixtures_dir / "lhotse_written" / "mfcc_config.yml")
    assert type(fb) is Fbank and fb.config == FbankConfig()
    assert type(mf) is Mfcc and mf.config == MfccConfig()


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (FbankConfig, "FbankConfig"),
        (MfccConfig, "MfccConfig"),
        (SpectrogramConfig, "SpectrogramConfig"),
        (LogSpectrogramConfig, "LogSpectrogramConfig"),
    ],
)
def test_config_fields_and_defaults_match_lhotse(ours, theirs):
    lhotse_ex = pytest.importorskip("lhotse.features.kaldi.extractors")
    theirs = getattr(lhotse_ex, theirs)
    assert {f.name for f in dataclasses.fields(ours)} == {
        f.name for f in dataclasses.fields(theirs)
    }
    assert dataclasses.asdict(ours()) == dataclasses.asdict(theirs())


@pytest.mark.parametrize(
    "extractor",
    [
        Fbank(FbankConfig(num_filters=40, dither=0.1)),
        Mfcc(MfccConfig(num_ceps=20, num_filters=30)),
        Spectrogram(SpectrogramConfig(use_fft_mag=True)),
    ],
)
def test_our_yaml_loads_in_lhotse_and_back(tmp_path, extractor):
    lhotse_base = pytest.importorskip("lhotse.features.base")
    path = tmp_path / "cfg.yml"
    extractor.to_yaml(path)
    theirs = lhotse_base.FeatureExtractor.from_yaml(path)
    assert theirs.name == extractor.name
    assert dataclasses.asdict(theirs.config) == dataclasses.asdict(extractor.config)
    path2 = tmp_path / "cfg2.yml"
    theirs.to_yaml(path2)
    back = FeatureExtractor.from_yaml(path2)
    assert type(back) is type(extractor) and back.config == extractor.config


def test_num_mel_bins_alias_and_unknown_field(tmp_path):
    assert FbankConfig(num_mel_bins=64).num_filters == 64
    assert "num_mel_bins" not in Fbank(FbankConfig(num_mel_bins=64)).to_dict()
    with pytest.raises(ValueError, match="no_such_field"):
        FeatureExtractor.from_dict({"feature_type": "kaldi-fbank", "no_such_field": 1})


def test_to_device_is_recorded_and_serialized(tmp_path):
    fb = Fbank()
    assert fb.device == "cpu"
    assert fb.to(torch.device("cpu")) is fb
    fb.to_yaml(tmp_path / "f.yml")
    assert FeatureExtractor.from_yaml(tmp_path / "f.yml").config.device == "cpu"


# --- feature-domain mixing ---------------------------------------------------------------


def _pair(signals, snr):
    n = min(len(signals[0]), len(signals[1]))
    a, b = signals[0][:n], signals[1][:n]
    amp = np.sqrt(np.mean(a**2) / (np.mean(b**2) * 10 ** (snr / 10)))  # waveform SNR gain
    return a, b, amp


@pytest.mark.parametrize("snr", [0.0, 10.0, 20.0])
def test_fbank_mix_matches_waveform_mix(signals, snr):
    """Documented tolerance: with the waveform's gain (energy x amp**2), the feature-domain
    mix keeps the total energy within 3 % and log-mel values within 0.3 on average."""
    fb = Fbank()
    a, b, amp = _pair(signals, snr)
    mixed = fb.mix(fb.extract(a, 16000), fb.extract(b, 16000), amp**2)
    expected = fb.extract(a + amp * b, 16000)
    assert abs(fb.compute_energy(mixed) / fb.compute_energy(expected) - 1) < 0.03
    assert np.abs(mixed - expected).mean() < 0.3


@pytest.mark.parametrize("snr", [0.0, 10.0, 20.0])
def test_spectrogram_mix_matches_waveform_mix(signals, snr):
    """Documented tolerance: total energy within 3 %, log power within 0.5 on average."""
    sp = Spectrogram()
    a, b, amp = _pair(signals, snr)
    mixed = sp.mix(sp.extract(a, 16000), sp.extract(b, 16000), amp**2)
    expected = sp.extract(a + amp * b, 16000)
    assert abs(sp.compute_energy(mixed) / sp.compute_energy(expected) - 1) < 0.03
    assert np.abs(np.log(mixed + 1e-10) - np.log(expected + 1e-10)).mean() < 0.5


@pytest.mark.parametrize("cls", [Fbank, Spectrogram])
def test_feature_domain_snr_is_exact_in_feature_energies(signals, cls):
    """The gain for an SNR makes the features' energy ratio exactly that SNR."""
    ex = cls()
    fa, fb_ = ex.extract(signals[0], 16000), ex.extract(signals[1], 16000)
    gain = ex.compute_energy(fa) / (ex.compute_energy(fb_) * 10 ** (10 / 10))
    scaled = ex.scale(fb_, gain)
    assert 10 * np.log10(ex.compute_energy(fa) / ex.compute_energy(scaled)) == pytest.approx(
        10.0, abs=1e-3
    )


def test_energy_is_never_zero():
    silent = np.full((10, 80), -1000.0, dtype=np.float32)
    assert Fbank.compute_energy(silent) > 0
    assert Spectrogram.compute_energy(np.zeros((10, 257), dtype=np.float32)) > 0
    assert LogSpectrogram.compute_energy(silent) > 0


def test_fbank_mix_of_a_signal_with_itself_adds_log2():
    f = np.random.default_rng(0).normal(size=(5, 80)).astype(np.float32)
    np.testing.assert_allclose(Fbank.mix(f, f, 1.0), f + np.log(2), atol=1e-5)
    np.testing.assert_allclose(Fbank.scale(f, 2.0), f + np.log(2), atol=1e-6)


def test_mfcc_cannot_be_mixed():
    with pytest.raises(NotImplementedError):
        Mfcc.mix(np.zeros((2, 13)), np.zeros((2, 13)), 1.0)
