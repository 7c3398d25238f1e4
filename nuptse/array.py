"""Array manifests at lhotse's ``lhotse.array`` path.

The classes live in :mod:`nuptse.features.array`; this module re-exports
them for code written against lhotse and adds :func:`deserialize_array`.

>>> a = deserialize_array({"storage_type": "numpy_files", "storage_path": "d",
...                        "storage_key": "k.npy", "shape": [10, 4]})
>>> type(a).__name__, a.ndim
('Array', 2)
"""

from __future__ import annotations

from typing import Union

from nuptse.exports import lazy_exports
from nuptse.features.array import Array, TemporalArray
from nuptse.features.array import frame_index as seconds_to_frames  # lhotse's: halves round up
from nuptse.utils import fastcopy

__all__ = [
    "Array",
    "TemporalArray",
    "deserialize_array",
    "fastcopy",
    "pad_array",  # noqa: F822 (resolved lazily below)
    "seconds_to_frames",
]

# defined with cut mixing, which pads arrays to a padded cut's duration
__getattr__, __dir__ = lazy_exports(__name__, {"pad_array": "nuptse.cut.mixing"}, globals())


def deserialize_array(raw_data: dict) -> Union[Array, TemporalArray]:
    """An :class:`Array` or :class:`TemporalArray` from its ``to_dict()`` form.

    A temporal array's dict nests its array under ``"array"``; a plain
    array's has a ``"shape"``.  Anything else raises ``ValueError``.
    """
    if "array" in raw_data:
        return TemporalArray.from_dict(raw_data)
    if "shape" in raw_data:
        return Array.from_dict(raw_data)
    raise ValueError(f"Not an Array or TemporalArray manifest: {raw_data!r}")
