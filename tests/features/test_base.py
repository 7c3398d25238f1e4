"""Extractor registry and YAML, the storing pipelines, FeatureSetBuilder, stats and FeatureMixer."""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import shutil
import subprocess
import sys

import numpy as np
import pytest

from nuptse.audio import Recording
from nuptse.features.base import (
    FeatureExtractor,
    Features,
    FeatureSet,
    FeatureSetBuilder,
    StatsAccumulator,
    TorchaudioFeatureExtractor,
    UnknownFeatureExtractorError,
    compute_global_stats,
    create_default_feature_extractor,
    get_extractor_type,
    register_extractor,
    store_feature_array,
)
from nuptse.features.io import LilcomChunkyReader, LilcomChunkyWriter, NumpyFilesWriter

UTTS = ["9001-500-0005", "9002-501-0005", "9003-502-0005"]


def _flac_path(fixtures_dir, utt):
    spk, chapter, _ = utt.split("-")
    return fixtures_dir / "mini_corpus" / "dev-clean-2" / spk / chapter / f"{utt}.flac"


# --- a user's own extractor ------------------------------------------------------------------


@dataclasses.dataclass
class FrameEnergyConfig:
    frame_shift: float = 0.01
    sampling_rate: int = 16000
    log: bool = True
    floor: float = 1e-10


@register_extractor
class FrameEnergy(FeatureExtractor):
    """Log energy of non-overlapping frames: a minimal user extractor."""

    name = "test-frame-energy"
    config_type = FrameEnergyConfig

    @property
    def frame_shift(self):
        return self.config.frame_shift

    def feature_dim(self, sampling_rate):
        return 1

    def extract(self, samples, sampling_rate):
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        hop = int(self.config.frame_shift * sampling_rate)
        n = (len(x) + hop // 2) // hop
        x = np.pad(x, (0, n * hop - len(x))) if n * hop > len(x) else x[: n * hop]
        e = (x.reshape(n, hop) ** 2).sum(axis=1, keepdims=True) + self.config.floor
        return np.log(e) if self.config.log else e

    @staticmethod
    def mix(features_a, features_b, energy_scaling_factor_b):
        return np.log(np.exp(features_a) + energy_scaling_factor_b * np.exp(features_b))

    @staticmethod
    def compute_energy(features):
        return float(np.sum(np.exp(features)))


def test_registry_knows_builtins_and_user_extractors():
    from nuptse.features.kaldi.extractors import Fbank, Mfcc, Spectrogram

    assert get_extractor_type("kaldi-fbank") is Fbank
    assert get_extractor_type("kaldi-mfcc") is Mfcc
    assert get_extractor_type("kaldi-spectrogram") is Spectrogram
    assert get_extractor_type("test-frame-energy") is FrameEnergy
    ex = create_default_feature_extractor("test-frame-energy")
    assert isinstance(ex, FrameEnergy) and ex.config == FrameEnergyConfig()


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="kaldi-fbank") as err:
        get_extractor_type("no-such-features")
    assert isinstance(err.value, UnknownFeatureExtractorError)
    assert "no-such-features" in str(err.value)


def test_user_extractor_round_trips_through_yaml(tmp_path):
    ex = FrameEnergy(FrameEnergyConfig(frame_shift=0.02, log=False))
    ex.to_yaml(tmp_path / "fe.yml")
    text = (tmp_path / "fe.yml").read_text()
    assert "feature_type: test-frame-energy" in text
    back = FeatureExtractor.from_yaml(tmp_path / "fe.yml")
    assert type(back) is FrameEnergy and back.config == ex.config
    assert FeatureExtractor.from_dict(ex.to_dict()).config == ex.config


def test_config_type_is_checked():
    from nuptse.features.kaldi.extractors import Fbank, MfccConfig

    with pytest.raises(TypeError, match="FbankConfig"):
        Fbank(MfccConfig())


def test_a_yaml_without_feature_type_is_a_clear_error(tmp_path):
    (tmp_path / "x.yml").write_text("num_filters: 40\n")
    with pytest.raises(ValueError, match="feature_type"):
        FeatureExtractor.from_yaml(tmp_path / "x.yml")


