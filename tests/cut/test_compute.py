"""Feature extraction over cut sets: sequential, on a Dask cluster, resumed, skipping errors."""

import os
import sys

import numpy as np
import pytest

from nuptse.cut import CutSet
from nuptse.serialization import load_jsonl

LILCOM_TOL = 0.0157 * 2 + 1e-3  # ours and lhotse's archive each round to 1/64


@pytest.fixture(scope="module")
def small(fixture_cuts):
    # 8 short utterances, without their stored features
    ids = sorted(fixture_cuts.ids, key=lambda i: fixture_cuts[i].duration)[:8]
    return fixture_cuts.subset(cut_ids=ids).drop_features(), fixture_cuts


@pytest.fixture(scope="module")
def fbank():
    from nuptse.features import Fbank

    return Fbank()


def _check_against_lhotse(out, ref):
    for cut in out:
        feats = cut.load_features()
        assert feats.shape == (cut.num_frames, 80)
        np.testing.assert_allclose(feats, ref[cut.id].load_features(), atol=LILCOM_TOL)


def test_sequential_matches_lhotse_features(small, fbank, tmp_path):
    cuts, ref = small
    out = cuts.compute_and_store_features(fbank, tmp_path / "feats", progress_bar=False)
    assert list(out.ids) == list(cuts.ids)
    assert (tmp_path / "feats.lca").exists()
    _check_against_lhotse(out, ref)
    f = out[next(iter(out.ids))].features
    assert f.storage_type == "lilcom_chunky" and f.recording_id is not None


def test_sequential_with_manifest_and_lhotse_reads_it(small, fbank, tmp_path):
    lhotse = pytest.importorskip("lhotse")
    cuts, ref = small
    out = cuts.subset(first=3).compute_and_store_features(
        fbank, tmp_path / "feats", manifest_path=tmp_path / "cuts.jsonl.gz", progress_bar=False
    )
    assert out.is_lazy
    theirs = lhotse.CutSet.from_file(tmp_path / "cuts.jsonl.gz")
    for o, t in zip(out, theirs):
        np.testing.assert_array_equal(o.load_features(), t.load_features())


def test_process_pool_after_torch_ran_in_parent(small, fbank, tmp_path):
    # torch ran in this process already (the test above): forked workers must not hang
    cuts, ref = small
    fbank.extract(np.zeros(16000, dtype=np.float32), 16000)
    out = cuts.compute_and_store_features(fbank, tmp_path / "feats", num_jobs=2, progress_bar=False)
    assert list(out.ids) == list(cuts.ids)
    # 2 workers, under MIN_SHARD_SECONDS of audio: a shard each
    assert len(list((tmp_path / "feats").glob("cuts-*.jsonl.gz"))) == 2
    _check_against_lhotse(out, ref)
    # a second call reuses every shard
    again = cuts.compute_and_store_features(
        fbank, tmp_path / "feats", num_jobs=2, progress_bar=False
    )
    assert [c.to_dict() for c in again] == [c.to_dict() for c in out]


def _break(cut, tmp_path):
    import dataclasses

    src = dataclasses.replace(cut.recording.sources[0], source=str(tmp_path / "missing.flac"))
    return cut._copy(recording=dataclasses.replace(cut.recording, sources=[src]))


def test_skip_errors_sequential(small, fbank, tmp_path):
    cuts, _ = small
    bad = list(cuts.ids)[2]
    broken = cuts.map(lambda c: _break(c, tmp_path) if c.id == bad else c)
    from nuptse.audio import AudioLoadingError

    with pytest.raises((AudioLoadingError, FileNotFoundError)):
        broken.compute_and_store_features(fbank, tmp_path / "a", progress_bar=False)
    out = broken.compute_and_store_features(
        fbank,
        tmp_path / "b",
        manifest_path=tmp_path / "cuts.jsonl.gz",
        on_error="skip",
        progress_bar=False,
    )
    assert bad not in set(out.ids) and len(list(out.ids)) == len(cuts) - 1
    report = load_jsonl(tmp_path / "cuts.errors.jsonl")
    assert [r["id"] for r in report] == [bad]
    assert "missing" in report[0]["error"] or "No such file" in report[0]["error"]


def test_batch_variant(small, fbank, tmp_path):
    cuts, ref = small
    out = cuts.compute_and_store_features_batch(
        fbank, tmp_path / "feats", batch_duration=5.0, num_workers=2, progress_bar=False
    )
    assert sorted(out.ids) == sorted(cuts.ids)
    _check_against_lhotse(out, ref)


