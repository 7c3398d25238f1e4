"""Cuts: spans of recordings with their supervisions and features, and sets of them."""

from nuptse.cut import compute as _compute  # noqa: F401  (lends the extraction pipeline)
from nuptse.cut.base import LOG_EPSILON, Cut, CutError
from nuptse.cut.custom import Array, TemporalArray
from nuptse.cut.data import DataCut
from nuptse.cut.describe import CutSetStatistics, CutStatistics
from nuptse.cut.masks import supervisions_frame_mask as compute_supervisions_frame_mask
from nuptse.cut.mixed import MixedCut, MixTrack
from nuptse.cut.mixing import append_cuts, mix, mix_cuts, pad_cut
from nuptse.cut.mono import MonoCut
from nuptse.cut.multi import MultiCut
from nuptse.cut.padding import PaddingCut
from nuptse.cut.set import CutSet, create_cut_set_eager, create_cut_set_lazy

__all__ = [
    "LOG_EPSILON",
    "append_cuts",
    "compute_supervisions_frame_mask",
    "create_cut_set_eager",
    "create_cut_set_lazy",
    "mix",
    "mix_cuts",
    "pad_cut",
    "Array",
    "Cut",
    "CutError",
    "CutSet",
    "CutSetStatistics",
    "CutStatistics",
    "DataCut",
    "MixTrack",
    "MixedCut",
    "MonoCut",
    "MultiCut",
    "PaddingCut",
    "TemporalArray",
]