def test_torchaudio_extractors_need_no_torchaudio():
    from nuptse.features.fbank import TorchaudioFbank, TorchaudioFbankConfig
    from nuptse.features.mfcc import TorchaudioMfcc

    assert issubclass(TorchaudioFbank, TorchaudioFeatureExtractor)
    for cls in (TorchaudioFbank, TorchaudioMfcc):
        cls()  # built on the Kaldi layers
    assert TorchaudioFbankConfig().to_dict()["num_mel_bins"] == 80
    assert isinstance(FeatureExtractor.from_dict({"feature_type": "fbank"}), TorchaudioFbank)


def test_importing_features_does_not_import_torch():
    code = (
        "import sys, nuptse.features, nuptse.features.base, nuptse.features.kaldi; "
        "from nuptse.features.base import FeatureSet, Features; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- storing pipelines ------------------------------------------------------------------------


def test_store_feature_array_returns_a_readable_key(tmp_path):
    arr = np.random.default_rng(1).normal(size=(7, 3)).astype(np.float32)
    with NumpyFilesWriter(tmp_path / "np") as w:
        k1 = store_feature_array(arr, w)
        k2 = store_feature_array(arr, w)
    assert k1 != k2
    from nuptse.features.io import NumpyFilesReader

    np.testing.assert_array_equal(NumpyFilesReader(tmp_path / "np").read(k1), arr)


def test_extract_from_recording_and_store(fixtures_dir, tmp_path):
    from nuptse.features.kaldi.extractors import Fbank

    rec = Recording.from_file(_flac_path(fixtures_dir, UTTS[0]))
    with LilcomChunkyWriter(tmp_path / "f") as w:
        f = Fbank().extract_from_recording_and_store(rec, w)
        part = Fbank().extract_from_recording_and_store(rec, w, offset=0.5, duration=0.5)
    assert f.recording_id == UTTS[0] and f.channels == [0]
    assert (f.num_frames, f.num_features, f.start, f.duration) == (123, 80, 0, rec.duration)
    assert f.storage_type == "lilcom_chunky" and f.storage_path.endswith(".lca")
    expected = np.load(
        fixtures_dir / "lhotse_written" / "expected_features" / f"numpy_files-{UTTS[0]}.npy"
    )
    np.testing.assert_allclose(f.load(), expected, atol=2**-6 + 1e-3)
    assert (part.start, part.duration, part.num_frames) == (0.5, 0.5, 50)


def test_extract_from_samples_and_store_with_augmentation(tmp_path):
    ex = FrameEnergy()
    samples = np.ones((1, 16000), dtype=np.float32)
    with NumpyFilesWriter(tmp_path / "np") as w:
        f = ex.extract_from_samples_and_store(
            samples, w, sampling_rate=16000, offset=2.0, channel=1, augment_fn=lambda x, sr: 2 * x
        )
    assert f.recording_id is None and f.channels == 1
    assert (f.start, f.duration, f.num_frames, f.num_features) == (2.0, 1.0, 100, 1)
    np.testing.assert_allclose(f.load(), np.log(np.full((100, 1), 4.0 * 160)), rtol=1e-6)


# --- FeatureSetBuilder ------------------------------------------------------------------------


@pytest.fixture
def corpus(fixtures_dir, tmp_path):
    """Three good recordings and one whose FLAC was cut off after the manifest was made."""
    recs = []
    for utt in UTTS:
        recs.append(Recording.from_file(_flac_path(fixtures_dir, utt)))
    bad_src = _flac_path(fixtures_dir, "9002-501-0006")
    bad = tmp_path / "bad.flac"
    shutil.copy(bad_src, bad)
    bad_rec = Recording.from_file(bad, recording_id="broken")
    data = bad.read_bytes()
    bad.write_bytes(data[: len(data) // 4])
    return recs[:2] + [bad_rec] + recs[2:]


@pytest.mark.parametrize("num_jobs", [1, 2])
def test_builder_skips_a_corrupt_recording_and_keeps_the_rest(
    fixtures_dir, tmp_path, corpus, num_jobs, caplog
):
    from nuptse.features.kaldi.extractors import Fbank

    out = tmp_path / f"feats{num_jobs}.jsonl.gz"
    with LilcomChunkyWriter(tmp_path / f"archive{num_jobs}") as storage:
        builder = FeatureSetBuilder(Fbank(), storage)
        with caplog.at_level(logging.WARNING, logger="nuptse.features.builder"):
            fs = builder.process_and_store_recordings(
                corpus, output_manifest=out, num_jobs=num_jobs
            )
    assert [f.recording_id for f in fs] == UTTS
    assert [f.channels for f in fs] == [0, 0, 0]
    assert [f.recording_id for f in builder.failed] == ["broken"]
    assert "broken" in caplog.text and "bad.flac" in builder.failed[0].reason
    assert FeatureSet.from_jsonl(out) == fs
    for f in fs:
        expected = np.load(
            fixtures_dir
            / "lhotse_written"
            / "expected_features"
            / f"numpy_files-{f.recording_id}.npy"
        )
        np.testing.assert_allclose(f.load(), expected, atol=2**-6 + 1e-3)


def test_builder_output_reads_in_lhotse(fixtures_dir, tmp_path):
    lhotse = pytest.importorskip("lhotse")
    from nuptse.features.kaldi.extractors import Fbank

    recs = [Recording.from_file(_flac_path(fixtures_dir, u)) for u in UTTS]
    with LilcomChunkyWriter(tmp_path / "a") as storage:
        fs = FeatureSetBuilder(Fbank(), storage).process_and_store_recordings(
            recs, output_manifest=tmp_path / "f.jsonl.gz", num_jobs=2
        )
    theirs = lhotse.load_manifest(tmp_path / "f.jsonl.gz")
    assert [f.recording_id for f in theirs] == UTTS
    for ours, their in zip(fs, theirs):
        np.testing.assert_array_equal(ours.load(), their.load())


def test_builder_applies_augment_fn_per_channel(fixtures_dir, tmp_path):
    rec = Recording.from_file(fixtures_dir / "stereo.wav")
    ex = FrameEnergy(FrameEnergyConfig(sampling_rate=8000))
    seen = []

    def augment(x, sr):
        seen.append((x.shape, sr))
        return x * 0.5

    with NumpyFilesWriter(tmp_path / "np") as storage:
        fs = FeatureSetBuilder(ex, storage, augment_fn=augment).process_and_store_recordings([rec])
    assert [f.channels for f in fs] == [0, 1]
    assert seen == [((1, 8000), 8000), ((1, 8000), 8000)]
    audio = rec.load_audio()
    for f, row in zip(fs, audio):
        np.testing.assert_allclose(f.load(), ex.extract(row * 0.5, 8000), rtol=1e-6)


# --- global stats -------------------------------------------------------------------------------


def test_compute_global_stats_matches_numpy(fixtures_dir, tmp_path):
    fs = FeatureSet.from_jsonl(
        fixtures_dir / "lhotse_written" / "features_numpy_files.jsonl.gz"
    ).with_path_prefix(fixtures_dir)
    stats = compute_global_stats(fs, storage_path=tmp_path / "s.pkl")
    frames = np.concatenate([f.load() for f in fs]).astype(np.float64)
    np.testing.assert_allclose(stats["norm_means"], frames.mean(axis=0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(stats["norm_stds"], frames.std(axis=0), rtol=1e-9)
    assert (tmp_path / "s.pkl").exists()
    assert StatsAccumulator.__module__ == "nuptse.features.stats"
    with pytest.raises(ValueError, match="empty"):
        compute_global_stats([])


# --- FeatureMixer -------------------------------------------------------------------------------


def _mixed_cut_tracks(fixtures_dir):
    with gzip.open(fixtures_dir / "lhotse_written" / "cuts_mixed_padded.jsonl.gz", "rt") as f:
        mix = json.loads(f.readline())
    assert mix["id"] == "mix-a-b-off0.5-snr10"
    return mix["tracks"]


def test_feature_mixer_reproduces_lhotse_mixed_features(fixtures_dir):
    from nuptse.features.kaldi.extractors import Fbank
    from nuptse.features.mixer import FeatureMixer

    tracks = _mixed_cut_tracks(fixtures_dir)
    feats = []
    for t in tracks:
        f = Features.from_dict(t["cut"]["features"]).with_path_prefix(fixtures_dir)
        feats.append(f.load(start=t["cut"]["start"], duration=t["cut"]["duration"]))
    # the same arrays through helper-2's reader directly
    reader = LilcomChunkyReader(fixtures_dir / "lhotse_written" / "feats_chunky.lca")
    np.testing.assert_array_equal(
        feats[0], reader.read(tracks[0]["cut"]["features"]["storage_key"])
    )

    mixer = FeatureMixer(Fbank(), feats[0], frame_shift=0.01)
    mixer.add_to_mix(
        feats[1], sampling_rate=16000, snr=tracks[1]["snr"], offset=tracks[1]["offset"]
    )
    expected = np.load(
        fixtures_dir / "lhotse_written" / "expected_features" / "mix-a-b-off0.5-snr10.npy"
    )
    assert mixer.mixed_feats.shape == expected.shape == (174, 80)
    assert mixer.mixed_feats.dtype == np.float32
    np.testing.assert_allclose(mixer.mixed_feats, expected, atol=1e-4)

    # the documented formula, written out
    a, b = feats[0].astype(np.float64), feats[1].astype(np.float64)
    g = np.exp(a).sum() / (np.exp(b).sum() * 10 ** (10 / 10))
    shifted = np.full((174, 80), -1000.0)
    shifted[50 : 50 + len(b)] = b
    padded_a = np.full((174, 80), -1000.0)
    padded_a[: len(a)] = a
    formula = np.log(np.maximum(1e-10, np.exp(padded_a) + g * np.exp(shifted)))
    np.testing.assert_allclose(mixer.mixed_feats, formula, atol=1e-4)


def test_feature_mixer_tracks_padding_and_errors():
    from nuptse.features.mixer import FeatureMixer

    base = np.zeros((4, 2), dtype=np.float32)
    mixer = FeatureMixer(FrameEnergy, base, frame_shift=0.01, padding_value=-50.0)
    mixer.add_to_mix(np.ones((2, 2), dtype=np.float32), sampling_rate=16000, offset=0.05)
    mixer.add_to_mix(np.zeros((0, 2), dtype=np.float32), sampling_rate=16000)  # ignored
    assert mixer.unmixed_feats.shape == (2, 7, 2)
    assert mixer.unmixed_feats[0, 4:].tolist() == [[-50.0, -50.0]] * 3
    assert mixer.unmixed_feats[1, :5].tolist() == [[-50.0, -50.0]] * 5
    assert mixer.gains == [1.0]
    with pytest.raises(ValueError, match="negative offset"):
        mixer.add_to_mix(base, sampling_rate=16000, offset=-0.1)
    with pytest.raises(ValueError, match="shape"):
        mixer.add_to_mix(np.zeros((3, 5), dtype=np.float32), sampling_rate=16000)


def test_feature_mixer_snr_gain_uses_reference_energy():
    from nuptse.features.mixer import FeatureMixer

    a = np.log(np.full((10, 1), 4.0))
    b = np.log(np.full((10, 1), 1.0))
    mixer = FeatureMixer(FrameEnergy, a, frame_shift=0.01)
    mixer.add_to_mix(b, sampling_rate=16000, snr=0.0)
    assert mixer.gains == [pytest.approx(4.0)]
    padded_ref = FeatureMixer(FrameEnergy, a, frame_shift=0.01, reference_energy=10.0)
    padded_ref.add_to_mix(b, sampling_rate=16000, snr=10.0)
    assert padded_ref.gains == [pytest.approx(0.1)]


def test_mfcc_cannot_be_mixed_in_the_feature_domain():
    import numpy as np

    from nuptse.features import FeatureMixer
    from nuptse.features.extractor import FeatureMixingNotSupportedError
    from nuptse.features.kaldi.extractors import Mfcc

    feats = np.zeros((10, 13), dtype=np.float32)
    with pytest.raises(ValueError, match="feature-domain mixing"):
        FeatureMixer(Mfcc(), feats, 0.01)  # lhotse's type; also a NotImplementedError
    assert issubclass(FeatureMixingNotSupportedError, NotImplementedError)
