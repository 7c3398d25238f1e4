"""lhotse's torchaudio-named extractors (``fbank``, ``mfcc``, ``spectrogram``) without torchaudio.

Checked against the float64 numpy transcription of Kaldi in
``kaldi_reference.py`` (torchaudio's ``compliance.kaldi`` functions compute
Kaldi's features with centred frames and FLT_EPSILON log floors).
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from nuptse.features import (
    TorchaudioFbank,
    TorchaudioFbankConfig,
    TorchaudioMfcc,
    TorchaudioMfccConfig,
    TorchaudioSpectrogram,
    TorchaudioSpectrogramConfig,
    create_default_feature_extractor,
)
from nuptse.features.extractor import FeatureExtractor

sys.path.insert(0, str(Path(__file__).parent))
import kaldi_reference as ref  # noqa: E402

sf = pytest.importorskip("soundfile")


@pytest.fixture(scope="module")
def speech(fixtures_dir):
    x, sr = sf.read(str(fixtures_dir / "ami/ES2011a.Headset-0-40s-46s.wav"), dtype="float32")
    return x[: sr * 2], sr


def test_fbank_equals_kaldi(speech):
    x, sr = speech
    ours = TorchaudioFbank(TorchaudioFbankConfig(num_mel_bins=40, use_energy=True)).extract(x, sr)
    want = ref.fbank(
        x.astype(np.float64),
        num_bins=40,
        high_freq=-400.0,
        use_energy=True,
        energy_floor=1e-10,
        snip_edges=False,
    )
    assert ours.dtype == np.float32 and ours.shape == want.shape == (200, 41)
    assert np.abs(ours - want).max() < 2e-3


def test_mfcc_equals_kaldi(speech):
    x, sr = speech
    ours = TorchaudioMfcc(TorchaudioMfccConfig()).extract(x, sr)
    want = ref.mfcc(x.astype(np.float64), high_freq=-400.0, use_energy=False, snip_edges=False)
    assert ours.shape == want.shape == (200, 13)
    assert np.abs(ours - want).max() < 5e-3


def test_spectrogram_equals_kaldi(speech):
    x, sr = speech
    ours = TorchaudioSpectrogram().extract(x, sr)
    want = ref.spectrogram(x.astype(np.float64), energy_floor=1e-10, snip_edges=False)
    assert ours.shape == want.shape == (200, 257)
    # Bins far below their frame's peak are dominated by float32 FFT rounding.
    loud = want > want.max(axis=1, keepdims=True) - 12
    assert np.abs(ours - want)[loud].max() < 2e-2
    assert TorchaudioSpectrogram().feature_dim(sr) == 257


def test_first_channel_min_duration_and_vtln(speech):
    x, sr = speech
    fe = TorchaudioFbank()
    two = np.stack([x, np.zeros_like(x)])
    np.testing.assert_array_equal(fe.extract(two, sr), fe.extract(x, sr))
    short = TorchaudioFbank(TorchaudioFbankConfig(min_duration=1.0))
    assert short.extract(x[:8000], sr).shape == (0, 80)
    with pytest.raises(ValueError, match="vtln_warp=0.9"):
        TorchaudioFbank(TorchaudioFbankConfig(vtln_warp=0.9)).extract(x, sr)


@pytest.mark.parametrize("name", ["fbank", "mfcc", "spectrogram"])
def test_registered_serializable_and_picklable(name, speech, tmp_path):
    x, sr = speech
    fe = create_default_feature_extractor(name)
    before = fe.extract(x[:4000], sr)  # builds the layer cache
    fe.to_yaml(tmp_path / "fe.yaml")
    again = FeatureExtractor.from_yaml(tmp_path / "fe.yaml")
    assert type(again) is type(fe) and again.config == fe.config
    clone = pickle.loads(pickle.dumps(fe))
    np.testing.assert_array_equal(clone.extract(x[:4000], sr), before)
    assert TorchaudioSpectrogramConfig.from_dict(TorchaudioSpectrogramConfig().to_dict())


def test_configs_serialize_like_lhotses():
    lhotse_features = pytest.importorskip("lhotse.features")
    for ours, theirs in [
        (TorchaudioFbankConfig, lhotse_features.TorchaudioFbankConfig),
        (TorchaudioMfccConfig, lhotse_features.TorchaudioMfccConfig),
        (TorchaudioSpectrogramConfig, lhotse_features.TorchaudioSpectrogramConfig),
    ]:
        assert list(ours().to_dict().items()) == list(theirs().to_dict().items())
    assert not isinstance(TorchaudioMfccConfig(), TorchaudioFbankConfig)
