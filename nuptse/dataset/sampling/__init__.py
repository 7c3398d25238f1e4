"""Samplers that group cuts into batches by duration, across ranks and workers.

Every sampler yields ``CutSet`` batches (tuples of them for paired input),
spreads them over distributed ranks (and, through
:class:`~nuptse.dataset.iterable_dataset.IterableDatasetWrapper`, over
DataLoader workers) so that each cut is yielded once per epoch, and saves
its exact position in ``state_dict()`` so that ``load_state_dict()``
resumes with the very next batch without replaying the epoch.
"""

from __future__ import annotations

from nuptse.exports import lazy_exports

_P = "nuptse.dataset.sampling."

_EXPORTS: dict[str, str] = {
    "BucketingSampler": _P + "bucketing",
    "CutPairsSampler": _P + "cut_pairs",
    "CutSampler": _P + "base",
    "DynamicBucketingSampler": _P + "dynamic_bucketing",
    "DynamicCutSampler": _P + "dynamic",
    "RoundRobinSampler": _P + "round_robin",
    "SamplingConstraint": _P + "base",
    "SamplingDiagnostics": _P + "base",
    "SimpleCutSampler": _P + "simple",
    "StatelessSampler": _P + "stateless",
    "TimeConstraint": _P + "base",
    "TokenConstraint": _P + "base",
    "WeightedSimpleCutSampler": _P + "weighted_simple",
    "ZipSampler": _P + "zip",
    "estimate_duration_buckets": _P + "dynamic_bucketing",
    "find_pessimistic_batches": _P + "utils",
    "report_padding_ratio_estimate": _P + "utils",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports("nuptse.dataset.sampling", _EXPORTS, globals())
