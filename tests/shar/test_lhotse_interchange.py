"""Shar directories interchange with lhotse 1.33 in both directions."""

from __future__ import annotations

import numpy as np
import pytest

from nuptse.cut import CutSet
from nuptse.shar import export_cuts_to_shar

lhotse = pytest.importorskip("lhotse")

LILCOM_TOL = 2.0**-6


def test_fixture_written_by_lhotse_reads(lhotse_cuts):
    ref = {c.id: c for c in lhotse_cuts}
    back = list(CutSet.from_shar(in_dir="lhotse_written/shar"))
    assert [c.id for c in back] == [c.id for c in lhotse_cuts]
    assert len(CutSet.from_shar(in_dir="lhotse_written/shar")) == 24
    for c in back:
        r = ref[c.id]
        assert c.supervisions == r.supervisions
        assert c.recording.sources[0].type == "memory"
        assert c.features.storage_type == "memory_lilcom"
        np.testing.assert_array_equal(c.load_audio(), r.load_audio())
        assert np.abs(c.load_features() - r.load_features()).max() <= LILCOM_TOL


def test_lhotse_reads_ours(lhotse_cuts, tmp_path):
    cuts = lhotse_cuts.subset(first=6)
    export_cuts_to_shar(
        cuts, tmp_path, fields={"recording": "flac", "features": "lilcom"}, shard_size=4
    )
    theirs = list(lhotse.CutSet.from_shar(in_dir=tmp_path))
    assert [c.id for c in theirs] == [c.id for c in cuts]
    for t, r in zip(theirs, cuts):
        np.testing.assert_array_equal(t.load_audio(), r.load_audio())
        assert np.abs(t.load_features() - r.load_features()).max() <= LILCOM_TOL
        assert t.supervisions[0].text == r.supervisions[0].text


def test_lhotse_reads_our_custom_fields(lhotse_cuts, tmp_path):
    import io

    from nuptse.cut import Array

    cuts = []
    for i, c in enumerate(lhotse_cuts.subset(first=2)):
        buf = io.BytesIO()
        np.save(buf, np.full(3, i, dtype=np.float32))
        c = c.with_custom("emb", Array("memory_npy", "", buf.getvalue(), [3]))
        cuts.append(c.with_custom("lang", f"l{i}"))
    export_cuts_to_shar(
        CutSet(cuts),
        tmp_path,
        fields={"features": "numpy", "emb": "numpy", "lang": "jsonl"},
        warn_unused_fields=False,
    )
    theirs = list(lhotse.CutSet.from_shar(in_dir=tmp_path))
    for i, (t, r) in enumerate(zip(theirs, cuts)):
        np.testing.assert_array_equal(t.load_features(), r.load_features())
        np.testing.assert_array_equal(t.load_emb(), np.full(3, i, dtype=np.float32))
        assert t.lang == f"l{i}"


def test_ours_reads_a_fresh_lhotse_export(in_fixtures, tmp_path):
    theirs = lhotse.CutSet.from_file("lhotse_written/cuts.jsonl.gz").subset(first=5)
    from lhotse.array import Array as LArray
    from lhotse.features.io import MemoryRawWriter

    writer = MemoryRawWriter()
    with_custom = []
    for i, c in enumerate(theirs):
        c.emb = writer.store_array(c.id, np.arange(4, dtype=np.float32) + i)
        assert isinstance(c.emb, LArray)
        c.tag = {"n": i}
        with_custom.append(c)
    theirs = lhotse.CutSet.from_cuts(with_custom)
    theirs.to_shar(
        str(tmp_path),
        fields={"recording": "wav", "features": "numpy", "emb": "numpy", "tag": "jsonl"},
        shard_size=2,
    )
    ours = list(CutSet.from_shar(in_dir=tmp_path))
    assert [c.id for c in ours] == [c.id for c in theirs]
    for i, (o, t) in enumerate(zip(ours, theirs)):
        np.testing.assert_array_equal(o.load_audio(), t.load_audio())
        np.testing.assert_array_equal(o.load_features(), t.load_features())
        np.testing.assert_array_equal(o.load_emb(), np.arange(4, dtype=np.float32) + i)
        assert o.tag == {"n": i}
