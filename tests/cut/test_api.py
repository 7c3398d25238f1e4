"""lhotse 1.33's cut API on real audio: padding to frames, positions, context, masks,
windows, supervision merging, saving, in-memory data, lazy mixing, unmixing.

Numbers are checked against hand computations, numpy, or lhotse itself where installed.
"""

import inspect

import numpy as np
import pytest

from nuptse.cut import CutSet, MixedCut, MonoCut, PaddingCut
from nuptse.supervision import AlignmentItem, SupervisionSegment


@pytest.fixture
def c370(fixture_cuts):
    return fixture_cuts["9001-500-0002-2"]  # 3.7045 s, 370 frames of 10 ms, 16 kHz


@pytest.fixture
def short(fixture_cuts):
    return fixture_cuts["9001-500-0005-5"]  # 1.2290625 s


def _lhotse_cut(cut):
    lhotse = pytest.importorskip("lhotse")
    return lhotse.MonoCut.from_dict(cut.to_dict())


# --- padding to a frame count -----------------------------------------------------------------


def test_pad_to_frames_gives_exactly_that_many_frames_duration(c370):
    assert c370.num_frames == 370
    padded = c370.pad(num_frames=418)
    assert padded.duration == 4.18  # 418 * 0.01, not 3.7045 + 0.48
    assert padded.num_frames == 418
    assert padded.num_samples == 4.18 * 16000
    assert padded.load_features().shape == (418, c370.num_features)
    audio = padded.load_audio()
    assert audio.shape == (1, 66880)
    np.testing.assert_array_equal(audio[:, : c370.num_samples], c370.load_audio())
    assert not audio[:, c370.num_samples :].any()


def test_pad_to_frames_matches_lhotse(c370):
    ref = _lhotse_cut(c370).pad(num_frames=418)
    ours = c370.pad(num_frames=418)
    assert (ours.duration, ours.num_frames, ours.num_samples) == (
        ref.duration,
        ref.num_frames,
        ref.num_samples,
    )


def test_pad_to_fewer_frames_is_a_no_op(c370):
    assert c370.pad(num_frames=370) is c370


# --- positions ------------------------------------------------------------------------------


def test_positional_access_on_eager_and_lazy_sets(fixture_cuts, tmp_path):
    ids = [c.id for c in fixture_cuts]
    assert fixture_cuts[0].id == ids[0] and fixture_cuts[-1].id == ids[-1]
    assert [c.id for c in fixture_cuts[2:5]] == ids[2:5]
    path = tmp_path / "cuts.jsonl.gz"
    fixture_cuts.to_file(path)
    lazy = CutSet.from_jsonl_lazy(path)
    assert lazy[3].id == ids[3]
    with pytest.raises(Exception) as e:
        _ = lazy[:2]
    assert "slice" in str(e.value) and "subset" in str(e.value)


def test_duplicate_ids_are_kept_in_order(short):
    cuts = CutSet.from_cuts([short, short.with_id("other"), short])
    assert len(cuts) == 3 and [c.id for c in cuts] == [short.id, "other", short.id]
    assert cuts[2] is short and cuts[short.id] is short
    assert len(cuts + cuts) == 6
    assert [c.id for c in cuts.repeat(2, preserve_id=True).to_eager()][:4] == [
        short.id,
        "other",
        short.id,
        short.id,
    ]


# --- context, masks, windows ----------------------------------------------------------------


