import shutil

import numpy as np
import pytest

from nuptse.kaldi import (
    KaldiFormatError,
    export_to_kaldi,
    floor_duration_to_milliseconds,
    load_kaldi_data_dir,
    load_kaldi_text_mapping,
    read_kaldi_matrix_shape,
)
from nuptse.serialization import load_dicts

HAS_SOX = shutil.which("sox") is not None


def _dicts(manifest):
    return [x.to_dict() for x in manifest]


def _strip(d):
    return {k: v for k, v in d.items() if v is not None and k != "channel_ids"}


def _expected(fixtures_dir, name):
    return [_strip(d) for d in load_dicts(fixtures_dir / "lhotse_manifests" / name)]


def test_import_mini_librispeech_with_reco2dur(fixtures_dir):
    recs, sups, feats = load_kaldi_data_dir(
        fixtures_dir / "mini_librispeech", sampling_rate=16000, frame_shift=0.01
    )
    assert feats is None
    reco2dur = load_kaldi_text_mapping(
        fixtures_dir / "mini_librispeech" / "reco2dur", float_vals=True
    )
    assert {r.id: r.duration for r in recs} == reco2dur
    timing = ("duration", "num_samples")

    def untimed(ds):
        return [{k: v for k, v in d.items() if k not in timing} for d in ds]

    # lhotse's expected manifests were made by reading the audio (floored to ms);
    # reco2dur rounds some durations differently, everything else is equal.
    assert untimed(_strip(d) for d in _dicts(recs)) == untimed(
        _expected(fixtures_dir, "recordings.jsonl.gz")
    )
    assert untimed(_strip(d) for d in _dicts(sups)) == untimed(
        _expected(fixtures_dir, "supervisions.jsonl.gz")
    )
    assert recs["lbi-1272-135031-0000"].sources[0].type == "command"


def test_import_without_reco2dur_needs_permission(fixtures_dir):
    with pytest.raises(PermissionError, match="wav.scp"):
        load_kaldi_data_dir(
            fixtures_dir / "mini_librispeech", sampling_rate=16000, use_reco2dur=False
        )


@pytest.mark.skipif(not HAS_SOX, reason="sox is not installed")
def test_import_mini_librispeech_running_sox(fixtures_dir):
    recs, sups, _ = load_kaldi_data_dir(
        fixtures_dir / "mini_librispeech",
        sampling_rate=16000,
        frame_shift=0.01,
        map_string_to_underscores=None,
        use_reco2dur=False,
        allow_commands=True,
        num_jobs=2,
    )
    assert [_strip(d) for d in _dicts(recs)] == _expected(fixtures_dir, "recordings.jsonl.gz")
    assert [_strip(d) for d in _dicts(sups)] == _expected(fixtures_dir, "supervisions.jsonl.gz")


@pytest.mark.skipif(not HAS_SOX, reason="sox is not installed")
def test_command_audio_loads_with_sox(fixtures_dir):
    from nuptse.audio import allow_commands

    recs, _, _ = load_kaldi_data_dir(fixtures_dir / "mini_librispeech2", sampling_rate=16000)
    with allow_commands():
        audio = recs["lbi-6241-61943-0000"].load_audio()
    assert audio.shape == (1, 111200)


def test_import_with_feats_scp(fixtures_dir, monkeypatch):
    kaldiio = pytest.importorskip("kaldiio")
    monkeypatch.chdir(fixtures_dir / "mini_librispeech2")
    recs, sups, feats = load_kaldi_data_dir(".", sampling_rate=16000, frame_shift=0.01)
    assert recs["lbi-3536-23268-0000"].duration == 19.889999389648438
    assert recs["lbi-3536-23268-0000"].num_samples == 318240
    assert [(s.start, s.duration) for s in sups] == [(1.0, 19.87), (0.0, 6.93), (0.0, 9.69)]
    assert len(feats) == 3
    for f, s, offset in zip(feats, sups, (20, 25996, 35151)):
        assert f.type == "kaldi-fbank"
        assert f.num_features == 13
        assert f.storage_type == "kaldiio"
        assert f.storage_path == f"data/raw_mfcc_mini_librispeech2.1.ark:{offset}"
        assert f.storage_key == s.id
        assert (f.start, f.duration) == (s.start, s.duration)
        assert f.recording_id == s.recording_id
    assert [f.num_frames for f in feats] == [1987, 693, 969]
    for f in feats:
        ref = kaldiio.load_mat(f.storage_path)
        got = f.load()
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, ref, atol=1e-4)


