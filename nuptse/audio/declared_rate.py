"""The sampling rate a manifest declares must be the file's, except for Opus.

Opus always decodes at 48 kHz and records the rate of the audio it was made
from, so an Opus recording declared at 16 kHz is legitimately resampled on
load. Any other file whose real rate differs from the manifest's was
described wrongly (an 8 kHz claim for a 16 kHz file): resampling it quietly
would hand out audio at the wrong speed or bandwidth, so it raises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nuptse.audio.errors import SamplingRateMismatchError

__all__ = ["is_opus", "check_declared_rate"]


def _head(src: Any, n: int = 64) -> bytes:
    try:
        if isinstance(src, (str, Path)):
            with open(src, "rb") as f:
                return f.read(n)
        pos = src.tell()
        try:
            return src.read(n)
        finally:
            src.seek(pos)
    except Exception:  # noqa: BLE001 - unknown: treat as not Opus
        return b""


def is_opus(src: Any) -> bool:
    """True for an Ogg stream whose first packet is an Opus header."""
    head = _head(src)
    return head[:4] == b"OggS" and b"OpusHead" in head


def check_declared_rate(src: Any, declared: int, actual: int) -> None:
    """Raise :class:`SamplingRateMismatchError` when a non-Opus ``src`` is not at ``declared``."""
    if declared == actual or is_opus(src):
        return
    where = str(src) if isinstance(src, (str, Path)) else getattr(src, "name", "<in-memory audio>")
    raise SamplingRateMismatchError(
        f"{where} is sampled at {actual} Hz but its manifest declares {declared} Hz; fix the "
        "manifest's sampling_rate (and num_samples), or add a Resample transform "
        "(recording.resample) to convert it on purpose"
    )
