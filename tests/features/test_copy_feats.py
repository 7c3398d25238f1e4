"""Copying stored features into another backend: Features, FeatureSet and CutSet.copy_feats."""

from __future__ import annotations

import numpy as np
import pytest

from nuptse import CutSet, Recording
from nuptse.features import Fbank, FbankConfig, FeatureSet
from nuptse.features.io import LilcomChunkyWriter, NumpyFilesWriter

pytest.importorskip("lilcom")


@pytest.fixture
def cuts(fixtures_dir, tmp_path):
    rec = Recording.from_file(fixtures_dir / "libri/libri-1088-134315-0000.wav")
    cut = rec.to_cut().truncate(duration=3.0)
    return CutSet.from_cuts([cut]).compute_and_store_features(
        Fbank(FbankConfig(num_filters=40)), tmp_path / "feats", storage_type=LilcomChunkyWriter
    )


def test_cut_set_copy_feats_keeps_every_kind_of_cut(cuts, tmp_path):
    original = cuts[0]
    no_feats = original.drop_features().with_id("no-feats")
    mixed = original.pad(duration=5.0)
    source = CutSet.from_cuts([original, no_feats, mixed])
    with NumpyFilesWriter(tmp_path / "copy") as w:
        copied = source.copy_feats(writer=w, output_path=tmp_path / "copy.jsonl")
    assert list(copied.ids) == list(source.ids)
    for new, old in zip(copied, source):
        assert new.has_features == old.has_features
        if old.has_features:
            # numpy files hold the decompressed matrix exactly
            np.testing.assert_array_equal(new.load_features(), old.load_features())
    assert copied[original.id].features.storage_type == "numpy_files"
    mixed_copy = copied[mixed.id]
    assert mixed_copy.tracks[0].cut.features.storage_type == "numpy_files"


def test_feature_set_copy_feats(cuts, tmp_path):
    fs = FeatureSet.from_features([cuts[0].features])
    with NumpyFilesWriter(tmp_path / "copy") as w:
        copied = fs.copy_feats(writer=w)
    np.testing.assert_array_equal(copied[0].load(), fs[0].load())
    assert copied[0].storage_path == str(tmp_path / "copy")
