"""kaldifeat-named extractors (on the Kaldi layers) and the optional-package extractors."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from nuptse.features import (
    S3PRLSSL,
    KaldifeatFbank,
    KaldifeatFbankConfig,
    KaldifeatMfcc,
    KaldifeatMfccConfig,
    OpenSmileConfig,
    OpenSmileExtractor,
    S3PRLSSLConfig,
)
from nuptse.features.extractor import FeatureExtractor
from nuptse.features.kaldifeat import KaldifeatFrameOptions, KaldifeatMelOptions

sys.path.insert(0, str(Path(__file__).parent))
import kaldi_reference as ref  # noqa: E402

sf = pytest.importorskip("soundfile")


@pytest.fixture(scope="module")
def speech(fixtures_dir):
    x, sr = sf.read(str(fixtures_dir / "ami/ES2011a.Headset-0-40s-46s.wav"), dtype="float32")
    return x[: sr * 2], sr


@pytest.mark.parametrize("snip_edges", [False, True])
def test_kaldifeat_fbank_equals_kaldi(speech, snip_edges):
    x, sr = speech
    cfg = KaldifeatFbankConfig(
        frame_opts=KaldifeatFrameOptions(snip_edges=snip_edges),
        mel_opts=KaldifeatMelOptions(num_bins=40),
        use_energy=True,
    )
    ours = KaldifeatFbank(cfg).extract(x, sr)
    want = ref.fbank(
        x.astype(np.float64),
        num_bins=40,
        high_freq=-400.0,
        use_energy=True,
        energy_floor=1e-10,
        snip_edges=snip_edges,
    )
    assert ours.shape == want.shape and KaldifeatFbank(cfg).feature_dim(sr) == 41
    assert np.abs(ours - want).max() < 2e-3


def test_kaldifeat_mfcc_batches_and_lists(speech):
    x, sr = speech
    fe = KaldifeatMfcc()
    one = fe.extract(x, sr)
    want = ref.mfcc(x.astype(np.float64), high_freq=-400.0, use_energy=False, snip_edges=False)
    assert one.shape == want.shape == (200, 13)
    assert np.abs(one - want).max() < 5e-3
    both = fe.extract([x, x[:8000]], sr)  # different lengths: a list
    assert isinstance(both, list) and both[1].shape == (50, 13)
    np.testing.assert_allclose(both[0], one, atol=1e-5)
    stacked = fe.extract(np.stack([x, x]), sr)
    assert stacked.shape == (2, 200, 13)
    padded = fe.extract_batch(np.stack([x, x]), sr, lengths=[32000, 8000])
    assert [p.shape[0] for p in padded] == [200, 50]
    with pytest.raises(ValueError, match="8000"):
        fe.extract(x, 8000)


def test_kaldifeat_configs_serialize_like_lhotse(tmp_path):
    cfg = KaldifeatMfccConfig()
    d = cfg.to_dict()
    assert d["frame_opts"]["samp_freq"] == 16000.0 and d["frame_opts"]["frame_shift_ms"] == 10.0
    assert d["mel_opts"]["num_bins"] == 23
    assert KaldifeatMfccConfig.from_dict(d) == cfg
    fe = KaldifeatFbank()
    fe.to_yaml(tmp_path / "fe.yaml")
    assert FeatureExtractor.from_yaml(tmp_path / "fe.yaml").config == fe.config
    lhotse_kf = pytest.importorskip("lhotse.features.kaldifeat")
    assert lhotse_kf.KaldifeatFbankConfig().to_dict() == KaldifeatFbankConfig().to_dict()
    assert lhotse_kf.KaldifeatMfccConfig().to_dict() == d


def test_unsupported_kaldifeat_options_are_named():
    with pytest.raises(ValueError, match="htk_compat"):
        KaldifeatFbank(KaldifeatFbankConfig(htk_compat=True))


@pytest.mark.skipif(importlib.util.find_spec("s3prl") is not None, reason="s3prl installed")
def test_s3prl_needs_its_package():
    assert S3PRLSSLConfig.from_dict(S3PRLSSLConfig().to_dict()).feature_dim == 1024
    with pytest.raises(ModuleNotFoundError, match="s3prl") as err:
        S3PRLSSL()
    assert err.value.name == "s3prl"


@pytest.mark.skipif(importlib.util.find_spec("opensmile") is not None, reason="installed")
def test_opensmile_needs_its_package():
    assert OpenSmileConfig.from_dict(OpenSmileConfig().to_dict()).feature_set == "ComParE_2016"
    with pytest.raises(ModuleNotFoundError, match="opensmile"):
        OpenSmileExtractor()
