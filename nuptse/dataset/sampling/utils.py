"""Tools for choosing sampler settings: worst-case batches and padding estimates."""

from __future__ import annotations

import warnings
from statistics import mean

from nuptse.cut import CutSet
from nuptse.dataset.sampling.base import CutSampler


def _supervised(cut) -> float:
    return sum(s.duration for s in cut.supervisions)


_CRITERIA = {
    "single_longest_cut": lambda cuts: max(c.duration for c in cuts),
    "single_longest_supervision": lambda cuts: max(_supervised(c) for c in cuts),
    "largest_batch_cuts_duration": lambda cuts: sum(c.duration for c in cuts),
    "largest_batch_supervisions_duration": lambda cuts: sum(_supervised(c) for c in cuts),
    "max_num_cuts": len,
    "max_num_supervisions": lambda cuts: sum(len(c.supervisions) for c in cuts),
}


def find_pessimistic_batches(
    sampler: CutSampler, batch_tuple_index: int = 0
) -> tuple[dict[str, CutSet], dict[str, float]]:
    """The batches of one epoch that are largest by each of several measures.

    Running a training step on each of them first shows whether the batch
    settings fit in GPU memory.  Returns ``(batches, values)`` keyed by
    criterion (``single_longest_cut``, ``largest_batch_cuts_duration``,
    ``max_num_cuts``, ...).
    """
    batches: dict[str, CutSet] = {}
    values: dict[str, float] = {}
    for batch in iter(sampler):
        if isinstance(batch, tuple):
            batch = batch[batch_tuple_index]
        for name, fn in _CRITERIA.items():
            v = fn(batch)
            if name not in values or v > values[name]:
                values[name], batches[name] = v, batch
    if not values:
        warnings.warn("find_pessimistic_batches: the sampler yielded no batches", stacklevel=2)
    return batches, values


def report_padding_ratio_estimate(sampler: CutSampler, n_samples: int = 1000) -> str:
    """A text report of how much of the first ``n_samples`` batches would be padding.

    For each batch, the cuts are padded to the longest one; the report gives
    the share of padding and of unsupervised audio, per cut and per batch.
    """
    cut_total = cut_sup = 0.0
    n_cuts = 0
    batch_ratios: list[float] = []
    rel_spread: list[float] = []
    it = iter(sampler)
    for _ in range(n_samples):
        try:
            batch = next(it)
        except StopIteration:
            break
        if isinstance(batch, tuple):
            batch = batch[0]
        durs = sorted((c.duration for c in batch), reverse=True)
        if not durs:
            continue
        longest = durs[0]
        padded = longest * len(durs)
        batch_ratios.append((padded - sum(durs)) / padded if padded else 0.0)
        if len(durs) > 1 and longest > 0:
            rel_spread.append(mean(longest - d for d in durs[1:]) / longest)
        for c in batch:
            cut_total += longest
            cut_sup += _supervised(c)
            n_cuts += 1
    if not batch_ratios:
        return "Padding ratio estimate: the sampler yielded no batches."
    padding = mean(batch_ratios)
    unsupervised = 1 - cut_sup / cut_total if cut_total else 0.0
    lines = [
        f"Padding ratio estimate over {len(batch_ratios)} batches ({n_cuts} cuts):",
        f"* padding (vs. the longest cut of each batch): {padding:.2%} of the batch duration",
        f"* not covered by supervisions (padding included): {unsupervised:.2%}",
    ]
    if rel_spread:
        lines.append(
            f"* mean duration gap to the longest cut of a batch: {mean(rel_spread):.2%} of it"
        )
    return "\n".join(lines)


def padding_ratio(batches) -> float:
    """Share of padding in ``batches`` when each is padded to its longest cut (0..1)."""
    padded = total = 0.0
    for batch in batches:
        if isinstance(batch, tuple):
            batch = batch[0]
        durs = [c.duration for c in batch]
        if durs:
            padded += max(durs) * len(durs)
            total += sum(durs)
    return 0.0 if not padded else (padded - total) / padded
