"""NaN or infinite audio never turns silently into non-finite features."""

import numpy as np
import pytest
import soundfile as sf

from nuptse import CutSet, Recording, RecordingSet
from nuptse.features.finite import NonFiniteError


@pytest.fixture
def cuts(fixtures_dir, tmp_path):
    data, sr = sf.read(fixtures_dir / "mono_c0.wav", dtype="float32")
    bad = data.copy()
    bad[1000] = np.nan
    worse = data.copy()
    worse[2000:2003] = np.inf
    recs = []
    for name, x in (("good", data), ("nan", bad), ("inf", worse)):
        path = tmp_path / f"{name}.wav"
        sf.write(path, x, sr, subtype="FLOAT")
        recs.append(Recording.from_file(path, recording_id=name))
    return CutSet.from_manifests(recordings=RecordingSet.from_recordings(recs)).to_eager()


@pytest.mark.parametrize("num_jobs", [1, 2])
def test_extraction_raises_naming_the_cut(cuts, tmp_path, num_jobs):
    from nuptse.features import Fbank, FbankConfig

    nan_cut = [c for c in cuts if c.recording_id == "nan"]
    with pytest.raises(NonFiniteError, match=nan_cut[0].id):
        CutSet.from_cuts(nan_cut).compute_and_store_features(
            Fbank(FbankConfig(sampling_rate=8000)), tmp_path / "f", num_jobs=num_jobs, progress_bar=False
        )


def test_extraction_skips_and_reports(cuts, tmp_path):
    from nuptse.features import Fbank, FbankConfig

    out = cuts.compute_and_store_features(
        Fbank(FbankConfig(sampling_rate=8000)), tmp_path / "f", on_error="skip", progress_bar=False
    ).to_eager()
    assert [c.recording_id for c in out] == ["good"]
    assert all(np.isfinite(c.load_features()).all() for c in out)
    report = (tmp_path / "f.errors.jsonl").read_text()
    assert "NonFiniteError" in report and "NaN or infinite" in report


def test_batch_extraction_raises_naming_the_cut(cuts, tmp_path):
    from nuptse.features import Fbank, FbankConfig

    inf_cut = [c for c in cuts if c.recording_id == "inf"]
    with pytest.raises(NonFiniteError, match=inf_cut[0].id):
        CutSet.compute_and_store_features_batch(
            CutSet.from_cuts(inf_cut), Fbank(FbankConfig(sampling_rate=8000)), tmp_path / "f", num_workers=1, progress_bar=False
        )
