"""Feature extraction reruns: never a partial manifest under the final name, never stale features."""

import dataclasses

import numpy as np
import pytest

from nuptse.cut import CutSet
from nuptse.cut.reuse import StaleResultError

pytest.importorskip("h5py")


@pytest.fixture(scope="module")
def cuts(fixture_cuts):
    ids = sorted(fixture_cuts.ids, key=lambda i: fixture_cuts[i].duration)[:6]
    return CutSet.from_cuts(fixture_cuts.subset(cut_ids=ids).drop_features())


class FailAfter:
    """An augment_fn that passes audio through, raising after ``n`` calls (a stand-in for a kill)."""

    def __init__(self, n=None):
        self.n = n
        self.calls = 0

    def __call__(self, audio, sr):
        self.calls += 1
        if self.n is not None and self.calls > self.n:
            raise KeyboardInterrupt("simulated interruption")
        return audio


def _reference(cut, extractor):
    return extractor.extract(cut.load_audio(), cut.sampling_rate)


@pytest.mark.parametrize("storage", ["numpy_hdf5", "lilcom_chunky", "numpy_files"])
def test_batch_interrupted_twice_never_publishes_partial(cuts, tmp_path, storage):
    from nuptse.features import Fbank
    from nuptse.features.io import get_writer

    fbank = Fbank()
    writer = get_writer(storage)
    manifest = tmp_path / "cuts.jsonl.gz"
    kw = dict(manifest_path=manifest, storage_type=writer, num_workers=1, progress_bar=False)
    for n in (1, 1):
        with pytest.raises(KeyboardInterrupt):
            CutSet.compute_and_store_features_batch(
                cuts, fbank, tmp_path / "feats", augment_fn=FailAfter(n), **kw
            )
        assert not manifest.exists(), "an interrupted run published its manifest"
    last = FailAfter()
    out = CutSet.compute_and_store_features_batch(
        cuts, fbank, tmp_path / "feats", augment_fn=last, **kw
    ).to_eager()
    assert sorted(out.ids) == sorted(cuts.ids)
    for cut in out:
        ref = _reference(cuts[cut.id], fbank)
        tol = 0.04 if "lilcom" in storage else 1e-6
        np.testing.assert_allclose(cut.load_features(), ref, atol=tol)
    if storage != "numpy_hdf5":
        assert last.calls < len(cuts)  # resumed: cuts from earlier runs were kept


def test_batch_rerun_with_another_extractor_refuses(cuts, tmp_path):
    from nuptse.features import Fbank, Mfcc

    manifest = tmp_path / "cuts.jsonl.gz"
    kw = dict(manifest_path=manifest, num_workers=1, progress_bar=False)
    CutSet.compute_and_store_features_batch(cuts, Fbank(), tmp_path / "feats", **kw)
    with pytest.raises(StaleResultError, match="extractor"):
        CutSet.compute_and_store_features_batch(cuts, Mfcc(), tmp_path / "feats", **kw)
    out = CutSet.compute_and_store_features_batch(
        cuts, Mfcc(), tmp_path / "feats", overwrite=True, **kw
    ).to_eager()
    assert {c.features.type for c in out} == {Mfcc.name}
    assert all(c.load_features().shape[1] == 13 for c in out)


def test_batch_resume_with_edited_cut_refuses(cuts, tmp_path):
    from nuptse.features import Fbank

    manifest = tmp_path / "cuts.jsonl.gz"
    kw = dict(manifest_path=manifest, num_workers=1, progress_bar=False)
    CutSet.compute_and_store_features_batch(cuts, Fbank(), tmp_path / "feats", **kw)
    first = next(iter(cuts))
    edited = CutSet.from_cuts(
        dataclasses.replace(c, duration=c.duration / 2) if c.id == first.id else c for c in cuts
    )
    with pytest.raises(StaleResultError, match=first.id):
        CutSet.compute_and_store_features_batch(edited, Fbank(), tmp_path / "feats", **kw)


def test_parallel_rerun_with_edited_cuts_recomputes(cuts, tmp_path):
    from nuptse.features import Fbank

    fbank = Fbank()
    kw = dict(num_jobs=2, progress_bar=False)
    CutSet.compute_and_store_features(cuts, fbank, tmp_path / "feats", **kw)
    edited = CutSet.from_cuts(dataclasses.replace(c, duration=c.duration / 2) for c in cuts)
    out = CutSet.compute_and_store_features(edited, fbank, tmp_path / "feats", **kw).to_eager()
    for cut in out:
        feats = cut.load_features()
        ref = _reference(edited[cut.id], fbank)
        assert feats.shape == ref.shape
        np.testing.assert_allclose(feats, ref, atol=0.04)


def test_second_run_on_same_manifest_is_refused_without_touching_the_first(cuts, tmp_path):
    from nuptse.features import Fbank
    from nuptse.utils.writer_lock import ConcurrentWriterError

    manifest = tmp_path / "cuts.jsonl.gz"
    first = CutSet.open_writer(manifest)
    first.write(next(iter(cuts)), flush=True)
    with pytest.raises(ConcurrentWriterError):
        CutSet.compute_and_store_features_batch(
            cuts, Fbank(), tmp_path / "feats", manifest_path=manifest, progress_bar=False
        )
    first.close()  # the first run's data survived: its rename still works
    assert len(CutSet.from_file(manifest)) == 1


def test_sequential_rerun_killed_leaves_no_manifest_on_truncated_storage(cuts, tmp_path):
    from nuptse.features import Fbank

    manifest = tmp_path / "cuts.jsonl.gz"
    kw = dict(manifest_path=manifest, progress_bar=False)
    CutSet.compute_and_store_features(cuts, Fbank(), tmp_path / "feats", **kw)
    assert manifest.exists()
    with pytest.raises(KeyboardInterrupt):
        CutSet.compute_and_store_features(
            cuts, Fbank(), tmp_path / "feats", augment_fn=FailAfter(1), **kw
        )
    # The archive was restarted: the old manifest would point at data that is gone.
    assert not manifest.exists()
