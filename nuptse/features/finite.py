"""Refuse NaN and infinity in audio and features, naming the item they came from.

A single NaN sample turns every frame it touches into NaN features, and a
model trained on them diverges far from the cause. Extraction calls
:func:`check_finite` on each cut's audio and features; the on-the-fly dataset
path calls it on what it is about to return.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

__all__ = ["NonFiniteError", "NonFiniteWarning", "check_finite", "count_non_finite"]


class NonFiniteError(ValueError):
    """Audio or features hold NaN or infinite values."""


class NonFiniteWarning(UserWarning):
    """Audio or features hold NaN or infinite values (``on_non_finite="warn"``)."""


def count_non_finite(values: Any) -> int:
    """How many entries of a numpy array or torch tensor are NaN or infinite."""
    if hasattr(values, "isfinite") and not hasattr(values, "__array_interface__"):
        import torch

        if torch.is_floating_point(values) or torch.is_complex(values):
            return int((~torch.isfinite(values)).sum())
        return 0
    import numpy as np

    arr = np.asarray(values)
    if arr.dtype.kind not in "fc":
        return 0
    return int(arr.size - np.count_nonzero(np.isfinite(arr)))


def check_finite(
    values: Any,
    what: str,
    item: Optional[str] = None,
    on_non_finite: str = "raise",
) -> Any:
    """Return ``values`` unchanged if every entry is finite; otherwise raise or warn.

    ``what`` says what the values are (``"audio"``, ``"features"``), ``item``
    whose they are (a cut id). ``on_non_finite``: ``"raise"`` (a
    :class:`NonFiniteError`), ``"warn"`` (a :class:`NonFiniteWarning`) or
    ``"ignore"``.

    >>> import numpy as np
    >>> check_finite(np.zeros(3), "audio", "cut-1").tolist()
    [0.0, 0.0, 0.0]
    >>> check_finite(np.array([0.0, np.nan]), "audio", "cut-1")
    Traceback (most recent call last):
    ...
    nuptse.features.finite.NonFiniteError: audio of 'cut-1' has 1 NaN or infinite value(s) out of 2
    """
    if on_non_finite not in ("raise", "warn", "ignore"):
        raise ValueError(
            f"on_non_finite must be 'raise', 'warn' or 'ignore', got {on_non_finite!r}"
        )
    if on_non_finite == "ignore":
        return values
    bad = count_non_finite(values)
    if bad:
        size = values.numel() if callable(getattr(values, "numel", None)) else values.size
        whose = f" of {item!r}" if item is not None else ""
        msg = f"{what}{whose} has {bad} NaN or infinite value(s) out of {size}"
        if on_non_finite == "raise":
            raise NonFiniteError(msg)
        warnings.warn(msg, NonFiniteWarning, stacklevel=2)
    return values
