"""libsox's ``rate`` effect through ctypes, for the ``"sox"`` resampling backend.

libsox is loaded on the first resampling (or :func:`libsox_import`), not at
import, so choosing the backend costs nothing; without the library both
raise ``RuntimeError``.  :data:`LIBSOX_INITIALIZED` says whether ``sox_init``
has run in this process; :func:`libsox_cleanup` (also run at exit) undoes it.

The conversion runs one effects chain per call on float32 mono audio held in
memory: ``input`` (a raw float32 buffer) -> ``rate -v -I -b 99`` -> ``output``
(another buffer), as ``sox -r IN in.f32 -r OUT out.f32 rate -v -I`` would.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
from typing import Any

import numpy as np

libsox: Any = None
LIBSOX_INITIALIZED = False

_SOX_SUCCESS = 0
_SOX_ENCODING_FLOAT = 3
_c_free: Any = None


class _SignalInfo(ctypes.Structure):  # sox_signalinfo_t
    _fields_ = [
        ("rate", ctypes.c_double),
        ("channels", ctypes.c_uint),
        ("precision", ctypes.c_uint),
        ("length", ctypes.c_uint64),
        ("mult", ctypes.POINTER(ctypes.c_double)),
    ]


class _EncodingInfo(ctypes.Structure):  # sox_encodinginfo_t
    _fields_ = [
        ("encoding", ctypes.c_uint),
        ("bits_per_sample", ctypes.c_uint),
        ("compression", ctypes.c_double),
        ("reverse_bytes", ctypes.c_uint),
        ("reverse_nibbles", ctypes.c_uint),
        ("reverse_bits", ctypes.c_uint),
        ("opposite_endian", ctypes.c_uint),
    ]


class _Format(ctypes.Structure):  # the leading fields of sox_format_t
    _fields_ = [
        ("filename", ctypes.c_char_p),
        ("signal", _SignalInfo),
        ("encoding", _EncodingInfo),
    ]


def libsox_available() -> bool:
    """Whether the dynamic loader can find libsox."""
    return ctypes.util.find_library("sox") is not None


def _declare(lib) -> None:
    p, vp = ctypes.POINTER, ctypes.c_void_p
    sig = {
        "sox_init": ([], ctypes.c_int),
        "sox_quit": ([], ctypes.c_int),
        "sox_open_mem_read": (
            [vp, ctypes.c_size_t, p(_SignalInfo), p(_EncodingInfo), ctypes.c_char_p],
            p(_Format),
        ),
        "sox_open_mem_write": (
            [vp, ctypes.c_size_t, p(_SignalInfo), p(_EncodingInfo), ctypes.c_char_p, vp],
            p(_Format),
        ),
        "sox_close": ([p(_Format)], ctypes.c_int),
        "sox_create_effects_chain": ([p(_EncodingInfo), p(_EncodingInfo)], vp),
        "sox_delete_effects_chain": ([vp], None),
        "sox_find_effect": ([ctypes.c_char_p], vp),
        "sox_create_effect": ([vp], vp),
        "sox_effect_options": ([vp, ctypes.c_int, p(ctypes.c_char_p)], ctypes.c_int),
        "sox_add_effect": ([vp, vp, p(_SignalInfo), p(_SignalInfo)], ctypes.c_int),
        "sox_flow_effects": ([vp, vp, vp], ctypes.c_int),
    }
    for name, (args, res) in sig.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, res


def libsox_import() -> None:
    """Load libsox and run ``sox_init`` (once per process)."""
    global libsox, _c_free, LIBSOX_INITIALIZED
    if LIBSOX_INITIALIZED:
        return
    path = ctypes.util.find_library("sox")
    if path is None:
        raise RuntimeError(
            "The 'sox' resampling backend needs libsox, which the dynamic loader cannot find "
            "(install libsox, e.g. the libsox-dev package, or use the 'default' backend)"
        )
    lib = ctypes.CDLL(path)
    _declare(lib)
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.free.argtypes, libc.free.restype = [ctypes.c_void_p], None
    if lib.sox_init() != _SOX_SUCCESS:
        raise RuntimeError(f"sox_init() failed for {path}")
    libsox, _c_free, LIBSOX_INITIALIZED = lib, libc.free, True


def libsox_cleanup() -> None:
    """Run ``sox_quit`` if :func:`libsox_import` initialised libsox."""
    global libsox, _c_free, LIBSOX_INITIALIZED
    if not LIBSOX_INITIALIZED:
        return
    libsox.sox_quit()
    libsox, _c_free, LIBSOX_INITIALIZED = None, None, False


atexit.register(libsox_cleanup)


def _add(chain, name: bytes, options: list, signal_in, signal_out) -> None:
    effect = libsox.sox_create_effect(libsox.sox_find_effect(name))
    if not effect:
        raise RuntimeError(f"libsox has no {name.decode()!r} effect")
    argv = (ctypes.c_char_p * len(options))(*options)
    if libsox.sox_effect_options(effect, len(options), argv) != _SOX_SUCCESS:
        raise RuntimeError(f"libsox rejected the options {options} of {name.decode()!r}")
    status = libsox.sox_add_effect(chain, effect, signal_in, signal_out)
    _c_free(effect)  # sox_add_effect copied it
    if status != _SOX_SUCCESS:
        raise RuntimeError(f"libsox could not add the {name.decode()!r} effect")


def libsox_rate(
    audio: np.ndarray,
    sample_rate: int,
    target_rate: int,
    quality: str = "v",
    phase: str = "I",
    bandwidth: float = 99.0,
) -> tuple[np.ndarray, int]:
    """Resample 1-D float32 ``audio`` with sox's ``rate`` effect; returns ``(audio, target_rate)``.

    The output has ``round(len(audio) * target_rate / sample_rate)`` samples.
    """
    if not LIBSOX_INITIALIZED:
        libsox_import()
    audio = np.asarray(audio)
    if audio.ndim != 1 or audio.dtype != np.float32:
        raise ValueError(
            f"libsox_rate expects 1-D float32 audio, got shape {audio.shape} dtype {audio.dtype}"
        )
    audio = np.ascontiguousarray(audio)
    n_out = round(len(audio) * target_rate / sample_rate)
    capacity = (int(n_out * 1.05) + 64) * 4
    out_buf = ctypes.create_string_buffer(capacity)
    enc = _EncodingInfo(encoding=_SOX_ENCODING_FLOAT, bits_per_sample=32)
    in_sig = _SignalInfo(rate=float(sample_rate), channels=1, precision=32, length=len(audio))
    out_sig = _SignalInfo(rate=float(target_rate), channels=1, precision=32)
    src = dst = chain = None
    try:
        src = libsox.sox_open_mem_read(
            audio.ctypes.data_as(ctypes.c_void_p), audio.nbytes, in_sig, enc, b"raw"
        )
        dst = libsox.sox_open_mem_write(out_buf, capacity, out_sig, enc, b"raw", None)
        if not src or not dst:
            raise RuntimeError("libsox could not open the in-memory buffers")
        chain = libsox.sox_create_effects_chain(
            ctypes.byref(src.contents.encoding), ctypes.byref(dst.contents.encoding)
        )
        flowing = _SignalInfo()
        ctypes.pointer(flowing)[0] = src.contents.signal
        as_arg = ctypes.c_char_p
        _add(chain, b"input", [ctypes.cast(src, as_arg)], flowing, flowing)
        options = [f"-{quality}", f"-{phase}", "-b", str(bandwidth), str(target_rate)]
        _add(chain, b"rate", [o.encode() for o in options], flowing, flowing)
        _add(
            chain, b"output", [ctypes.cast(dst, as_arg)], flowing, ctypes.byref(dst.contents.signal)
        )
        libsox.sox_flow_effects(chain, None, None)
    finally:
        if chain:
            libsox.sox_delete_effects_chain(chain)
        if dst:
            libsox.sox_close(dst)
        if src:
            libsox.sox_close(src)
    out = np.frombuffer(out_buf.raw[: n_out * 4], dtype=np.float32).copy()
    return out, int(target_rate)


__all__ = [
    "LIBSOX_INITIALIZED",
    "libsox_available",
    "libsox_cleanup",
    "libsox_import",
    "libsox_rate",
]