def test_matrix_shape_from_header(fixtures_dir, monkeypatch):
    kaldiio = pytest.importorskip("kaldiio")
    monkeypatch.chdir(fixtures_dir / "mini_librispeech2")
    for offset in (20, 25996, 35151):
        spec = f"data/raw_mfcc_mini_librispeech2.1.ark:{offset}"
        assert read_kaldi_matrix_shape(spec) == kaldiio.load_mat(spec).shape


def test_uncompressed_matrix_shape(tmp_path):
    kaldiio = pytest.importorskip("kaldiio")
    ark = tmp_path / "m.ark"
    kaldiio.save_ark(str(ark), {"u1": np.ones((7, 3), dtype=np.float32)})
    with open(ark, "rb") as f:
        offset = f.read().index(b"\0B")
    assert read_kaldi_matrix_shape(f"{ark}:{offset}") == (7, 3)


def test_export_round_trip(fixtures_dir, tmp_path):
    recs, sups, _ = load_kaldi_data_dir(fixtures_dir / "mini_librispeech", sampling_rate=16000)
    export_to_kaldi(recs, sups, tmp_path / "data")
    for name in (
        "wav.scp",
        "segments",
        "text",
        "utt2spk",
        "spk2utt",
        "reco2dur",
        "utt2dur",
        "spk2gender",
    ):
        assert (tmp_path / "data" / name).is_file(), name
    recs2, sups2, _ = load_kaldi_data_dir(tmp_path / "data", sampling_rate=16000)
    assert list(recs2) == list(recs)
    assert list(sups2) == list(sups)
    # Sorted keys, as Kaldi requires.
    keys = [line.split()[0] for line in (tmp_path / "data" / "segments").read_text().splitlines()]
    assert keys == sorted(keys)


def test_export_wav_and_flac_files(fixtures_dir, tmp_path):
    from nuptse.audio import Recording, RecordingSet
    from nuptse.supervision import SupervisionSegment, SupervisionSet

    wav = Recording.from_file(fixtures_dir / "mono_c0.wav")
    flac = Recording.from_file(fixtures_dir / "mini_corpus/dev-clean-2/9001/500/9001-500-0000.flac")
    sups = SupervisionSet.from_items(
        [
            SupervisionSegment(id="a", recording_id=wav.id, start=0.0, duration=0.5, speaker="s1"),
            SupervisionSegment(id="b", recording_id=flac.id, start=0.1, duration=1.0, speaker="s2"),
        ]
    )
    export_to_kaldi(RecordingSet.from_items([wav, flac]), sups, tmp_path)
    scp = load_kaldi_text_mapping(tmp_path / "wav.scp")
    assert scp[wav.id] == str(fixtures_dir / "mono_c0.wav")
    assert scp[flac.id].startswith("ffmpeg") and scp[flac.id].endswith("|")
    assert (tmp_path / "segments").read_text().splitlines()[1] == f"b {flac.id} 0.1 1.1"


def test_export_multichannel(fixtures_dir, tmp_path):
    from nuptse.audio import Recording, RecordingSet
    from nuptse.supervision import SupervisionSegment, SupervisionSet

    rec = Recording.from_file(fixtures_dir / "stereo.wav")
    sups = SupervisionSet.from_items(
        [
            SupervisionSegment(
                id="u", recording_id=rec.id, start=0.0, duration=0.5, channel=[0, 1], speaker="s"
            )
        ]
    )
    export_to_kaldi(RecordingSet.from_items([rec]), sups, tmp_path)
    assert sorted(load_kaldi_text_mapping(tmp_path / "wav.scp")) == ["stereo_0", "stereo_1"]
    assert sorted(load_kaldi_text_mapping(tmp_path / "segments")) == ["u-0", "u-1"]


