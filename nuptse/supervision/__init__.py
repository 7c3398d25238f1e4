"""Supervision manifests: labelled time spans of recordings.

* :class:`AlignmentItem` -- one aligned symbol (word, phone, ...).
* :class:`SupervisionSegment` -- a segment with transcript, speaker, alignments.
* :class:`SupervisionSet` -- a manifest set of segments with :meth:`~SupervisionSet.find`.
* RTTM and CTM reading/writing, and validation helpers.
"""

from nuptse.manifest import AlgorithmMixin, Serializable, split_manifest_lazy
from nuptse.supervision.alignment import AlignmentItem
from nuptse.supervision.custom import (
    CustomFieldMixin,
    deserialize_custom_field,
    register_custom_deserializer,
)
from nuptse.supervision.formats import CtmParseError, RttmParseError, read_ctm, read_rttm, write_ctm
from nuptse.supervision.segment import SupervisionSegment
from nuptse.supervision.set import SupervisionSet
from nuptse.supervision.validation import (
    InvalidSupervisionError,
    validate_supervision,
    validate_supervision_set,
    validate_supervisions,
)
from nuptse.utils import (
    TimeSpan,
    add_durations,
    asdict_nonull,
    compute_num_samples,
    exactly_one_not_null,
    fastcopy,
    ifnone,
    is_equal_or_contains,
    overspans,
    perturb_num_samples,
    split_sequence,
)

__all__ = [
    # lhotse.supervision also exposes these helpers it imports
    "AlgorithmMixin",
    "Serializable",
    "TimeSpan",
    "add_durations",
    "asdict_nonull",
    "compute_num_samples",
    "exactly_one_not_null",
    "fastcopy",
    "ifnone",
    "is_equal_or_contains",
    "overspans",
    "perturb_num_samples",
    "split_manifest_lazy",
    "split_sequence",
    # supervision manifests
    "AlignmentItem",
    "CtmParseError",
    "CustomFieldMixin",
    "InvalidSupervisionError",
    "RttmParseError",
    "SupervisionSegment",
    "SupervisionSet",
    "deserialize_custom_field",
    "read_ctm",
    "read_rttm",
    "register_custom_deserializer",
    "validate_supervision",
    "validate_supervision_set",
    "validate_supervisions",
    "write_ctm",
]
