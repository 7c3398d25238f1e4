import shutil
from pathlib import Path

import pytest

from nuptse.recipes import prepare_librispeech
from nuptse.recipes.librispeech import CorpusFormatError, _flac_stream_info, parse_speakers


@pytest.fixture
def in_fixtures(fixtures_dir, monkeypatch):
    monkeypatch.chdir(fixtures_dir)
    return fixtures_dir


def _expected(fixtures_dir, name):
    from nuptse.serialization import load_dicts

    return [
        d
        for d in load_dicts(fixtures_dir / "lhotse_written" / name)
        if not d["id"].startswith("dialogue")
    ]


def test_matches_lhotse_written_manifests(in_fixtures):
    out = prepare_librispeech("mini_corpus", alignments_dir="mini_corpus/alignments", num_jobs=1)
    assert list(out) == ["dev-clean-2"]
    recs, sups = out["dev-clean-2"]["recordings"], out["dev-clean-2"]["supervisions"]
    assert [r.to_dict() for r in recs] == _expected(in_fixtures, "recordings.jsonl.gz")
    got = [s.to_dict() for s in sups]
    expected = _expected(in_fixtures, "supervisions.jsonl.gz")
    assert len(got) == 24
    assert got == expected


def test_without_speakers_file_has_no_gender_and_matches_lhotse(fixtures_dir, tmp_path):
    lhotse = pytest.importorskip("lhotse")
    corpus = tmp_path / "corpus"
    shutil.copytree(fixtures_dir / "mini_corpus" / "dev-clean-2", corpus / "dev-clean-2")
    ali = fixtures_dir / "mini_corpus" / "alignments"
    ours = prepare_librispeech(corpus, alignments_dir=ali)["dev-clean-2"]
    theirs = lhotse.recipes.prepare_librispeech(corpus, alignments_dir=ali)["dev-clean-2"]
    assert [s.to_dict() for s in ours["supervisions"]] == [
        s.to_dict() for s in sorted(theirs["supervisions"], key=lambda s: s.id)
    ]
    assert [r.to_dict() for r in ours["recordings"]] == [
        r.to_dict() for r in sorted(theirs["recordings"], key=lambda r: r.id)
    ]


def test_flac_header_fast_path_equals_recording_from_file(fixtures_dir):
    from nuptse.audio import Recording

    path = fixtures_dir / "mini_corpus/dev-clean-2/9002/501/9002-501-0003.flac"
    assert _flac_stream_info(path) == (16000, 1, 72524)
    out = prepare_librispeech(fixtures_dir / "mini_corpus")["dev-clean-2"]["recordings"]
    assert out["9002-501-0003"] == Recording.from_file(path, recording_id="9002-501-0003")
    assert _flac_stream_info(fixtures_dir / "mono_c0.wav") is None


def test_output_dir_written_and_reused(fixtures_dir, tmp_path):
    out = prepare_librispeech(fixtures_dir / "mini_corpus", output_dir=tmp_path, num_jobs=2)
    rec_path = tmp_path / "librispeech_recordings_dev-clean-2.jsonl.gz"
    sup_path = tmp_path / "librispeech_supervisions_dev-clean-2.jsonl.gz"
    assert rec_path.is_file() and sup_path.is_file()
    again = prepare_librispeech(fixtures_dir / "mini_corpus", output_dir=tmp_path)
    assert list(again["dev-clean-2"]["supervisions"]) == list(out["dev-clean-2"]["supervisions"])


def test_parallel_equals_serial(fixtures_dir):
    a = prepare_librispeech(fixtures_dir / "mini_corpus", num_jobs=1)["dev-clean-2"]
    b = prepare_librispeech(fixtures_dir / "mini_corpus", num_jobs=3)["dev-clean-2"]
    assert list(a["recordings"]) == list(b["recordings"])
    assert list(a["supervisions"]) == list(b["supervisions"])


def test_normalize_text_lower(fixtures_dir):
    sups = prepare_librispeech(fixtures_dir / "mini_corpus", normalize_text="lower")["dev-clean-2"][
        "supervisions"
    ]
    assert sups["9001-500-0000"].text == "the old lighthouse stood alone on the rocky point"


def test_speakers_file(fixtures_dir):
    assert parse_speakers(fixtures_dir / "mini_corpus" / "SPEAKERS.TXT") == {
        "9001": "M",
        "9002": "F",
        "9003": "M",
    }


def test_errors_name_the_file(fixtures_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        prepare_librispeech(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusFormatError, match="empty"):
        prepare_librispeech(tmp_path / "empty")
    corpus = tmp_path / "c"
    shutil.copytree(fixtures_dir / "mini_corpus" / "dev-clean-2", corpus / "dev-clean-2")
    ali = corpus / "dev-clean-2" / "9001" / "500" / "9001-500.alignment.txt"
    ali.write_text('9001-500-0000 ",A," "0.1,0.2"\n')
    with pytest.raises(CorpusFormatError, match=r"9001-500.alignment.txt, line 1: 3 tokens but 2"):
        prepare_librispeech(corpus)


def test_missing_audio_is_skipped(fixtures_dir, tmp_path):
    corpus = tmp_path / "c"
    shutil.copytree(fixtures_dir / "mini_corpus" / "dev-clean-2", corpus / "dev-clean-2")
    (corpus / "dev-clean-2/9001/500/9001-500-0003.flac").unlink()
    sups = prepare_librispeech(corpus, dataset_parts=["dev-clean-2"])["dev-clean-2"]["supervisions"]
    assert len(sups) == 23 and "9001-500-0003" not in sups


def test_paths_are_as_given(in_fixtures):
    recs = prepare_librispeech("mini_corpus")["dev-clean-2"]["recordings"]
    assert recs["9001-500-0000"].sources[0].source == str(
        Path("mini_corpus/dev-clean-2/9001/500/9001-500-0000.flac")
    )


def test_lhotse_reads_written_manifests(in_fixtures, tmp_path):
    lhotse = pytest.importorskip("lhotse")
    prepare_librispeech("mini_corpus", alignments_dir="mini_corpus/alignments", output_dir=tmp_path)
    sups = lhotse.load_manifest(tmp_path / "librispeech_supervisions_dev-clean-2.jsonl.gz")
    recs = lhotse.load_manifest(tmp_path / "librispeech_recordings_dev-clean-2.jsonl.gz")
    ref_sups = lhotse.load_manifest("lhotse_written/supervisions.jsonl.gz")
    ref_recs = lhotse.load_manifest("lhotse_written/recordings.jsonl.gz")
    assert list(sups) == [s for s in ref_sups if not s.id.startswith("dialogue")]
    assert list(recs) == [r for r in ref_recs if r.id != "dialogue"]