def test_map_string_to_underscores(fixtures_dir):
    _, sups, _ = load_kaldi_data_dir(
        fixtures_dir / "mini_librispeech", sampling_rate=16000, map_string_to_underscores="-"
    )
    s = sups["lbi_1272_135031_0000"]
    assert s.speaker == "lbi_1272_135031"
    assert s.recording_id == "lbi-1272-135031-0000"


def _copy_dir(fixtures_dir, tmp_path):
    d = tmp_path / "d"
    shutil.copytree(fixtures_dir / "mini_librispeech", d)
    return d


def test_malformed_lines_name_file_and_line(fixtures_dir, tmp_path):
    d = _copy_dir(fixtures_dir, tmp_path)
    lines = (d / "segments").read_text().splitlines()
    lines[2] = "lbi-1462-170142-0000 lbi-1462-170142-0000 0"
    (d / "segments").write_text("\n".join(lines) + "\n")
    with pytest.raises(KaldiFormatError, match=r"segments, line 3"):
        load_kaldi_data_dir(d, sampling_rate=16000)

    d = _copy_dir(fixtures_dir, tmp_path / "2")
    with open(d / "reco2dur", "a") as f:
        f.write("lbi-x ten\n")
    with pytest.raises(KaldiFormatError, match=r"reco2dur, line 39: .*not a number"):
        load_kaldi_data_dir(d, sampling_rate=16000)

    d = _copy_dir(fixtures_dir, tmp_path / "3")
    with open(d / "utt2spk", "a") as f:
        f.write("lonely\n")
    with pytest.raises(KaldiFormatError, match=r"utt2spk, line 39"):
        load_kaldi_data_dir(d, sampling_rate=16000)

    d = _copy_dir(fixtures_dir, tmp_path / "4")
    with open(d / "segments", "a") as f:
        f.write("extra no-such-recording 0 1\n")
    with pytest.raises(KaldiFormatError, match=r"segments, line 39: recording 'no-such-recording'"):
        load_kaldi_data_dir(d, sampling_rate=16000)


def test_missing_wav_scp(tmp_path):
    with pytest.raises(FileNotFoundError, match="wav.scp"):
        load_kaldi_data_dir(tmp_path, sampling_rate=16000)


