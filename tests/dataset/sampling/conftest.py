"""Cut sources for the sampler tests: eager, lazy JSON lines, muxed and Shar-backed."""

from __future__ import annotations

import random

import pytest

from nuptse import CutSet
from nuptse.testing.dummies import dummy_cut


def make_cuts(n: int, seed: int = 0, start: int = 0) -> CutSet:
    """``n`` cuts with durations 1-20 s (LibriSpeech-like spread), ids ``start..start+n``."""
    rng = random.Random(seed)
    return CutSet.from_cuts(
        [dummy_cut(start + i, duration=round(rng.uniform(1.0, 20.0), 2)) for i in range(n)]
    )


def as_source(cuts: CutSet, kind: str, tmp_path) -> CutSet:
    """The same cuts as an eager set, a lazy JSON-lines set, a mux of two lazy halves,
    a gzipped lazy set or a Shar-backed lazy set."""
    if kind == "eager":
        return cuts
    if kind == "jsonl":
        path = tmp_path / "cuts.jsonl"
        cuts.to_file(path)
        return CutSet.from_jsonl_lazy(path)
    if kind == "gz":
        path = tmp_path / "cuts.jsonl.gz"
        cuts.to_file(path)
        return CutSet.from_jsonl_lazy(path)
    if kind == "mux":
        items = list(cuts)
        half = len(items) // 2
        a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
        CutSet.from_cuts(items[:half]).to_file(a)
        CutSet.from_cuts(items[half:]).to_file(b)
        return CutSet.mux(
            CutSet.from_jsonl_lazy(a), CutSet.from_jsonl_lazy(b), weights=[1.0, 2.0], seed=3
        )
    if kind == "shar":
        import warnings

        out = tmp_path / "shar"
        out.mkdir(exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cuts.to_shar(out, fields={}, shard_size=7)
        return CutSet.from_shar(in_dir=out)
    raise ValueError(kind)


@pytest.fixture
def cuts100() -> CutSet:
    return make_cuts(100)
