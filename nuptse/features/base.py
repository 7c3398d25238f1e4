"""lhotse's ``features.base`` names, defined in modules split by concept.

* :mod:`nuptse.features.extractor`: :class:`FeatureExtractor`, the registry
  and :class:`TorchaudioFeatureExtractor`;
* :mod:`nuptse.features.manifest`: :class:`Features`, :class:`FeatureSet`,
  :func:`store_feature_array` and :func:`compute_global_stats`;
* :mod:`nuptse.features.builder`: :class:`FeatureSetBuilder`;
* :mod:`nuptse.features.stats`: :class:`StatsAccumulator`.
"""

from nuptse.features.builder import FailedRecording, FeatureSetBuilder
from nuptse.features.extractor import (
    FEATURE_EXTRACTORS,
    AugmentFn,
    FeatureExtractor,
    TorchaudioFeatureExtractor,
    UnknownFeatureExtractorError,
    create_default_feature_extractor,
    get_extractor_type,
    register_extractor,
)
from nuptse.features.manifest import (
    Features,
    FeatureSet,
    compute_global_stats,
    store_feature_array,
)
from nuptse.features.stats import StatsAccumulator

__all__ = [
    "AugmentFn",
    "FEATURE_EXTRACTORS",
    "FailedRecording",
    "FeatureExtractor",
    "FeatureSet",
    "FeatureSetBuilder",
    "Features",
    "StatsAccumulator",
    "TorchaudioFeatureExtractor",
    "UnknownFeatureExtractorError",
    "compute_global_stats",
    "create_default_feature_extractor",
    "get_extractor_type",
    "register_extractor",
    "store_feature_array",
]