def test_plain_files_and_no_segments(fixtures_dir, tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    wav = fixtures_dir / "mono_c0.wav"
    (d / "wav.scp").write_text(f"r1 {wav}\n")
    (d / "utt2spk").write_text("r1 spk1\n")
    (d / "text").write_text("r1 HELLO\n")
    recs, sups, _ = load_kaldi_data_dir(d, sampling_rate=8000, use_reco2dur=False)
    assert recs["r1"].num_samples == 4000 and recs["r1"].duration == 0.5
    assert sups["r1"].text == "HELLO" and sups["r1"].duration == 0.5


def test_floor_duration():
    assert floor_duration_to_milliseconds(4.65) == 4.65
    assert floor_duration_to_milliseconds(1.2345) == 1.234


def test_segment_end_minus_one(fixtures_dir, tmp_path):
    d = _copy_dir(fixtures_dir, tmp_path)
    lines = (d / "segments").read_text().splitlines()
    lines[0] = "lbi-1272-135031-0000 lbi-1272-135031-0000 1.5 -1"
    (d / "segments").write_text("\n".join(lines) + "\n")
    _, sups, _ = load_kaldi_data_dir(d, sampling_rate=16000)
    assert sups["lbi-1272-135031-0000"].duration == pytest.approx(10.885 - 1.5)


def test_export_features_round_trip(fixtures_dir, tmp_path, monkeypatch):
    pytest.importorskip("kaldiio")
    monkeypatch.chdir(fixtures_dir / "mini_librispeech2")
    recs, sups, feats = load_kaldi_data_dir(".", sampling_rate=16000, frame_shift=0.01)
    export_to_kaldi(recs, sups, tmp_path / "ref", features=feats)
    assert load_kaldi_text_mapping(tmp_path / "ref" / "feats.scp") == load_kaldi_text_mapping(
        "feats.scp"
    )
    assert (tmp_path / "ref" / "frame_shift").read_text().strip() == "0.01"


def test_export_computed_features(fixtures_dir, tmp_path, monkeypatch):
    kaldiio = pytest.importorskip("kaldiio")
    from nuptse.audio import RecordingSet
    from nuptse.features import FeatureSet
    from nuptse.supervision import SupervisionSet

    monkeypatch.chdir(fixtures_dir)
    feats = FeatureSet.from_file("lhotse_written/features_numpy_files.jsonl.gz")
    ids = {f.recording_id for f in feats}
    recs = RecordingSet.from_file("lhotse_written/recordings.jsonl.gz").filter(
        lambda r: r.id in ids
    )
    sups = SupervisionSet.from_file("lhotse_written/supervisions.jsonl.gz").filter(
        lambda s: s.recording_id in ids
    )
    out = tmp_path / "data"
    export_to_kaldi(recs, sups, out, features=feats)
    scp = load_kaldi_text_mapping(out / "feats.scp")
    assert sorted(scp) == sorted(ids)
    for f in feats:
        np.testing.assert_array_equal(kaldiio.load_mat(scp[f.recording_id]), f.load())
    _, sups2, feats2 = load_kaldi_data_dir(out, sampling_rate=16000, frame_shift=0.01)
    assert [f.num_frames for f in feats2] == [f.num_frames for f in feats]
    for f in feats2:
        np.testing.assert_array_equal(f.load(), kaldiio.load_mat(scp[f.storage_key]))


def test_same_as_lhotse_with_reco2dur(fixtures_dir):
    lhotse_kaldi = pytest.importorskip("lhotse.kaldi")
    for name in ("mini_librispeech", "mini_librispeech2"):
        ours = load_kaldi_data_dir(fixtures_dir / name, sampling_rate=16000)
        theirs = lhotse_kaldi.load_kaldi_data_dir(fixtures_dir / name, sampling_rate=16000)
        for a, b in zip(ours[:2], theirs[:2]):
            assert [x.to_dict() for x in a] == [x.to_dict() for x in b]


def test_load_start_and_duration(tmp_path):
    import numpy as np

    kaldiio = pytest.importorskip("kaldiio")
    from nuptse.kaldi import KaldiFormatError, load_start_and_duration

    with kaldiio.WriteHelper(f"ark,scp:{tmp_path}/feats.ark,{tmp_path}/feats.scp") as w:
        w("u1", np.zeros((120, 3), dtype=np.float32))
        w("u2", np.zeros((7, 3), dtype=np.float32))
    (tmp_path / "segments").write_text("u1 rec 1.5 2.7\nu2 rec 3.0 3.07\n")
    out = load_start_and_duration(tmp_path / "segments", tmp_path / "feats.scp", 0.01)
    assert out == {"u1": (1.5, pytest.approx(1.2)), "u2": (3.0, pytest.approx(0.07))}
    assert load_start_and_duration(tmp_path / "segments", tmp_path / "feats.scp") == {}
    (tmp_path / "segments").write_text("u2 rec 3.0 3.07\nu1 rec 1.5 2.7\n")
    with pytest.raises(KaldiFormatError, match="'u1'"):
        load_start_and_duration(tmp_path / "segments", tmp_path / "feats.scp", 0.01)
    lhotse_kaldi = pytest.importorskip("lhotse.kaldi")
    pytest.importorskip("kaldi_native_io")
    (tmp_path / "segments").write_text("u1 rec 1.5 2.7\nu2 rec 3.0 3.07\n")
    theirs = lhotse_kaldi.load_start_and_duration(tmp_path / "segments", tmp_path / "feats.scp", 0.01)
    assert out == theirs
