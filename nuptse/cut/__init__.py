"""Cuts: spans of recordings with their supervisions and features, and sets of them."""

from nuptse.cut import compute as _compute  # noqa: F401  (lends the extraction pipeline)
from nuptse.cut.base import LOG_EPSILON, Cut, CutError
from nuptse.cut.custom import Array, TemporalArray
from nuptse.cut.data import DataCut
from nuptse.cut.describe import CutStatistics
from nuptse.cut.mixed import MixedCut, MixTrack
from nuptse.cut.mixing import mix, pad_cut
from nuptse.cut.mono import MonoCut
from nuptse.cut.multi import MultiCut
from nuptse.cut.padding import PaddingCut
from nuptse.cut.set import CutSet

__all__ = [
    "LOG_EPSILON",
    "mix",
    "pad_cut",
    "Array",
    "Cut",
    "CutError",
    "CutSet",
    "CutStatistics",
    "DataCut",
    "MixTrack",
    "MixedCut",
    "MonoCut",
    "MultiCut",
    "PaddingCut",
    "TemporalArray",
]
