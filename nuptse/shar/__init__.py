"""Lhotse Shar: cuts and their data in sequentially readable, sharded tar files.

A Shar directory holds, per shard ``N``, ``cuts.N.jsonl.gz`` and one file per
field (``recording.N.tar``, ``features.N.tar``, ...).  Shards interchange
with lhotse 1.33 both ways.  ``CutSet.to_shar``/``CutSet.from_shar`` call
:func:`export_cuts_to_shar` and :func:`read_cuts_from_shar`.
"""

from nuptse.shar.api import export_cuts_to_shar, read_cuts_from_shar
from nuptse.shar.errors import (
    CorruptShardError,
    PipeNotAllowedError,
    SharError,
    SharLayoutError,
    SharMismatchError,
    TruncatedShardError,
    UnsafeMemberError,
)
from nuptse.shar.readers import LazySharIterator, TarIterator
from nuptse.shar.split import pytorch_worker_info, split_by_node, split_by_worker
from nuptse.shar.utils import fill_shar_placeholder, to_shar_placeholder
from nuptse.shar.writers import (
    ArrayTarWriter,
    AudioTarWriter,
    JsonlShardWriter,
    SharWriter,
    TarWriter,
)

__all__ = [
    "ArrayTarWriter",
    "AudioTarWriter",
    "CorruptShardError",
    "JsonlShardWriter",
    "LazySharIterator",
    "PipeNotAllowedError",
    "SharError",
    "SharLayoutError",
    "SharMismatchError",
    "SharWriter",
    "TarIterator",
    "TarWriter",
    "TruncatedShardError",
    "UnsafeMemberError",
    "export_cuts_to_shar",
    "fill_shar_placeholder",
    "pytorch_worker_info",
    "read_cuts_from_shar",
    "split_by_node",
    "split_by_worker",
    "to_shar_placeholder",
]