def test_extend_by_takes_real_context_then_pads_silence(fixture_cuts, c370):
    middle = c370.truncate(offset=1.0, duration=1.0)
    ext = middle.extend_by(duration=0.5, direction="both", preserve_id=True)
    assert (ext.start, ext.duration) == (0.5, 2.0)
    np.testing.assert_array_equal(ext.load_audio(), c370.load_audio()[:, 8000:40000])
    assert ext.supervisions[0].start == c370.supervisions[0].start - 0.5
    # past the recording's end: silence is padded (or not, with pad_silence=False)
    tail = c370.truncate(offset=3.0)
    padded = tail.extend_by(duration=1.0, direction="right")
    assert isinstance(padded, MixedCut) and padded.duration == pytest.approx(1.7045)
    audio = padded.load_audio()
    np.testing.assert_array_equal(audio[:, : tail.num_samples], tail.load_audio())
    assert not audio[:, tail.num_samples :].any()
    capped = tail.extend_by(duration=1.0, direction="right", pad_silence=False)
    assert capped.end == c370.recording.duration


def test_extend_by_matches_lhotse(c370):
    middle = c370.truncate(offset=1.0, duration=1.0, preserve_id=True)
    ref = _lhotse_cut(middle).extend_by(duration=3.0, direction="both", preserve_id=True)
    ours = middle.extend_by(duration=3.0, direction="both", preserve_id=True)
    assert type(ours).__name__ == type(ref).__name__
    assert (ours.duration, ours.num_samples) == (ref.duration, ref.num_samples)
    np.testing.assert_array_equal(ours.load_audio(), ref.load_audio())


def test_supervision_masks_cover_exactly_the_supervised_samples(short):
    sups = [
        SupervisionSegment("s1", short.recording_id, 0.1, 0.3, speaker="A"),
        SupervisionSegment("s2", short.recording_id, 0.25, 0.5, speaker="B"),
    ]
    cut = short.copy(supervisions=sups)
    mask = cut.supervisions_audio_mask()
    expected = np.zeros(short.num_samples, dtype=np.float32)
    expected[1600:12000] = 1  # 0.1 s .. 0.75 s at 16 kHz
    np.testing.assert_array_equal(mask, expected)
    frames = cut.supervisions_feature_mask()
    assert frames.shape == (123,) and frames.sum() == 65 and frames[10:75].all()
    spk = cut.speakers_audio_mask()
    assert spk.shape == (2, short.num_samples)
    assert spk[0].sum() == 4800 and spk[1].sum() == 8000
    words = cut.supervisions_audio_mask(use_alignment_if_exists="word")  # none: spans used
    np.testing.assert_array_equal(words, expected)


def test_windows_balanced_minimise_the_last_window(fixture_cuts):
    long = fixture_cuts["9002-501-0006-14"]  # 7.8369375 s
    wins = long.cut_into_windows_balanced(min_duration=2, max_duration=4)
    # 2 s windows leave 1.8369 s, 3 s ones 1.8369 s, 4 s ones 3.8369 s: 4 s wins
    assert [w.duration for w in wins] == [4.0, pytest.approx(3.8369375)]
    assert all(w.source_cut_id == long.id and w.source_cut_start == 0 for w in wins)
    assert long.cut_into_windows_balanced(2, 10)[0] is long


def test_trim_to_alignments_and_groups(c370):
    words = c370.trim_to_alignments("word")
    symbols = [s.symbol for s in c370.supervisions[0].alignment["word"] if s.symbol]
    assert [c.supervisions[0].text for c in words] == [""] + symbols
    joined = c370.trim_to_alignments("word", max_pause=0.5)
    assert len(joined) == 1 and joined[0].supervisions[0].text.strip() == " ".join(symbols)
    a, b = (
        SupervisionSegment("a", c370.recording_id, 0.0, 1.0),
        SupervisionSegment("b", c370.recording_id, 2.0, 1.0),
    )
    groups = c370.copy(supervisions=[a, b]).trim_to_supervision_groups(max_pause=0.5)
    assert [(g.id, g.start, g.duration) for g in groups] == [
        (f"{c370.id}-0.5-0", 0.0, 1.0),
        (f"{c370.id}-0.5-1", 2.0, 1.0),
    ]


