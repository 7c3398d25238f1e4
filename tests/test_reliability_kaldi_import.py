"""load_kaldi_data_dir reports every inconsistency at once and never leaves orphan supervisions."""

import shutil

import pytest

from nuptse.kaldi import KaldiFormatError, load_kaldi_data_dir


@pytest.fixture
def data_dir(fixtures_dir, tmp_path):
    out = tmp_path / "data"
    shutil.copytree(fixtures_dir / "mini_librispeech", out)
    return out


def _lines(path):
    return path.read_text().splitlines()


def test_consistent_dir_imports(data_dir):
    recs, sups, _ = load_kaldi_data_dir(data_dir, sampling_rate=16000)
    assert len(sups) == len(_lines(data_dir / "segments"))


def test_missing_and_extra_entries_are_all_reported(data_dir):
    spk = _lines(data_dir / "utt2spk")
    text = _lines(data_dir / "text")
    missing_spk = spk[0].split()[0]
    missing_text = text[1].split()[0]
    (data_dir / "utt2spk").write_text("\n".join(spk[1:] + ["ghost-utt spk9"]) + "\n")
    (data_dir / "text").write_text("\n".join(text[:1] + text[2:] + ["other-ghost HELLO"]) + "\n")
    with pytest.raises(KaldiFormatError) as err:
        load_kaldi_data_dir(data_dir, sampling_rate=16000)
    msg = str(err.value)
    assert "4 inconsistencies" in msg
    for needle in (missing_spk, missing_text, "ghost-utt", "other-ghost"):
        assert needle in msg
    assert "utt2spk" in msg and "text" in msg


def test_segments_on_unknown_recordings_are_all_reported(data_dir):
    seg = _lines(data_dir / "segments")
    bad = [line.split() for line in seg[:2]]
    for b in bad:
        b[1] = "no-such-rec-" + b[0]
    (data_dir / "segments").write_text("\n".join([" ".join(b) for b in bad] + seg[2:]) + "\n")
    with pytest.raises(KaldiFormatError) as err:
        load_kaldi_data_dir(data_dir, sampling_rate=16000)
    assert "no-such-rec-" + bad[0][0] in str(err.value)
    assert "no-such-rec-" + bad[1][0] in str(err.value)
    assert "line 1" in str(err.value) and "line 2" in str(err.value)


def test_unreadable_wav_drops_its_supervisions(fixtures_dir, tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    wavs = {f"r{i}": fixtures_dir / "mono_c0.wav" for i in range(5)}
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really audio")
    wavs["r5"] = broken
    (out / "wav.scp").write_text("".join(f"{k} {v}\n" for k, v in wavs.items()))
    (out / "segments").write_text("".join(f"{k}-u {k} 0.0 0.2\n" for k in wavs))
    (out / "utt2spk").write_text("".join(f"{k}-u s1\n" for k in wavs))
    (out / "text").write_text("".join(f"{k}-u HI\n" for k in wavs))
    recs, sups, _ = load_kaldi_data_dir(out, sampling_rate=8000, use_reco2dur=False)
    assert "r5" not in [r.id for r in recs]
    assert sorted(s.recording_id for s in sups) == [f"r{i}" for i in range(5)]
    rec_ids = {r.id for r in recs}
    assert all(s.recording_id in rec_ids for s in sups)


def test_non_utf8_text_names_file_and_line(data_dir):
    lines = (data_dir / "text").read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].rstrip(b"\n") + b" caf\xe9\n"
    (data_dir / "text").write_bytes(b"".join(lines))
    with pytest.raises(KaldiFormatError, match="line 3.*UTF-8"):
        load_kaldi_data_dir(data_dir, sampling_rate=16000)


def test_byte_order_mark_is_not_part_of_the_first_id(data_dir):
    wav = (data_dir / "wav.scp").read_bytes()
    (data_dir / "wav.scp").write_bytes(b"\xef\xbb\xbf" + wav)
    recs, _, _ = load_kaldi_data_dir(data_dir, sampling_rate=16000)
    assert all(not r.id.startswith("\ufeff") for r in recs)
