"""Supervision manifests: labelled time spans of recordings.

* :class:`AlignmentItem` -- one aligned symbol (word, phone, ...).
* :class:`SupervisionSegment` -- a segment with transcript, speaker, alignments.
* :class:`SupervisionSet` -- a manifest set of segments with :meth:`~SupervisionSet.find`.
* RTTM and CTM reading/writing, and validation helpers.
"""

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

__all__ = [
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
