"""One-job feature extraction through the forked decode-and-extract helper process.

The reference is the Fbank of each cut's audio read with soundfile (an
independent reader), stored and read back through the same lilcom archive
format; the helper path must give exactly the thread path's bits, and a cut
that fails in the helper is skipped and reported with its reason.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from nuptse import CutSet, Fbank, Recording, RecordingSet
from nuptse.cut import compute

pytestmark = pytest.mark.skipif(
    compute.usable_cpus() < 2, reason="the helper needs two usable CPUs"
)


@pytest.fixture
def cuts(fixtures_dir):
    paths = sorted((fixtures_dir / "mini_corpus").rglob("*.flac"))[:3]
    recs = RecordingSet.from_recordings(Recording.from_file(p) for p in paths)
    return CutSet.from_manifests(recordings=recs).cut_into_windows(2.0).to_eager()


def test_helper_gives_the_thread_paths_bits(cuts, tmp_path, monkeypatch):
    monkeypatch.setattr(compute, "HELPER_MIN_CUTS", 1)
    started = []
    real = compute._ahead_helper
    monkeypatch.setattr(
        compute, "_ahead_helper", lambda *a: started.append(1) or real(*a)
    )
    with_helper = cuts.compute_and_store_features(
        Fbank(), tmp_path / "a", num_jobs=1, progress_bar=False
    )
    assert started  # the helper really ran
    monkeypatch.setattr(compute, "HELPER_MIN_CUTS", 1 << 30)
    threads = cuts.compute_and_store_features(
        Fbank(), tmp_path / "b", num_jobs=1, progress_bar=False
    )
    assert [c.id for c in with_helper] == [c.id for c in cuts]
    fbank = Fbank()
    for a, b in zip(with_helper, threads):
        assert np.array_equal(a.load_features(), b.load_features())
        rec = a.recording
        audio, sr = sf.read(rec.sources[0].source, dtype="float32")
        start = round(a.start * sr)
        signal = audio[start : start + round(a.duration * sr)]
        expected = fbank.extract(signal, sr)
        # lilcom keeps fbank values to within its tick (2**-5) step
        assert np.abs(a.load_features() - expected).max() < 2**-5


def test_a_cut_failing_in_the_helper_is_skipped_and_reported(cuts, tmp_path, monkeypatch):
    monkeypatch.setattr(compute, "HELPER_MIN_CUTS", 1)
    lengths = [c.num_samples for c in cuts]
    bad_cut = next(c for c in cuts if lengths.count(c.num_samples) == 1)  # a unique length
    bad, bad_len = bad_cut.id, bad_cut.num_samples

    class Picky(Fbank):
        def extract(self, samples, sampling_rate):
            if samples.shape[-1] == bad_len:
                raise ValueError("cannot extract")
            return super().extract(samples, sampling_rate)

    out = cuts.compute_and_store_features(
        Picky(), tmp_path / "f", num_jobs=1, progress_bar=False, on_error="skip"
    )
    assert bad not in [c.id for c in out] and len(out) == len(cuts) - 1
    report = compute.report_path(str(tmp_path / "f") + ".jsonl")
    text = report.read_text()
    assert bad in text and "cannot extract" in text
