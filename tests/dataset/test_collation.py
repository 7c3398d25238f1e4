"""Collation: padding values and directions, audio against soundfile, features against the stored arrays."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from nuptse.audio import AudioLoadingError
from nuptse.cut import LOG_EPSILON
from nuptse.dataset.collation import (
    TokenCollater,
    collate_audio,
    collate_custom_field,
    collate_features,
    collate_matrices,
    collate_vectors,
    read_audio_from_cuts,
)


def test_collate_vectors_pads_with_ignore_index_on_the_right_by_default():
    out = collate_vectors([np.array([1, 2, 3]), torch.tensor([7])])
    assert out.tolist() == [[1, 2, 3], [7, -100, -100]]


def test_collate_vectors_left_padding_and_custom_value():
    out = collate_vectors([torch.tensor([1.0, 2.0]), torch.tensor([5.0])], padding_value=0.5, pad_direction="left")
    assert out.tolist() == [[1.0, 2.0], [0.5, 5.0]]


def test_collate_vectors_rejects_other_shapes_and_directions():
    with pytest.raises(AssertionError):
        collate_vectors([torch.zeros(2, 2)])
    with pytest.raises(ValueError, match="pad_direction"):
        collate_vectors([torch.zeros(2)], pad_direction="both")
    with pytest.raises(AssertionError):
        collate_vectors([torch.zeros(2), torch.zeros(3)], matching_shapes=True)


def test_collate_matrices_pads_the_time_axis():
    out = collate_matrices([torch.ones(3, 2), torch.full((1, 2), 2.0)], padding_value=-1.0)
    assert out.shape == (2, 3, 2)
    assert out[1].tolist() == [[2.0, 2.0], [-1.0, -1.0], [-1.0, -1.0]]


def test_collate_audio_matches_soundfile_and_pads_with_zeros(cuts):
    audio, lens = collate_audio(cuts)
    ordered = list(cuts)
    assert audio.shape == (3, max(c.num_samples for c in ordered))
    assert lens.dtype == torch.int32
    for i, cut in enumerate(ordered):
        ref, sr = sf.read(cut.recording.sources[0].source, dtype="float32")
        assert sr == cut.sampling_rate
        assert int(lens[i]) == len(ref)
        np.testing.assert_array_equal(audio[i, : len(ref)].numpy(), ref)
        assert not audio[i, len(ref):].any()


@pytest.mark.parametrize("direction", ["left", "both"])
def test_collate_audio_directions(cuts, direction):
    audio, lens = collate_audio(cuts, pad_direction=direction)
    width = audio.shape[1]
    for i, cut in enumerate(cuts):
        ref, _ = sf.read(cut.recording.sources[0].source, dtype="float32")
        pad = width - len(ref)
        first = pad if direction == "left" else pad // 2
        np.testing.assert_array_equal(audio[i, first:first + len(ref)].numpy(), ref)


def test_collate_features_pads_with_log_epsilon(cuts_with_feats):
    feats, lens = collate_features(cuts_with_feats)
    for i, cut in enumerate(cuts_with_feats):
        stored = cut.load_features()
        assert int(lens[i]) == cut.num_frames == stored.shape[0]
        np.testing.assert_array_equal(feats[i, : stored.shape[0]].numpy(), stored)
        assert (feats[i, stored.shape[0]:] == LOG_EPSILON).all()


def test_collate_features_left(cuts_with_feats):
    feats, lens = collate_features(cuts_with_feats, pad_direction="left")
    for i, cut in enumerate(cuts_with_feats):
        n = int(lens[i])
        np.testing.assert_array_equal(feats[i, feats.shape[1] - n:].numpy(), cut.load_features())


def test_read_audio_from_cuts_drops_failures_and_filters_aux(cuts, audio_dir):
    bad = sorted(audio_dir.glob("*.flac"))[0]
    bad.write_bytes(b"not audio at all" * 100)
    seen = []
    audios, ok, aux = read_audio_from_cuts(
        cuts, suppress_errors=True, filter_aux_iter=[c.id for c in cuts],
        on_error=lambda cut, err: seen.append(cut.id),
    )
    assert len(audios) == len(ok) == len(aux) == 2
    assert aux == [c.id for c in ok]
    assert len(seen) == 1 and seen[0] not in aux
    with pytest.raises((AudioLoadingError, ValueError)):
        read_audio_from_cuts(cuts)


def test_collate_custom_field_scalars(cuts):
    cuts = cuts.map(lambda c: c.with_custom("label", len(c.id)))
    assert collate_custom_field(cuts, "label").tolist() == [len(c.id) for c in cuts]


def test_token_collater_round_trip(cuts):
    collater = TokenCollater(cuts)
    tokens, lens = collater(cuts)
    texts = [" ".join(s.text for s in c.supervisions) for c in cuts]
    assert lens.tolist() == [len(t) + 2 for t in texts]
    assert tokens.shape == (3, max(len(t) for t in texts) + 2)
    # The vocabulary holds the characters of each cut's first supervision;
    # others (here the letters of "SECOND") come back as <unk>.
    vocab = {ch for c in cuts for ch in c.supervisions[0].text}
    expected = ["".join(ch if ch in vocab else "<unk>" for ch in t) for t in texts]
    assert collater.inverse(tokens, lens) == expected
