"""lilcom compression with the checks the raw codec does not make.

``lilcom.compress`` quantizes a float32 C-contiguous input *in place*, and
silently clips values of magnitude ``2**(31 + tick_power)`` or more (and
fails obscurely on NaN/inf). We compress a private float32 copy, so the
caller's array is never modified, and refuse arrays with values lilcom
would not read back within its accuracy instead of storing them wrong.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import CorruptedFeaturesError, FeaturesStorageError

DEFAULT_TICK_POWER = -5


def max_lilcom_error(tick_power: int = DEFAULT_TICK_POWER) -> float:
    """The absolute error lilcom guarantees for moderate values: half a tick.

    >>> max_lilcom_error(-5)
    0.015625
    """
    return 2.0 ** (tick_power - 1)


_LILCOM = None


def _lilcom():
    global _LILCOM
    if _LILCOM is None:
        try:
            import lilcom
        except ImportError as e:  # pragma: no cover - lilcom is a hard dependency
            raise ImportError("lilcom storage needs 'pip install lilcom'") from e
        _LILCOM = lilcom
    return _LILCOM


def storable_limit(tick_power: int) -> float:
    """lilcom keeps ``value / 2**tick_power`` in an int32: larger magnitudes are clipped.

    >>> storable_limit(-5)
    67108864.0
    """
    return 2.0 ** (31 + tick_power)


def as_float32_copy(value: Any, path: Any, key: Any) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise FeaturesStorageError(
            f"lilcom stores real numbers only, got dtype {arr.dtype}", path, key
        )
    if not 1 <= arr.ndim <= 15:
        raise FeaturesStorageError(
            f"lilcom stores arrays with 1 to 15 axes, got shape {arr.shape}", path, key
        )
    if arr.size == 0:
        raise FeaturesStorageError(f"lilcom cannot store an empty array {arr.shape}", path, key)
    return np.array(arr, dtype=np.float32, order="C", copy=True)


def check_storable(buf: np.ndarray, tick_power: int, path: Any, key: Any) -> None:
    """Raise unless every value of ``buf`` is finite and below lilcom's clipping limit.

    Two reductions and no temporaries: cheap next to the codec itself.
    """
    limit = storable_limit(tick_power)
    lo, hi = buf.min(), buf.max()
    if -limit < lo and hi < limit:  # False for NaN too
        return
    with np.errstate(invalid="ignore"):
        bad_mask = ~(np.abs(buf) < limit)
    bad = np.unravel_index(int(np.argmax(bad_mask)), buf.shape)
    raise FeaturesStorageError(
        f"lilcom cannot store element {tuple(int(i) for i in bad)} = {buf[bad]!r} "
        f"(tick_power={tick_power}): values must be finite and smaller than {limit:.8g} "
        "in magnitude, or they would read back wrong; use numpy storage instead",
        path,
        key,
    )


def compress_checked(
    value: np.ndarray, tick_power: int, path: Any, key: Any, buf: np.ndarray | None = None
) -> bytes:
    """Compress ``value`` after checking that it will read back within lilcom's accuracy.

    ``buf`` may be a checked float32 C-contiguous copy of ``value`` that we
    own (lilcom overwrites it); otherwise one is made and checked.
    """
    lilcom = _lilcom()
    if buf is None:
        buf = as_float32_copy(value, path, key)
        check_storable(buf, tick_power, path, key)
    try:
        return lilcom.compress(buf, tick_power=tick_power)
    except Exception as e:
        raise FeaturesStorageError(
            f"lilcom could not compress an array of shape {buf.shape}: {e}", path, key
        ) from e


def decompress_checked(data: bytes, path: Any, key: Any) -> np.ndarray:
    """Decode lilcom bytes, turning the codec's errors into ``CorruptedFeaturesError``."""
    lilcom = _lilcom()
    try:
        return lilcom.decompress(data)
    except Exception as e:
        raise CorruptedFeaturesError(
            f"stored lilcom data ({len(data)} bytes) could not be decoded: {e}", path, key
        ) from e
