"""In-memory backends: the ``storage_key`` is the serialized array itself.

``memory_lilcom`` holds lilcom bytes, ``memory_raw`` a pickled ndarray (the
format lhotse writes) and ``memory_npy`` (read-only) ``.npy`` bytes. Their
``storage_path`` is ``None``. The ``memory_raw`` reader unpickles only numpy
arrays: anything else in the bytes is refused rather than executed.
"""

from __future__ import annotations

import io
import pickle
from typing import Any, Optional

import numpy as np

from ._lilcom import DEFAULT_TICK_POWER, compress_checked, decompress_checked
from .base import FeaturesReader, FeaturesWriter, register_reader, register_writer, warn_unused
from .errors import CorruptedFeaturesError, FeaturesStorageError, check_offsets
from .files import read_npy_rows


def _as_bytes(raw_data: Any, key_for_errors: Any = None) -> bytes:
    if isinstance(raw_data, bytes):
        return raw_data
    if isinstance(raw_data, (bytearray, memoryview)):
        return bytes(raw_data)
    raise FeaturesStorageError(
        f"in-memory storage key must be bytes, got {type(raw_data).__name__}", None, key_for_errors
    )


@register_writer
class MemoryLilcomWriter(FeaturesWriter):
    """Returns lilcom-compressed bytes as the key; nothing is written anywhere.

    >>> import numpy as np
    >>> blob = MemoryLilcomWriter().write("utt", np.ones((3, 2), dtype=np.float32))
    >>> MemoryLilcomReader().read(blob).tolist()
    [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    """

    name = "memory_lilcom"

    def __init__(self, *args, lilcom_tick_power: int = DEFAULT_TICK_POWER, **kwargs) -> None:
        warn_unused(type(self).__name__, args, kwargs)
        self.lilcom_tick_power = lilcom_tick_power

    @property
    def storage_path(self) -> None:
        return None

    def write(self, key: str, value: np.ndarray) -> bytes:
        arr = np.asarray(value)
        if arr.dtype.kind != "f":
            raise FeaturesStorageError(
                f"memory_lilcom stores floating-point arrays only, got dtype {arr.dtype}", None, key
            )
        return compress_checked(arr, self.lilcom_tick_power, None, key)


@register_reader
class MemoryLilcomReader(FeaturesReader):
    """Decodes the lilcom bytes given as the key."""

    name = "memory_lilcom"

    def __init__(self, *args, **kwargs) -> None:
        pass

    def read(
        self,
        raw_data: bytes,
        left_offset_frames: int = 0,
        right_offset_frames: Optional[int] = None,
    ) -> np.ndarray:
        check_offsets(left_offset_frames, right_offset_frames, None, raw_data)
        arr = decompress_checked(_as_bytes(raw_data), None, raw_data)
        return arr[left_offset_frames:right_offset_frames]


@register_writer
class MemoryRawWriter(FeaturesWriter):
    """Returns the pickled array as the key (lhotse's ``memory_raw`` format)."""

    name = "memory_raw"

    def __init__(self, *args, **kwargs) -> None:
        warn_unused(type(self).__name__, args, kwargs)

    @property
    def storage_path(self) -> None:
        return None

    def write(self, key: str, value: np.ndarray) -> bytes:
        arr = np.asarray(value)
        if arr.dtype.hasobject:
            raise FeaturesStorageError(
                f"memory_raw cannot store object arrays (dtype {arr.dtype})", None, key
            )
        return pickle.dumps(arr)


_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
}


#: Globals already resolved by _ArrayUnpickler (only allowed ones get here).
_RESOLVED: dict[tuple[str, str], Any] = {}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        found = _RESOLVED.get((module, name))
        if found is not None:
            return found
        if (module, name) in _ALLOWED_GLOBALS or (
            module == "numpy.dtypes" and name.endswith("DType")
        ):
            found = _RESOLVED[(module, name)] = super().find_class(module, name)
            return found
        raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}")


@register_reader
class MemoryRawReader(FeaturesReader):
    """Unpickles the ndarray given as the key, refusing any other pickled object."""

    name = "memory_raw"

    def __init__(self, *args, **kwargs) -> None:
        pass

    def read(
        self,
        raw_data: bytes,
        left_offset_frames: int = 0,
        right_offset_frames: Optional[int] = None,
    ) -> np.ndarray:
        check_offsets(left_offset_frames, right_offset_frames, None, raw_data)
        data = _as_bytes(raw_data)
        try:
            arr = _ArrayUnpickler(io.BytesIO(data)).load()
        except Exception as e:
            raise CorruptedFeaturesError(f"not a pickled numpy array: {e}", None, raw_data) from e
        if not isinstance(arr, np.ndarray) or arr.dtype.hasobject:
            raise CorruptedFeaturesError(
                f"unpickled a {type(arr).__name__}, not a numeric numpy array", None, raw_data
            )
        return arr[left_offset_frames:right_offset_frames]


@register_reader
class MemoryNpyReader(FeaturesReader):
    """Reads ``.npy`` bytes (lhotse's ``memory_npy``; there is no writer)."""

    name = "memory_npy"

    def __init__(self, *args, **kwargs) -> None:
        pass

    def read(
        self,
        raw_data: bytes,
        left_offset_frames: int = 0,
        right_offset_frames: Optional[int] = None,
    ) -> np.ndarray:
        check_offsets(left_offset_frames, right_offset_frames, None, raw_data)
        data = _as_bytes(raw_data)
        try:
            return read_npy_rows(io.BytesIO(data), left_offset_frames, right_offset_frames)
        except FeaturesStorageError:
            raise
        except Exception as e:
            raise CorruptedFeaturesError(f"not .npy bytes: {e}", None, raw_data) from e
