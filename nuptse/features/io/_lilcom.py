"""lilcom compression with the checks the raw codec does not make.

``lilcom.compress`` quantizes a float32 C-contiguous input *in place* and
silently clips values beyond about ``2**(31 + tick_power)``. We compress a
private float32 copy (the caller's array is never modified) and, since the
copy then holds exactly what the decoder will return, compare it with the
input: an array that would not read back within lilcom's accuracy raises
instead of being stored.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import CorruptedFeaturesError, FeaturesStorageError

DEFAULT_TICK_POWER = -5
# Relative slack for float32 rounding inside lilcom's reconstruction of large values.
_RELATIVE_SLACK = 2.0**-20


def max_lilcom_error(tick_power: int = DEFAULT_TICK_POWER) -> float:
    """The absolute error lilcom guarantees for moderate values: half a tick.

    >>> max_lilcom_error(-5)
    0.015625
    """
    return 2.0 ** (tick_power - 1)


def _lilcom():
    try:
        import lilcom
    except ImportError as e:  # pragma: no cover - lilcom is a hard dependency
        raise ImportError("lilcom storage needs 'pip install lilcom'") from e
    return lilcom


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


def compress_checked(
    value: np.ndarray, tick_power: int, path: Any, key: Any, buf: np.ndarray | None = None
) -> bytes:
    """Compress ``value`` and verify the decoded values lie within lilcom's accuracy.

    ``buf`` may be a float32 C-contiguous copy of ``value`` that we own (it is
    overwritten); otherwise one is made.
    """
    lilcom = _lilcom()
    if buf is None:
        buf = as_float32_copy(value, path, key)
    try:
        with np.errstate(all="ignore"):  # non-finite input is reported below
            data = lilcom.compress(buf, tick_power=tick_power)
    except Exception as e:
        raise FeaturesStorageError(
            f"lilcom could not compress an array of shape {buf.shape}: {e}", path, key
        ) from e
    limit = max_lilcom_error(tick_power) * 1.0001
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(buf - value)
        if not diff.max() <= limit:
            # Large values carry float32 rounding on top of the half tick.
            ok = diff <= limit + _RELATIVE_SLACK * np.abs(np.asarray(value, dtype=np.float64))
            if not ok.all():
                bad = np.unravel_index(int(np.argmin(ok)), ok.shape)
                raise FeaturesStorageError(
                    "lilcom would not store this array faithfully "
                    f"(tick_power={tick_power}): element {tuple(int(i) for i in bad)} = "
                    f"{np.asarray(value)[bad]!r} would read back as {buf[bad]!r}. "
                    "Values must be finite and below about "
                    f"{2.0 ** (31 + tick_power):.3g} in magnitude; use numpy storage instead",
                    path,
                    key,
                )
    return data


def decompress_checked(data: bytes, path: Any, key: Any) -> np.ndarray:
    """Decode lilcom bytes, turning the codec's errors into ``CorruptedFeaturesError``."""
    lilcom = _lilcom()
    try:
        return lilcom.decompress(data)
    except Exception as e:
        raise CorruptedFeaturesError(
            f"stored lilcom data ({len(data)} bytes) could not be decoded: {e}", path, key
        ) from e