def test_global_stats(small, tmp_path):
    _, ref = small
    stats = ref.compute_global_feature_stats(tmp_path / "stats.pkl", max_cuts=4)
    frames = np.concatenate([c.load_features() for c in ref.subset(first=4)])
    np.testing.assert_allclose(stats["norm_means"], frames.mean(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(stats["norm_stds"], frames.std(axis=0), rtol=1e-4, atol=1e-4)
    assert (tmp_path / "stats.pkl").exists()


# --- Dask ------------------------------------------------------------------------------


class KillOn:
    """augment_fn that logs every call and kills its worker process on one signal length
    while ``flag`` exists."""

    def __init__(self, log: str, flag: str, kill_len: int):
        self.log, self.flag, self.kill_len = log, flag, kill_len

    def __call__(self, samples, sampling_rate):
        with open(self.log, "a") as f:
            f.write(f"{samples.shape[-1]}\n")
        if samples.shape[-1] == self.kill_len and os.path.exists(self.flag):
            os._exit(1)
        return samples


@pytest.fixture(scope="module")
def dask_client():
    pytest.importorskip("distributed")
    import cloudpickle
    import dask
    from distributed import Client, LocalCluster

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(
            processes=True,
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()


def test_dask_executor_kill_and_resume(small, fbank, tmp_path, dask_client):
    cuts, ref = small
    cut_list = list(cuts)
    kill_cut = cut_list[5]
    log, flag = tmp_path / "calls.log", tmp_path / "kill"
    flag.touch()
    aug = KillOn(str(log), str(flag), kill_cut.num_samples)
    out_dir = tmp_path / "feats"
    kwargs = dict(
        storage_path=out_dir,
        executor=dask_client.get_executor(),
        num_shards=4,
        augment_fn=aug,
        progress_bar=False,
    )
    from distributed.scheduler import KilledWorker

    with pytest.raises(KilledWorker):
        cuts.compute_and_store_features(fbank, **kwargs)
    done = sorted(p.name for p in out_dir.glob("cuts-*.jsonl.gz"))
    assert len(done) == 3  # every shard but the one with the killed cut finished
    mtimes = {p: (out_dir / p).stat().st_mtime_ns for p in done}
    done_ids = {d["id"] for p in done for d in load_jsonl(out_dir / p)}
    assert kill_cut.id not in done_ids
    flag.unlink()
    log.write_text("")
    out = cuts.compute_and_store_features(fbank, **kwargs)
    assert list(out.ids) == list(cuts.ids)
    # only the cuts of unfinished shards were computed again
    recomputed = sorted(int(x) for x in log.read_text().split())
    expected = sorted(c.num_samples for c in cut_list if c.id not in done_ids)
    assert recomputed == expected
    for p, t in mtimes.items():
        assert (out_dir / p).stat().st_mtime_ns == t
    _check_against_lhotse(out, ref)
    assert (out_dir / "cuts.jsonl.gz").exists()


def test_dask_executor_skip_errors(small, fbank, tmp_path, dask_client):
    cuts, ref = small
    bad = list(cuts.ids)[1]
    broken = CutSet([_break(c, tmp_path) if c.id == bad else c for c in cuts])
    out = broken.compute_and_store_features(
        fbank,
        tmp_path / "feats",
        executor=dask_client.get_executor(),
        on_error="skip",
        progress_bar=False,
    )
    assert list(out.ids) == [i for i in cuts.ids if i != bad]
    report = load_jsonl(tmp_path / "feats" / "cuts.errors.jsonl")
    assert [r["id"] for r in report] == [bad]
    _check_against_lhotse(out, ref)


def test_batch_resumes_from_manifest(small, fbank, tmp_path):
    cuts, ref = small
    first = cuts.subset(first=4)
    man = tmp_path / "cuts.jsonl.gz"
    done = first.compute_and_store_features_batch(
        fbank, tmp_path / "feats", manifest_path=man, batch_duration=3.0, progress_bar=False
    )
    keys = {c.id: c.features.storage_key for c in done}
    out = cuts.compute_and_store_features_batch(
        fbank, tmp_path / "feats", manifest_path=man, batch_duration=3.0, progress_bar=False
    )
    out = list(out)
    assert sorted(c.id for c in out) == sorted(cuts.ids)
    for c in out:
        if c.id in keys:
            assert c.features.storage_key == keys[c.id]
    _check_against_lhotse(out, ref)