def test_merge_and_fill_supervisions(c370):
    sups = [
        SupervisionSegment("a", c370.recording_id, 0.5, 1.0, text="HELLO", speaker="x"),
        SupervisionSegment("b", c370.recording_id, 2.0, 1.0, text="WORLD", speaker="y"),
    ]
    merged = c370.copy(supervisions=sups).merge_supervisions()
    (m,) = merged.supervisions
    assert (m.id, m.start, m.duration, m.text, m.speaker) == (
        "cat#a#b",
        0.5,
        2.5,
        "HELLO WORLD",
        "cat#x#y",
    )
    filled = c370.copy(supervisions=sups[:1]).fill_supervision()
    assert (filled.supervisions[0].start, filled.supervisions[0].duration) == (0, c370.duration)
    with pytest.raises(AssertionError):
        c370.copy(supervisions=sups).fill_supervision()
    sticking_out = [SupervisionSegment("c", c370.recording_id, -0.5, 1.0)]
    with pytest.raises(ValueError):
        c370.copy(supervisions=sticking_out).fill_supervision()


# --- data -----------------------------------------------------------------------------------


def test_save_audio_writes_the_cut_span(short, tmp_path):
    piece = short.truncate(offset=0.25, duration=0.5, preserve_id=True)
    saved = piece.save_audio(tmp_path / "piece.flac")
    assert saved.id == piece.id and saved.start == 0 and saved.recording.id == "piece"
    np.testing.assert_array_equal(saved.load_audio(), piece.load_audio())
    stored = CutSet.from_cuts([short, piece]).save_audios(tmp_path / "all", progress_bar=False)
    assert [c.id for c in stored] == [short.id, piece.id]
    np.testing.assert_array_equal(stored[1].load_audio(), piece.load_audio())


def test_move_to_memory_keeps_samples_and_placeholder_drops_them(short):
    piece = short.truncate(offset=0.25, duration=0.5)
    mem = piece.move_to_memory(audio_format="flac")
    assert mem.is_in_memory and mem.start == 0
    np.testing.assert_array_equal(mem.load_audio(), piece.load_audio())
    np.testing.assert_allclose(mem.load_features(), piece.load_features(), atol=0.05)
    dropped = mem.drop_in_memory_data()
    assert not dropped.is_in_memory and dropped.duration == piece.duration


def test_decompose_puts_supervisions_back_in_recording_time(c370):
    piece = c370.truncate(offset=1.0, duration=2.0)
    piece = piece.copy(supervisions=[SupervisionSegment("s", c370.recording_id, 0.5, 1.0)])
    recs, sups, feats = CutSet.from_cuts([piece]).decompose()
    assert [r.id for r in recs] == [c370.recording_id]
    assert (sups[0].start, sups[0].duration) == (1.5, 1.0)
    assert len(feats) == 1


# --- mixing ---------------------------------------------------------------------------------


def test_cut_set_mix_is_lazy_and_reproducible(fixture_cuts):
    speech = fixture_cuts.subset(first=4)
    noise = fixture_cuts.subset(last=3)
    mixed = speech.mix(noise, snr=10, seed=3)
    assert mixed.is_lazy and len(mixed) == 4

    def layout(cuts):  # ids are fresh uuids; what was mixed where is reproducible
        return [[(t.cut.recording_id, t.offset, t.snr) for t in c.tracks] for c in cuts]

    assert layout(speech.mix(noise, snr=10, seed=3)) == layout(speech.mix(noise, snr=10, seed=3))
    for orig, m in zip(speech, speech.mix(noise, snr=10, seed=3)):
        assert isinstance(m, MixedCut) and m.duration == orig.duration
        assert m.load_audio().shape == orig.load_audio().shape


def test_unmix_parts_add_up_to_the_mix(short, fixture_cuts):
    other = fixture_cuts["9002-501-0005-13"]
    m = short.mix(other, offset_other_by=0.3, snr=5, tag="noise")
    speech_part, noise_part = m.unmix(tag="noise")
    total = speech_part.load_audio() + noise_part.load_audio()
    np.testing.assert_allclose(total, m.load_audio(), atol=1e-6)
    assert [
        t.tag for t in noise_part.tracks if not t.mute and not isinstance(t.cut, PaddingCut)
    ] == ["noise"]


