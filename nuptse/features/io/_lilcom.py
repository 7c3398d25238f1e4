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
        if buf.ndim == 2 and _fast_path_ok():
            return _compress_2d(buf, tick_power)
        return lilcom.compress(buf, tick_power=tick_power)
    except Exception as e:
        raise FeaturesStorageError(
            f"lilcom could not compress an array of shape {buf.shape}: {e}", path, key
        ) from e


# --- a faster front end for 2-D arrays ---------------------------------------------
#
# ``lilcom.compress`` spends about a tenth of its time in a numpy front end that
# picks one prediction coefficient per axis (lag-1 autocorrelation over the
# previous element, dropped below 0.02 in magnitude, clipped to [-1, 1], sent as
# round(256 * c)), mostly on temporaries. We compute the same coefficients with
# four BLAS dot products and call lilcom's C encoder directly. A coefficient is
# only a prediction hint stored in the stream, so even one that differed would
# change the size, not the decoded values; a one-time self-test falls back to
# ``lilcom.compress`` if the two ever disagree (e.g. a future lilcom).

_FAST = None  # None: untested; False: unavailable; else the C compress function


def _quantized(c: float) -> float:
    if abs(c) < 0.02:
        return 0.0
    return min(1.0, max(-1.0, c))


def _regression_meta(a: np.ndarray, tick_power: int) -> list[int]:
    """``[tick_power, c_time, c_feature]`` for a float32 C-contiguous (T, D) array."""
    frames, dim = a.shape
    flat = a.reshape(-1)
    c0 = c1 = 0.0
    work = a
    if frames > 1:
        head = flat[:-dim]
        c0 = _quantized(float(np.dot(head, flat[dim:])) / (float(np.dot(head, head)) + 1e-20))
        if c0:
            work = np.empty_like(a)
            work[0] = a[0]
            np.multiply(a[:-1], np.float32(-c0), out=work[1:])
            work[1:] += a[1:]
    if dim > 1:
        wf = work.reshape(-1)
        last = work[:, -1]
        # Pairs along the feature axis = neighbours in the flat array minus the row seams.
        num = float(np.dot(wf[:-1], wf[1:])) - float(np.dot(last[:-1], work[1:, 0]))
        den = float(np.dot(wf, wf)) - float(np.dot(last, last))
        c1 = _quantized(num / (den + 1e-20))
    return [tick_power, round(c0 * 256), round(c1 * 256)]


def _compress_2d(buf: np.ndarray, tick_power: int) -> bytes:
    data = _FAST(buf, _regression_meta(buf, tick_power))
    if not isinstance(data, bytes):
        raise RuntimeError(f"lilcom's encoder returned {data!r}")
    return data


def _fast_path_ok() -> bool:
    global _FAST
    if _FAST is None:
        _FAST = False
        try:
            import lilcom_extension

            fast = lilcom_extension.compress_float
            rng = np.random.default_rng(0)
            probe = np.cumsum(rng.standard_normal((37, 11)), axis=0).astype(np.float32)
            ref = _lilcom().compress(probe.copy(), tick_power=-5)
            _FAST = fast
            if _compress_2d(probe.copy(), -5) != ref:
                _FAST = False
        except Exception:
            _FAST = False
    return _FAST is not False


def decompress_checked(data: bytes, path: Any, key: Any) -> np.ndarray:
    """Decode lilcom bytes, turning the codec's errors into ``CorruptedFeaturesError``."""
    lilcom = _lilcom()
    try:
        return lilcom.decompress(data)
    except Exception as e:
        raise CorruptedFeaturesError(
            f"stored lilcom data ({len(data)} bytes) could not be decoded: {e}", path, key
        ) from e
