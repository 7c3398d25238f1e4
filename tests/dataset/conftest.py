"""Cuts over real fixture audio (LibriSpeech WAV and FLAC) for the dataset tests."""

from __future__ import annotations

import shutil

import pytest

from nuptse import (
    CutSet,
    Recording,
    RecordingSet,
    SupervisionSegment,
    SupervisionSet,
)

AUDIO = [
    "libri/libri-1088-134315-0000.wav",  # 16.04 s
    "mix_cut_test/audio/storage/2412-153948-0000.flac",  # 11.66 s
    "mix_cut_test/audio/storage/2412-153948-0001.flac",  # 10.51 s
]


def make_cuts(paths) -> CutSet:
    """One cut per file with two supervisions each (0.5-3.0 s, 3.25 s-end minus 0.3 s)."""
    recs = RecordingSet.from_recordings(Recording.from_file(p) for p in paths)
    sups = []
    for r in recs:
        sups.append(
            SupervisionSegment(id=f"{r.id}-a", recording_id=r.id, start=0.5, duration=2.5,
                               text=f"FIRST {r.id}", speaker=f"spk-{r.id[:4]}")
        )
        sups.append(
            SupervisionSegment(id=f"{r.id}-b", recording_id=r.id, start=3.25,
                               duration=round(r.duration - 3.55, 6), text=f"SECOND {r.id}",
                               speaker=f"spk-{r.id[:4]}")
        )
    return CutSet.from_manifests(recordings=recs, supervisions=SupervisionSet.from_segments(sups))


@pytest.fixture
def audio_dir(tmp_path, fixtures_dir):
    """A writable copy of the fixture audio."""
    out = tmp_path / "audio"
    out.mkdir()
    for rel in AUDIO:
        shutil.copy(fixtures_dir / rel, out / rel.split("/")[-1])
    return out


@pytest.fixture
def cuts(audio_dir) -> CutSet:
    return make_cuts(sorted(audio_dir.iterdir()))


@pytest.fixture
def cuts_with_feats(cuts, tmp_path) -> CutSet:
    from nuptse.features.io import LilcomChunkyWriter
    from nuptse.features.kaldi.extractors import Fbank

    return cuts.compute_and_store_features(
        extractor=Fbank(), storage_path=tmp_path / "feats", storage_type=LilcomChunkyWriter
    ).to_eager()
