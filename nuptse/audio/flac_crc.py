"""Check FLAC frame CRCs, so that a damaged file raises instead of decoding to other audio.

Every FLAC frame ends with a CRC-16 of its bytes, but libsndfile decodes a
frame whose CRC does not match and returns the damaged samples without an
error. Whole reads of FLAC (files read from the start to the end, Shar
members, memory sources) are therefore checked here with FFmpeg's decoder in
CRC-checking mode, which is about as fast as libsndfile's decode; 16-bit
streams are decoded by that same checked pass (no second decode). Reads of
a part of a file are not checked unless ``NUPTSE_VERIFY_FLAC=all``, which
checks each file once per process; ``NUPTSE_VERIFY_FLAC=0`` turns the checks
off. Without PyAV nothing is checked.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Optional

from nuptse.audio.errors import CorruptAudioError

__all__ = ["FlacCrcError", "VERIFY_ENV", "flac_crc_error", "verify_mode", "check_flac"]

VERIFY_ENV = "NUPTSE_VERIFY_FLAC"

_checked: dict[tuple, Optional[str]] = {}
_UNKNOWN = object()  # "not checked yet" (verdicts are None or a message)
_lock = threading.Lock()


class FlacCrcError(CorruptAudioError):
    """A FLAC frame's CRC does not match its bytes: the file is damaged."""


def verify_mode() -> str:
    """``"whole"`` (default), ``"all"`` or ``"off"``, from ``NUPTSE_VERIFY_FLAC``."""
    raw = os.environ.get(VERIFY_ENV, "").strip().lower()
    if raw in ("0", "off", "false", "no"):
        return "off"
    if raw == "all":
        return "all"
    return "whole"


def flac_crc_error(data: bytes) -> Optional[str]:
    """None when every frame of the FLAC stream ``data`` decodes with a matching CRC (or
    the check is not possible here), else what FFmpeg's decoder reported."""
    from nuptse.audio.flac import _split_header, parse_streaminfo

    parts = _split_header(data)
    if parts is None:
        return None
    info, first = parts
    total = parse_streaminfo(info)[5]
    try:
        import av
    except ImportError:  # pragma: no cover - PyAV is a dependency
        return None
    try:
        ctx = av.CodecContext.create("flac", "r")
        ctx.extradata = info
        ctx.options = {"err_detect": "crccheck+explode"}
        frames = ctx.decode(av.Packet(data[first:]))
        frames += ctx.decode(None)
    except av.error.FFmpegError as e:
        return f"{type(e).__name__}: {e}"
    # Handed the whole stream as one packet, the checking decoder stops at the first frame
    # whose CRC fails: fewer samples than STREAMINFO declares means a damaged frame.
    got = sum(f.samples for f in frames)
    if total and got != total:
        return f"decoding stopped after {got} of {total} samples"
    return None


def check_flac(get_bytes: Callable[[], bytes], where: str, key: Optional[tuple] = None) -> None:
    """Raise :class:`FlacCrcError` naming ``where`` if the FLAC stream has a damaged frame.

    ``get_bytes`` is called only when a check is needed; with ``key`` (a
    file's identity: path, inode, size, mtime) the verdict is kept for the
    process, so a file is decoded for checking once.
    """
    with _lock:
        error = _checked.get(key, _UNKNOWN) if key is not None else _UNKNOWN
    if error is _UNKNOWN:
        error = flac_crc_error(get_bytes())
        if key is not None:
            with _lock:
                _checked[key] = error
    if error is not None:
        raise FlacCrcError(
            f"Damaged or truncated FLAC data in {where}: a frame failed its CRC check or "
            f"the stream ended early ({error}). {VERIFY_ENV}=0 turns this check off."
        )
