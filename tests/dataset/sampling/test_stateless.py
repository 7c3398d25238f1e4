"""StatelessSampler: endless random batches that depend only on the seed, rank and worker."""

from __future__ import annotations

from itertools import islice

from nuptse.dataset.sampling import StatelessSampler

from .conftest import make_cuts


def test_stateless_sampler_draws_reproducibly(tmp_path):
    cuts = make_cuts(50)
    path = tmp_path / "cuts.jsonl"
    cuts.to_file(path)

    def first_batches(seed, **kw):
        s = StatelessSampler(path, index_path=tmp_path / "index.txt", base_seed=seed, **kw)
        return [[c.id for c in b] for b in islice(iter(s), 5)]

    a = first_batches(1, max_duration=40.0)
    assert a == first_batches(1, max_duration=40.0)
    assert a != first_batches(2, max_duration=40.0)
    known = {c.id for c in cuts}
    for batch in a:
        for cid in batch:
            stem, _, n = cid.rpartition("_it")
            assert stem in known and n.isdigit()
    assert (tmp_path / "cuts.jsonl.idx").is_file()
    bucketed = first_batches(3, max_duration=40.0, duration_bins=[5.0, 10.0])
    assert len(bucketed) == 5


def test_stateless_sampler_has_no_state(tmp_path):
    path = tmp_path / "cuts.jsonl"
    make_cuts(5).to_file(path)
    s = StatelessSampler([(path, 2.0)], index_path=tmp_path / "i.txt", base_seed=0, max_cuts=2)
    assert s.state_dict() == {}
    s.load_state_dict({})
    assert s.scaled_line_counts == [10.0]
