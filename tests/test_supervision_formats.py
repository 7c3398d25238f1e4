"""RTTM and CTM reading and writing, on the fixtures and on malformed input."""

from __future__ import annotations

import shutil

import pytest

from nuptse.supervision import (
    AlignmentItem,
    CtmParseError,
    RttmParseError,
    SupervisionSegment,
    SupervisionSet,
    read_ctm,
)
from nuptse.supervision.formats import format_time

# --- RTTM ---------------------------------------------------------------------------------


def read_turns(fixtures_dir):
    lines = (fixtures_dir / "mini_corpus/longform/dialogue.turns.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


def test_rttm_dialogue_matches_true_turns(fixtures_dir):
    sups = SupervisionSet.from_rttm(fixtures_dir / "mini_corpus/longform/dialogue.rttm")
    turns = read_turns(fixtures_dir)
    assert len(sups) == len(turns) == 20
    for i, (s, t) in enumerate(zip(sups, turns)):
        assert s.id == f"dialogue-{i:06d}"
        assert s.recording_id == "dialogue"
        assert s.channel == int(t["channel"])  # RTTM 1/2 -> 0/1
        assert s.speaker == t["speaker"]
        assert s.start == float(t["start"]) and s.duration == float(t["duration"])
    # the same turns as the lhotse-written supervisions (which use 0-indexed channels)
    written = SupervisionSet.from_file(fixtures_dir / "lhotse_written/supervisions.jsonl.gz")
    expected = [(s.start, s.duration, s.channel, s.speaker) for s in written.find("dialogue")]
    assert [(s.start, s.duration, s.channel, s.speaker) for s in sups] == expected


def test_rttm_channel_base_zero_matches_lhotse(fixtures_dir):
    lhotse = pytest.importorskip("lhotse")
    path = fixtures_dir / "mini_corpus/longform/dialogue.rttm"
    theirs = lhotse.SupervisionSet.from_rttm(path)
    ours = SupervisionSet.from_rttm(path, channel_base=0)
    assert [s.to_dict() for s in ours] == [s.to_dict() for s in theirs]
    assert {s.channel for s in ours} == {1, 2}


def test_rttm_iterable_of_paths_and_skips(tmp_path, fixtures_dir):
    shutil.copy(fixtures_dir / "mini_corpus/longform/dialogue.rttm", tmp_path / "ref_a.rttm")
    (tmp_path / "ref_b.rttm").write_text(
        ";; a comment\n"
        "\n"
        "SPKR-INFO other 1 <NA> <NA> <NA> unknown spkX <NA> <NA>\n"
        "SPEAKER other 1 1.000 0.000 <NA> <NA> spkX <NA> <NA>\n"
        "SPEAKER other 1 2.000 1.500 <NA> <NA> spkX <NA> <NA>\n"
    )
    sups = SupervisionSet.from_rttm(sorted(tmp_path.rglob("ref_*")))
    assert len(sups) == 21
    last = sups["other-000004"]  # line index 4 in its file
    assert (last.start, last.duration, last.channel, last.speaker) == (2.0, 1.5, 0, "spkX")
    single = SupervisionSet.from_rttm(str(tmp_path / "ref_b.rttm"))
    assert list(single.ids) == ["other-000004"]


@pytest.mark.parametrize(
    "line, message",
    [
        ("SPEAKER rec 1 0.5 1.0 <NA> <NA> spk <NA>", "expected 10 fields, found 9"),
        ("SPEAKER rec 1 0.5 1.0 <NA> <NA> spk <NA> <NA> extra", "found 11"),
        ("SPEAKER rec A 0.5 1.0 <NA> <NA> spk <NA> <NA>", "channel 'A' is not an integer"),
        ("SPEAKER rec 0 0.5 1.0 <NA> <NA> spk <NA> <NA>", "channel 0 is below 1"),
        ("SPEAKER rec 1 abc 1.0 <NA> <NA> spk <NA> <NA>", "onset 'abc' is not a number"),
        ("SPEAKER rec 1 -0.5 1.0 <NA> <NA> spk <NA> <NA>", "onset must be a finite number"),
        ("SPEAKER rec 1 0.5 -1.0 <NA> <NA> spk <NA> <NA>", "duration must be a finite number"),
        ("SPEAKER rec 1 0.5 nan <NA> <NA> spk <NA> <NA>", "duration must be a finite number"),
        ("SPEKAER rec 1 0.5 1.0 <NA> <NA> spk <NA> <NA>", "unknown RTTM record type 'SPEKAER'"),
    ],
)
def test_rttm_malformed_lines_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.rttm"
    path.write_text("SPEAKER rec 1 0.0 0.5 <NA> <NA> spk <NA> <NA>\n" + line + "\n")
    with pytest.raises(RttmParseError) as e:
        SupervisionSet.from_rttm(path)
    assert isinstance(e.value, ValueError)
    assert f"{path}, line 2" in str(e.value)
    assert message in str(e.value)
    assert e.value.line == 2 and e.value.path == str(path)


def test_rttm_same_recording_in_two_files(tmp_path):
    text = "SPEAKER rec 1 0.0 0.5 <NA> <NA> spk <NA> <NA>\n"
    (tmp_path / "a.rttm").write_text(text)
    (tmp_path / "b.rttm").write_text(text)
    with pytest.raises(RttmParseError, match="already made from"):
        SupervisionSet.from_rttm([tmp_path / "a.rttm", tmp_path / "b.rttm"])


# --- CTM reading --------------------------------------------------------------------------


def recording_1_segment() -> SupervisionSegment:
    return SupervisionSegment(
        "sup-1", "recording-1", 0.0, 0.5, text="transcript of the first segment"
    )


def test_ctm_without_scores(fixtures_dir):
    sups = SupervisionSet.from_segments(
        [recording_1_segment(), SupervisionSegment("sup-2", "recording-2", 0.0, 1.0)]
    )
    out = sups.with_alignment_from_ctm(fixtures_dir / "supervision.ctm")
    assert out["sup-1"].alignment["word"] == [
        AlignmentItem("transcript", 0.1, 0.08),
        AlignmentItem("of", 0.18, 0.02),
        AlignmentItem("the", 0.2, 0.03),
        AlignmentItem("first", 0.23, 0.07),
        AlignmentItem("segment", 0.3, 0.1),
    ]
    assert out["sup-2"].alignment == {"word": []}
    assert sups["sup-1"].alignment is None  # the input set is unchanged


def test_ctm_with_scores_and_type(fixtures_dir):
    sups = SupervisionSet.from_segments([recording_1_segment()])
    out = sups.with_alignment_from_ctm(
        fixtures_dir / "supervision_with_scores.ctm", type="token", verbose=True
    )
    items = out["sup-1"].alignment["token"]
    assert [i.score for i in items] == [0.9, 0.8, 0.85, 0.7, 0.98]
    assert [i.symbol for i in items] == ["transcript", "of", "the", "first", "segment"]
    # adding a second type keeps the first
    both = out.with_alignment_from_ctm(fixtures_dir / "supervision.ctm")
    assert set(both["sup-1"].alignment) == {"token", "word"}


def test_ctm_mini_corpus_matches_lhotse_written_alignments(fixtures_dir):
    written = SupervisionSet.from_file(fixtures_dir / "lhotse_written/supervisions.jsonl.gz")
    utts = written.filter(lambda s: s.recording_id != "dialogue")
    plain = utts.map(lambda s: s._copy(alignment=None))
    out = plain.with_alignment_from_ctm(
        fixtures_dir / "mini_corpus/alignments/mini_corpus.ctm", match_channel=True
    )
    assert len(out) == 24
    total = 0
    for s in out:
        expected = [i[:3] for i in utts[s.id].alignment["word"] if i.symbol]
        got = [i[:3] for i in s.alignment["word"]]
        assert [x[0] for x in got] == [x[0] for x in expected]
        assert all(
            abs(a[1] - b[1]) < 0.006 and abs(a[2] - b[2]) < 0.011 for a, b in zip(got, expected)
        )
        total += len(got)
    assert total == 243


@pytest.mark.parametrize("match_channel", [False, True])
def test_ctm_dialogue_overlaps_and_channels(fixtures_dir, match_channel):
    written = SupervisionSet.from_file(fixtures_dir / "lhotse_written/supervisions.jsonl.gz")
    turns = written.filter(lambda s: s.recording_id == "dialogue")
    out = turns.with_alignment_from_ctm(
        fixtures_dir / "mini_corpus/longform/dialogue.ctm", match_channel=match_channel
    )
    counts = {s.id: len(s.alignment["word"]) for s in out}
    if match_channel:
        # every word lands in exactly its own speaker's turn
        assert sum(counts.values()) == 177
        for s in out:
            assert " ".join(i.symbol for i in s.alignment["word"]) == s.text
    else:
        # during overlaps, the other speaker's words inside a turn are picked up too
        assert sum(counts.values()) > 177
        backchannel = out["dialogue-9001-010"]
        assert "REALLY" in [i.symbol for i in backchannel.alignment["word"]]
    lhotse = pytest.importorskip("lhotse")
    theirs = lhotse.SupervisionSet.from_segments(
        [lhotse.SupervisionSegment.from_dict(s.to_dict()) for s in turns]
    ).with_alignment_from_ctm(
        str(fixtures_dir / "mini_corpus/longform/dialogue.ctm"), match_channel=match_channel
    )
    assert {s.id: s.to_dict() for s in theirs} == {s.id: s.to_dict() for s in out}


def test_ctm_multichannel_segment_matches_any_of_its_channels(tmp_path):
    path = tmp_path / "x.ctm"
    path.write_text("rec 1 0.10 0.20 a\nrec 3 0.30 0.20 b\n")
    sups = SupervisionSet.from_segments([SupervisionSegment("s", "rec", 0.0, 1.0, channel=[0, 1])])
    out = sups.with_alignment_from_ctm(path, match_channel=True)
    assert [i.symbol for i in out["s"].alignment["word"]] == ["a"]


def test_ctm_lazy_set(tmp_path, fixtures_dir):
    path = tmp_path / "s.jsonl.gz"
    SupervisionSet.from_segments([recording_1_segment()]).to_file(path)
    lazy = SupervisionSet.from_jsonl_lazy(path)
    out = lazy.with_alignment_from_ctm(fixtures_dir / "supervision.ctm")
    assert len(out["sup-1"].alignment["word"]) == 5


@pytest.mark.parametrize(
    "line, message",
    [
        ("recording-1 0 0.10 0.08", "expected at least 5 fields"),
        ("recording-1 0 x 0.08 word", "start 'x' is not a number"),
        ("recording-1 0 0.10 -1 word", "duration must be a finite number"),
        ("recording-1 0 0.10 0.08 word high", "score 'high' is not a number"),
    ],
)
def test_ctm_malformed_lines_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.ctm"
    path.write_text(";; header\nrecording-1 0 0.00 0.05 ok\n" + line + "\n")
    sups = SupervisionSet.from_segments([recording_1_segment()])
    with pytest.raises(CtmParseError) as e:
        sups.with_alignment_from_ctm(path)
    assert f"{path}, line 3" in str(e.value) and message in str(e.value)


def test_ctm_non_integer_channel(tmp_path):
    path = tmp_path / "nist.ctm"
    path.write_text("recording-1 A 0.10 0.08 word\n")
    sups = SupervisionSet.from_segments([recording_1_segment()])
    assert len(sups.with_alignment_from_ctm(path)["sup-1"].alignment["word"]) == 1
    with pytest.raises(CtmParseError, match="line 1: channel 'A' is not an integer"):
        sups.with_alignment_from_ctm(path, match_channel=True)
    assert read_ctm(path)[0].channel == "A"


# --- CTM writing --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["supervision.ctm", "supervision_with_scores.ctm"])
def test_ctm_round_trip_is_byte_identical(tmp_path, fixtures_dir, name):
    sups = SupervisionSet.from_segments([recording_1_segment()])
    out = sups.with_alignment_from_ctm(fixtures_dir / name)
    path = tmp_path / "out.ctm"
    out.write_alignment_to_ctm(path)
    assert path.read_text() == (fixtures_dir / name).read_text()


def test_ctm_round_trip_mini_corpus(tmp_path, fixtures_dir):
    src = fixtures_dir / "mini_corpus/alignments/mini_corpus.ctm"
    written = SupervisionSet.from_file(fixtures_dir / "lhotse_written/supervisions.jsonl.gz")
    utts = written.filter(lambda s: s.recording_id != "dialogue")
    out = utts.with_alignment_from_ctm(src)
    path = tmp_path / "out.ctm"
    out.write_alignment_to_ctm(path)
    assert path.read_text() == src.read_text()


def test_ctm_round_trip_dialogue(tmp_path, fixtures_dir):
    src = fixtures_dir / "mini_corpus/longform/dialogue.ctm"
    written = SupervisionSet.from_file(fixtures_dir / "lhotse_written/supervisions.jsonl.gz")
    turns = written.filter(lambda s: s.recording_id == "dialogue")
    out = turns.with_alignment_from_ctm(src, match_channel=True)
    path = tmp_path / "out.ctm"
    out.write_alignment_to_ctm(path)
    # lines are grouped per turn when written, so compare as sorted lines
    ours = path.read_text().splitlines()
    key = lambda line: float(line.split()[2])  # noqa: E731
    assert sorted(ours, key=key) == src.read_text().splitlines()
    again = turns.with_alignment_from_ctm(path, match_channel=True)
    assert again == out


def test_ctm_written_by_us_reads_in_lhotse(tmp_path, fixtures_dir):
    lhotse = pytest.importorskip("lhotse")
    sups = SupervisionSet.from_segments([recording_1_segment()])
    out = sups.with_alignment_from_ctm(fixtures_dir / "supervision_with_scores.ctm")
    path = tmp_path / "out.ctm"
    out.write_alignment_to_ctm(path)
    theirs = lhotse.SupervisionSet.from_segments(
        [lhotse.SupervisionSegment.from_dict(recording_1_segment().to_dict())]
    ).with_alignment_from_ctm(str(path))
    assert [list(i) for i in theirs[0].alignment["word"]] == [
        list(i) for i in out["sup-1"].alignment["word"]
    ]


def test_ctm_writer_edge_cases(tmp_path):
    sups = SupervisionSet.from_segments(
        [
            SupervisionSegment(
                "a",
                "rec",
                0.0,
                3.0,
                channel=[2, 3],
                alignment={
                    "word": [
                        AlignmentItem("", 0.0, 0.2),  # silence: left out
                        AlignmentItem("PRECISE", 0.2, 0.329, 0.123456),
                    ]
                },
            ),
            SupervisionSegment("b", "rec", 3.0, 1.0),  # no alignment: skipped
            SupervisionSegment(
                "c", "rec", 4.0, 1.0, alignment={"phone": [AlignmentItem("p", 4, 1)]}
            ),
        ]
    )
    path = tmp_path / "out.ctm"
    sups.write_alignment_to_ctm(path)
    assert path.read_text() == "rec 2 0.20 0.329 PRECISE 0.123456\n"
    sups.write_alignment_to_ctm(path, type="phone")
    assert path.read_text() == "rec 0 4.00 1.00 p\n"
    bad = SupervisionSet.from_segments(
        [SupervisionSegment("a", "r", 0, 1, alignment={"word": [AlignmentItem("two words", 0, 1)]})]
    )
    with pytest.raises(ValueError, match="whitespace"):
        bad.write_alignment_to_ctm(tmp_path / "bad.ctm")


def test_format_time():
    assert format_time(0.1) == "0.10"
    assert format_time(1) == "1.00"
    assert format_time(0.329) == "0.329"
    assert format_time(3.0593125) == "3.0593125"
    assert float(format_time(1 / 3)) == pytest.approx(1 / 3, abs=1e-8)