def test_mix_rejects_non_cuts_and_gaps(short):
    with pytest.raises(ValueError):
        short.mix(short.recording)
    with pytest.raises(ValueError):
        short.mix(short, offset_other_by=short.duration + 1.0)
    assert short.mix(short, offset_other_by=short.duration + 1.0, allow_padding=True).duration == (
        pytest.approx(2 * short.duration + 1.0)
    )


# --- signatures -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "pad",
        "mix",
        "extend_by",
        "cut_into_windows_balanced",
        "trim_to_alignments",
        "compute_and_store_features",
        "to_shar",
        "resample",
        "reverb_rir",
    ],
)
def test_cut_set_methods_have_explicit_signatures(name):
    params = inspect.signature(getattr(CutSet, name)).parameters.values()
    assert not any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)
    assert len(params) > 1


def test_multicut_keeps_recording_when_selecting_channels(fixture_cuts):
    mono = next(iter(fixture_cuts))
    assert isinstance(mono, MonoCut)
    with pytest.raises(ValueError):
        mono.with_channels([0, 1])  # the recording has one channel
    assert AlignmentItem("a", 0.0, 1.0).end == 1.0


def test_eager_store_keeps_order_through_selections(fixture_cuts):
    import pickle
    import random

    cuts = CutSet.from_cuts(list(fixture_cuts)[:7])
    ids = [c.id for c in cuts]
    assert [len(p) for p in cuts.split(3)] == [3, 2, 2]
    assert [c.id for c in cuts.subset(last=2)] == ids[-2:]
    assert [c.id for c in cuts.subset(cut_ids=[ids[5], ids[1]])] == [ids[5], ids[1]]
    assert sorted(c.id for c in cuts.shuffle(random.Random(0))) == sorted(ids)
    assert [c.id for c in pickle.loads(pickle.dumps(cuts))] == ids
    assert (cuts + cuts).is_lazy and len((cuts + cuts).to_eager()) == 14


def test_windows_masks_and_alignment_pieces_match_lhotse(fixture_cuts, c370):
    long = fixture_cuts["9002-501-0006-14"]
    ref_long, ref_c = _lhotse_cut(long), _lhotse_cut(c370)
    ours = long.cut_into_windows_balanced(2, 4, overlap=0.5)
    theirs = ref_long.cut_into_windows_balanced(2, 4, overlap=0.5)
    assert [(c.id, c.start, c.duration) for c in ours] == [
        (c.id, c.start, c.duration) for c in theirs
    ]
    np.testing.assert_array_equal(c370.supervisions_audio_mask(), ref_c.supervisions_audio_mask())
    np.testing.assert_array_equal(
        c370.supervisions_feature_mask(use_alignment_if_exists="word"),
        ref_c.supervisions_feature_mask(use_alignment_if_exists="word"),
    )
    ours = c370.trim_to_alignments("word", max_pause=0.05, max_segment_duration=1.0)
    theirs = ref_c.trim_to_alignments("word", max_pause=0.05, max_segment_duration=1.0)
    assert [(c.id, c.start, c.duration, c.supervisions[0].text) for c in ours] == [
        (c.id, c.start, c.duration, c.supervisions[0].text) for c in theirs
    ]


def test_plots_draw_the_waveform_features_and_tracks(short, fixture_cuts, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda: None)
    ax = short.plot_audio()
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), short.load_audio()[0])
    assert short.plot_features().get_array().shape == (short.num_features, short.num_frames)
    m = short.mix(fixture_cuts["9002-501-0005-13"], offset_other_by=0.3, snr=5)
    assert len(m.plot_tracks_audio()) == 2 and len(m.plot_tracks_features()) == 2
    short.plot_alignment("word")
    plt.close("all")
