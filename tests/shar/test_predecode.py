"""Decode-ahead: samples decoded by helper processes equal a plain load, and are taken once."""

from __future__ import annotations

import io

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")

from nuptse.audio import Recording  # noqa: E402


def _memory_recording(data: bytes) -> Recording:
    with sf.SoundFile(io.BytesIO(data)) as f:
        rate, frames, channels = f.samplerate, f.frames, f.channels
    from nuptse.audio import AudioSource

    return Recording(
        id="r",
        sources=[AudioSource(type="memory", channels=list(range(channels)), source=data)],
        sampling_rate=rate,
        num_samples=frames,
        duration=frames / rate,
    )


def test_attached_samples_are_taken_by_the_first_whole_load(fixtures_dir):
    data = (fixtures_dir / "mini_corpus/dev-clean-2/9001/500/9001-500-0001.flac").read_bytes()
    rec = _memory_recording(data)
    plain = rec.load_audio()
    marker = np.full_like(plain, 0.25)  # not what the bytes decode to: shows which was used
    rec.sources[0].attach_decoded(marker, rec.sampling_rate)
    assert rec.to_dict() == _memory_recording(data).to_dict()  # never serialised
    assert rec.sources[0] == _memory_recording(data).sources[0]  # nor compared
    np.testing.assert_array_equal(rec.load_audio(), marker)
    np.testing.assert_array_equal(rec.load_audio(), plain)  # taken: decoded again


def test_a_partial_read_decodes_and_releases_the_samples(fixtures_dir):
    data = (fixtures_dir / "mini_corpus/dev-clean-2/9001/500/9001-500-0001.flac").read_bytes()
    rec = _memory_recording(data)
    plain = rec.load_audio()
    rec.sources[0].attach_decoded(np.zeros_like(plain), rec.sampling_rate)
    part = rec.load_audio(offset=0.5, duration=1.0)
    np.testing.assert_array_equal(part, plain[:, 8000:24000])
    assert rec.sources[0].take_decoded() is None


def _export(lhotse_cuts, tmp_path, n=9):
    from nuptse.shar import export_cuts_to_shar

    export_cuts_to_shar(
        lhotse_cuts.subset(first=n),
        tmp_path,
        fields={"recording": "flac"},
        shard_size=4,
        warn_unused_fields=False,
    )


def _count_taken(monkeypatch):
    from nuptse.shar.readers import predecode

    taken = []
    original = predecode.DecodeAhead.take

    def take(self, helper):
        got = original(self, helper)
        taken.append(got is not None)
        return got

    monkeypatch.setattr(predecode.DecodeAhead, "take", take)
    return taken


def test_helpers_decode_most_cuts_with_identical_samples(
    lhotse_cuts, tmp_path, monkeypatch, ready_decode_helper
):
    from nuptse.cut import CutSet

    _export(lhotse_cuts, tmp_path)
    plain = {c.id: c.load_audio() for c in CutSet.from_shar(in_dir=tmp_path)}
    taken = _count_taken(monkeypatch)
    got = list(CutSet.from_shar(in_dir=tmp_path, decode_workers=1))
    assert sum(taken) >= len(got) // 2  # the helper decoded them
    for cut in got:
        np.testing.assert_array_equal(cut.load_audio(), plain[cut.id])


def test_a_helper_that_dies_leaves_the_cuts_to_load_audio(
    lhotse_cuts, tmp_path, monkeypatch, ready_decode_helper, caplog
):
    from nuptse.cut import CutSet

    _export(lhotse_cuts, tmp_path)
    plain = {c.id: c.load_audio() for c in CutSet.from_shar(in_dir=tmp_path)}
    got = []
    for i, cut in enumerate(CutSet.from_shar(in_dir=tmp_path, decode_workers=1)):
        if i == 0:
            ready_decode_helper._proc.kill()  # mid-read: answers stop coming
        got.append(cut)
    assert len(got) == len(plain)
    for cut in got:
        np.testing.assert_array_equal(cut.load_audio(), plain[cut.id])
    assert "decode process failed" in caplog.text
    from nuptse.audio import offload

    assert ready_decode_helper not in offload._parked  # a dead helper is never kept


def test_bytes_a_helper_cannot_decode_are_left_to_load_audio(ready_decode_helper):
    from nuptse.shar.readers.predecode import DecodeAhead

    ahead = DecodeAhead(1)
    try:
        ahead.share = 1.0
        helper = ahead.assign(b"fLaC" + b"\0" * 100)
        assert helper is ready_decode_helper
        assert ahead.take(helper) is None  # the cut's own load_audio() raises the error
        assert ahead.helpers == [helper]  # and the helper goes on
    finally:
        ahead.close()
