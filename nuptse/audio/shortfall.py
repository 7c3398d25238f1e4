"""A warning, once per file, when decoded audio is shorter than its manifest says.

Within the duration-mismatch tolerance (lhotse's 0.5 s by default) a short
decode is padded with zeros, as lhotse does, so that lossy codecs' few
missing samples do not break training. A file that lost its tail (a
truncated download or copy) takes the same path, so the padding must not be
silent: the first time a file comes back short by more than a couple of
samples, :func:`warn_shortfall` warns naming it and the shortfall. A bigger
gap raises ``DurationMismatchError`` before this is reached.
"""

from __future__ import annotations

import logging
import threading
import warnings

__all__ = ["AudioShortfallWarning", "warn_shortfall", "SLACK_SAMPLES"]

logger = logging.getLogger(__name__)

#: rounding of resampling and speed transforms: shortfalls up to this are not reported
SLACK_SAMPLES = 2

_warned: set[str] = set()
_lock = threading.Lock()


class AudioShortfallWarning(UserWarning):
    """Decoded audio was shorter than the manifest declares and was padded with zeros."""


def warn_shortfall(where: str, got: int, expected: int, sampling_rate: int) -> None:
    """Warn (once per ``where``) that ``expected - got`` samples were padded with zeros."""
    missing = expected - got
    if missing <= SLACK_SAMPLES:
        return
    with _lock:
        if where in _warned:
            return
        _warned.add(where)
    warnings.warn(
        f"{where}: decoding gave {got} samples but the manifest implies {expected}; the "
        f"missing {missing} samples ({missing / sampling_rate:.3f} s) were padded with zeros. "
        "The file may be truncated or the manifest wrong (warned once per file).",
        AudioShortfallWarning,
        stacklevel=3,
    )
