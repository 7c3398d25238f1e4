"""``shar``: the storage type of features and arrays inside Shar cut manifests.

A cut read from ``cuts.N.jsonl.gz`` alone carries placeholders; the Shar
reader replaces them with the data of the matching tar member.  Reading a
placeholder directly is an error that says so.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .base import FeaturesReader, register_reader
from .errors import SharPlaceholderFeaturesError


@register_reader
class DummySharReader(FeaturesReader):
    """Refuses to read: the data of a ``shar`` placeholder lives in the Shar tar files."""

    name = "shar"

    def __init__(self, storage_path: Any = None, *args, **kwargs) -> None:
        self.storage_path = storage_path

    def read(
        self, key: Any, left_offset_frames: int = 0, right_offset_frames: Optional[int] = None
    ) -> np.ndarray:
        raise SharPlaceholderFeaturesError(
            "this array is a Shar placeholder; its data is filled in only when the cut is "
            "read through a Shar reader (CutSet.from_shar)",
            self.storage_path,
            key,
        )
