import pytest

from nuptse.cut import CutSet

LW = "lhotse_written"


@pytest.fixture(scope="session")
def lw(fixtures_dir):
    return fixtures_dir / LW


def load_cuts(fixtures_dir, name: str) -> CutSet:
    cuts = CutSet.from_file(fixtures_dir / LW / name)
    return cuts.with_recording_path_prefix(fixtures_dir).with_features_path_prefix(fixtures_dir)


@pytest.fixture(scope="session")
def fixture_cuts(fixtures_dir) -> CutSet:
    return load_cuts(fixtures_dir, "cuts.jsonl.gz")


@pytest.fixture(scope="session")
def mixed_cuts(fixtures_dir) -> CutSet:
    return load_cuts(fixtures_dir, "cuts_mixed_padded.jsonl.gz")


@pytest.fixture(scope="session")
def dialogue_cut(fixtures_dir):
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    recs = RecordingSet.from_file(fixtures_dir / LW / "recordings.jsonl.gz")
    sups = SupervisionSet.from_file(fixtures_dir / LW / "supervisions.jsonl.gz")
    cuts = CutSet.from_manifests(
        recordings=recs.filter(lambda r: r.id == "dialogue"),
        supervisions=sups.filter(lambda s: s.recording_id == "dialogue"),
    )
    return cuts["dialogue-0"].with_recording_path_prefix(fixtures_dir)
