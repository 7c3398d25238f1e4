"""One job's extraction loop: the forked helper process and the decode-ahead thread
write the same archive, keep input order, and lose no cut when the helper fails."""

import dataclasses
import os

import numpy as np
import pytest

from nuptse.cut import extraction
from nuptse.serialization import load_jsonl

LILCOM_TOL = 0.0157 * 2 + 1e-3  # ours and lhotse's archive each round to 1/64


@pytest.fixture(scope="module")
def cuts(fixture_cuts):
    return fixture_cuts.drop_features()


@pytest.fixture(scope="module")
def fbank():
    from nuptse.features import Fbank

    return Fbank()


@pytest.fixture
def helper(monkeypatch):
    """Start the helper at once and count the cuts handed to it."""
    handed = []
    submit = extraction._Helper.submit

    def counting(self, cut):
        handed.append(cut.id)
        return submit(self, cut)

    monkeypatch.setattr(extraction, "HELPER_AFTER_CUTS", 0)
    monkeypatch.setattr(extraction._Helper, "usable", staticmethod(lambda e: True))
    monkeypatch.setattr(extraction._Helper, "submit", counting)
    return handed


def _run(cuts, fbank, path, **kw):
    return cuts.compute_and_store_features(fbank, path, progress_bar=False, **kw)


def _break(cut, tmp_path):
    src = dataclasses.replace(cut.recording.sources[0], source=str(tmp_path / "missing.flac"))
    return cut._copy(recording=dataclasses.replace(cut.recording, sources=[src]))


def test_helper_writes_the_same_archive_as_one_process(
    cuts, fixture_cuts, fbank, tmp_path, helper, monkeypatch
):
    with_helper = _run(cuts, fbank, tmp_path / "a")
    assert helper, "no cut went to the helper"
    assert len(helper) < len(cuts), "this process prepared none"
    monkeypatch.setattr(extraction._Helper, "usable", staticmethod(lambda e: False))
    alone = _run(cuts, fbank, tmp_path / "b")
    assert list(with_helper.ids) == list(cuts.ids)
    assert (tmp_path / "a.lca").read_bytes() == (tmp_path / "b.lca").read_bytes()
    keys = [c.features.storage_key for c in with_helper]
    assert keys == [c.features.storage_key for c in alone]
    for cut in with_helper:  # against the features lhotse 1.33 stored for these cuts
        np.testing.assert_allclose(
            cut.load_features(), fixture_cuts[cut.id].load_features(), atol=LILCOM_TOL
        )


def test_helper_error_is_skipped_and_reported_with_its_traceback(cuts, fbank, tmp_path, helper):
    bad = list(cuts.ids)[0]  # the first cut goes to the helper
    broken = cuts.map(lambda c: _break(c, tmp_path) if c.id == bad else c)
    out = _run(
        broken, fbank, tmp_path / "f", manifest_path=tmp_path / "cuts.jsonl.gz", on_error="skip"
    )
    assert bad in helper
    assert list(out.ids) == [i for i in cuts.ids if i != bad]
    report = load_jsonl(tmp_path / "cuts.errors.jsonl")
    assert [r["id"] for r in report] == [bad]
    assert "missing.flac" in report[0]["error"] + report[0]["traceback"]


def test_helper_error_raises_the_original_exception(cuts, fbank, tmp_path, helper):
    from nuptse.audio import AudioLoadingError

    bad = list(cuts.ids)[0]
    broken = cuts.map(lambda c: _break(c, tmp_path) if c.id == bad else c)
    with pytest.raises((AudioLoadingError, FileNotFoundError), match="missing.flac") as info:
        _run(broken, fbank, tmp_path / "f")
    assert "helper process" in "".join(getattr(info.value, "__notes__", []))  # its traceback


def test_unpicklable_helper_error_names_the_cut(cuts, fbank, tmp_path, helper):
    from nuptse.cut.base import CutError

    class Local(Exception):  # a local class cannot be pickled back
        pass

    first = list(cuts.ids)[0]

    def augment(samples, sr):
        if os.getpid() != parent and np.isclose(samples[..., :50], first_head).all():
            raise Local("bad augmentation")
        return samples

    parent = os.getpid()
    first_head = cuts[first].load_audio()[..., :50]
    with pytest.raises(CutError, match=f"{first}.*Local: bad augmentation"):
        _run(cuts, fbank, tmp_path / "f", augment_fn=augment)


def test_helper_that_dies_loses_no_cut(cuts, fixture_cuts, fbank, tmp_path, helper):
    parent = os.getpid()

    def die_in_helper(samples, sr):
        if os.getpid() != parent:
            os._exit(3)
        return samples

    out = _run(cuts, fbank, tmp_path / "f", augment_fn=die_in_helper)
    assert helper
    assert list(out.ids) == list(cuts.ids)
    for cut in out:
        np.testing.assert_allclose(
            cut.load_features(), fixture_cuts[cut.id].load_features(), atol=LILCOM_TOL
        )


def test_mixed_and_padding_cuts_through_the_helper(
    mixed_cuts, fbank, tmp_path, helper, monkeypatch
):
    cuts = mixed_cuts.drop_features()
    with_helper = _run(cuts, fbank, tmp_path / "a")
    monkeypatch.setattr(extraction._Helper, "usable", staticmethod(lambda e: False))
    alone = _run(cuts, fbank, tmp_path / "b")
    assert [c.to_dict()["id"] for c in with_helper] == list(cuts.ids)
    for a, b in zip(with_helper, alone):
        np.testing.assert_array_equal(a.load_features(), b.load_features())


def test_writers_without_an_encoder_run_in_this_process(cuts, fbank, tmp_path, helper):
    from nuptse.features.io import NumpyFilesWriter

    assert NumpyFilesWriter(tmp_path / "n").encoder() is None
    out = _run(cuts.subset(first=3), fbank, tmp_path / "n", storage_type=NumpyFilesWriter)
    assert len(list(out.ids)) == 3 and not helper


def test_helper_that_hangs_is_stopped_and_loses_no_cut(
    cuts, fixture_cuts, fbank, tmp_path, helper, monkeypatch, caplog
):
    import time

    monkeypatch.setattr(extraction, "HELPER_STALL_S", 1.0)
    parent = os.getpid()

    def hang_in_helper(samples, sr):
        if os.getpid() != parent:
            time.sleep(600)
        return samples

    with caplog.at_level("WARNING", logger="nuptse.cut.extraction"):
        out = _run(cuts, fbank, tmp_path / "f", augment_fn=hang_in_helper)
    assert "gave no result in 1 s; stopping it" in caplog.text
    assert helper
    assert list(out.ids) == list(cuts.ids)
    for cut in out:
        np.testing.assert_allclose(
            cut.load_features(), fixture_cuts[cut.id].load_features(), atol=LILCOM_TOL
        )


def test_helper_is_not_used_on_one_cpu_or_with_an_accelerator(fbank, monkeypatch):
    import sys

    if not sys.platform.startswith("linux"):
        assert not extraction._Helper.usable(fbank)
        return
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert extraction._Helper.usable(fbank)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not extraction._Helper.usable(fbank)  # pinned to one CPU: one process

    class OnGpu:
        device = "cuda:0"

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert not extraction._Helper.usable(OnGpu())
