"""nuptse.testing: dummy manifests and fixtures give lhotse's ids, fields and audio."""

import numpy as np
import pytest

from nuptse import CutSet, FeatureSet, RecordingSet, SupervisionSet
from nuptse.testing.dummies import (
    DummyManifest,
    as_lazy,
    dummy_alignment,
    dummy_cut,
    dummy_multi_channel_recording,
    dummy_multi_cut,
    dummy_recording,
    dummy_supervision,
    remove_spaces_from_segment_text,
)
from nuptse.testing.fixtures import RandomCutTestCase, random_cut_set


def test_ids_and_spans():
    assert dummy_recording(3).id == "dummy-recording-0003"
    sup = dummy_supervision(12, start=0.5, duration=2.0)
    assert (sup.id, sup.recording_id, sup.start, sup.duration) == (
        "dummy-segment-0012",
        "dummy-recording-0012",
        0.5,
        2.0,
    )
    cut = dummy_cut(7, duration=2.5)
    assert cut.id == "dummy-mono-cut-0007" and cut.recording.duration == 2.5
    assert cut.recording.num_samples == 40000
    mc = dummy_multi_cut(1, channel=[0, 2])
    assert mc.id == "dummy-multi-cut-0001" and mc.recording.channel_ids == [0, 2]


def test_alignment_pieces_share_the_duration():
    ali = dummy_alignment("abcdefg", start=1.0, duration=3.0)["subword"]
    assert [a.symbol for a in ali] == ["abc", "def", "g"]
    assert [a.start for a in ali] == [1.0, 2.0, 3.0]
    assert all(a.duration == 1.0 for a in ali)


@pytest.mark.parametrize("cls", [RecordingSet, SupervisionSet, FeatureSet, CutSet])
def test_dummy_manifest_and_as_lazy(cls):
    eager = DummyManifest(cls, begin_id=2, end_id=6)
    assert len(eager) == 4
    with as_lazy(eager) as lazy:
        assert lazy.is_lazy
        assert [x.id for x in lazy] == [x.id for x in eager]


def test_dummy_manifest_rejects_other_types():
    with pytest.raises(TypeError):
        DummyManifest(dict, begin_id=0, end_id=1)


def test_audio_with_data_is_a_1khz_tone():
    rec = dummy_recording(0, duration=0.5, with_data=True)
    audio = rec.load_audio()
    t = np.arange(8000)
    expected = np.sin(2 * np.pi * 1000 / 16000 * t)
    assert audio.shape == (1, 8000)
    # 16-bit quantisation plus the float32 phase error of sin(w * t) at t ~ 8000.
    np.testing.assert_allclose(audio[0], expected, atol=5e-4)


def test_multichannel_audio_channels_are_scaled():
    rec = dummy_multi_channel_recording(
        0, channel_ids=[0, 1], source_per_channel=True, with_data=True
    )
    audio = rec.load_audio()
    np.testing.assert_allclose(audio[1], audio[0] / 2, atol=2 / 32768)


def test_matches_lhotse_dummies():
    lhotse_dummies = pytest.importorskip("lhotse.testing.dummies")
    assert dummy_supervision(4).to_dict() == lhotse_dummies.dummy_supervision(4).to_dict()
    ours, theirs = (
        dummy_recording(2, with_data=True),
        lhotse_dummies.dummy_recording(2, with_data=True),
    )
    assert ours.sources[0].source == theirs.sources[0].source


def test_remove_spaces():
    sup = dummy_supervision(0, text="a b c")
    assert remove_spaces_from_segment_text(sup).text == "abc"
    assert sup.text == "a b c"


def test_random_cut_set_spans(deterministic_rng):
    cuts = random_cut_set(20)
    assert len(cuts) == 20
    for c in cuts:
        assert 0 <= c.start <= 5 and 3 <= c.duration <= 10


@pytest.mark.seed(5)
def test_deterministic_rng_uses_seed_marker(deterministic_rng):
    import random

    assert deterministic_rng == 5
    assert random.random() == __import__("random").Random(5).random()


class TestRandomCut(RandomCutTestCase):
    def test_cut_with_audio_and_supervision(self):
        cut = self.with_cut(
            sampling_rate=8000, num_samples=4000, features=False, supervision=True, alignment=True
        )
        assert cut.duration == 0.5
        assert cut.load_audio().shape == (1, 4000)
        assert cut.supervisions[0].alignment["subword"][0].symbol == "irr"

    def test_cut_with_features_and_custom_array(self):
        cut = self.with_cut(sampling_rate=16000, num_samples=8000, custom_field=True)
        feats = cut.load_features()
        assert feats.shape == (50, 80)  # 0.5 s at 10 ms, the default 80 mel bins
        indices = cut.load_codebook_indices()
        assert indices.shape == (50,) and indices.max() < 256
