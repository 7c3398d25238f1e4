"""Fused loops for the Kaldi layers' short path, from the optional C extension ``_native``.

Three steps of :mod:`nuptse.features.kaldi.fastpath` cost two to eight
torch calls each, each call a pass over a few MiB: the reflected signal and
its pre-emphasis, the frame bodies (offset removal, then the window), and
the power spectrum (squares, then their sum).  The C extension does each in
one pass with the same arithmetic (see ``_native.c``), on torch's own
OpenMP threads; MFCC per utterance gets about 10% faster.

The extension is built when nuptse is installed where a C compiler is
found; without it (or with ``NUPTSE_NATIVE_KALDI=0`` in the environment)
the short path uses torch ops.  Either way the results are the same bits:
before first use, :func:`loops` checks the extension's output against the
torch ops it replaces and, on any difference, logs why and leaves it unused.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Optional

import torch

from nuptse.audio.utils import remember_once

__all__ = ["body", "body_args", "loops", "power", "power_args", "reflect", "reflect_args"]

log = logging.getLogger(__name__)

_lock = threading.Lock()
_loops: list = []  # [] = not looked up yet; [None] = torch ops only


def loops():
    """The checked extension module, or None where it is missing, disabled or disagrees with torch."""
    return remember_once(_loops, _lock, _load)


def _load():
    if os.environ.get("NUPTSE_NATIVE_KALDI", "1") == "0":
        log.debug("NUPTSE_NATIVE_KALDI=0: the Kaldi layers use torch ops only")
        return None
    try:
        from nuptse.features.kaldi import _native
    except ImportError as exc:
        log.debug("no compiled Kaldi loops (%s); the Kaldi layers use torch ops only", exc)
        return None
    try:
        problem = _self_check(_native)
    except Exception as exc:  # any failure just means: torch ops
        problem = f"self-check failed: {exc}"
    if problem is not None:
        log.warning(
            "the compiled Kaldi loops disagree with torch (%s); using torch ops only", problem
        )
        return None
    return _native


def body_args(
    frames: torch.Tensor,
    offset: Optional[torch.Tensor],
    scale: float,
    window: torch.Tensor,
    out: torch.Tensor,
) -> Optional[tuple]:
    """The arguments of the extension's ``body`` for these tensors, all but the thread count.

    None where the layout does not allow it (see :func:`body`).  The
    tensors must outlive every call with these arguments.
    """
    rows, length = out.shape
    if (
        frames.stride(1) != 1
        or out.stride(1) != 1
        or not window.is_contiguous()
        or length * out.element_size() % 64 != 0
    ):
        return None
    return (
        frames.data_ptr(),
        frames.stride(0),
        0 if offset is None else offset.data_ptr(),
        0 if offset is None else offset.stride(0),
        -scale,
        window.data_ptr(),
        out.data_ptr(),
        out.stride(0),
        rows,
        length,
        out.dtype == torch.float64,
    )


def body(
    lib,
    frames: torch.Tensor,
    offset: Optional[torch.Tensor],
    scale: float,
    window: torch.Tensor,
    out: torch.Tensor,
) -> bool:
    """``out = (frames - scale * offset) * window`` (or ``frames * window``) in one pass, if the layout allows.

    ``frames`` and ``out`` are ``(T, L)`` with unit-stride rows, ``offset``
    ``(T, 1)``, ``window`` ``(L,)`` contiguous, all of one dtype (float32 or
    float64) on the CPU.  Returns False (and does nothing) otherwise, and
    for frame lengths that are not a multiple of 64 bytes: torch's loop
    fuses the multiply-add only in its vector part and rounds twice in the
    scalar tail after it (400 samples at 16 kHz are 25 vectors of 16
    floats).
    """
    args = body_args(frames, offset, scale, window, out)
    if args is None:
        return False
    lib.body(*args, torch.get_num_threads())
    return True


def power_args(bins: int, lo: int, out: torch.Tensor) -> Optional[tuple]:
    """The arguments of the extension's ``power`` but the spectrum's address and the thread count.

    For a contiguous ``(T, bins)`` complex spectrum, bins from ``lo`` on;
    the first item is the byte offset of bin ``lo`` in a row.  None where
    ``out`` does not have unit-stride rows.
    """
    if out.stride(1) != 1:
        return None
    rows, width = out.shape
    size = out.element_size()
    return (
        2 * lo * size,
        2 * bins,
        out.data_ptr(),
        out.stride(0),
        rows,
        width,
        out.dtype == torch.float64,
    )


def power(lib, spec: torch.Tensor, lo: int, out: torch.Tensor) -> bool:
    """``out = |spec[:, lo : lo + width]|**2`` (squares, then their sum) in one pass, if the layout allows.

    ``spec`` is a ``(T, bins)`` complex tensor with contiguous rows, ``out``
    ``(T, width)`` real with unit-stride rows.  Returns False otherwise.
    """
    args = power_args(spec.size(1), lo, out)
    if args is None or spec.stride(1) != 1 or spec.stride(0) != spec.size(1):
        return False
    at, *rest = args
    lib.power(spec.data_ptr() + at, *rest, torch.get_num_threads())
    return True


def reflect_args(
    left: int, samples: int, c: float, seg: torch.Tensor, emph: Optional[torch.Tensor]
) -> tuple:
    """The arguments of the extension's ``reflect_emph`` that follow the signal's address, stride and length.

    The thread count is not among them (see :func:`reflect`).
    """
    return (
        left,
        samples,
        -c,
        seg.data_ptr(),
        0 if emph is None else emph.data_ptr(),
        seg.dtype == torch.float64,
    )


def reflect(
    lib,
    x: torch.Tensor,
    left: int,
    samples: int,
    c: float,
    seg: torch.Tensor,
    emph: Optional[torch.Tensor],
) -> None:
    """Kaldi's reflected signal and (with ``emph``) its pre-emphasis, in one pass.

    ``x`` is ``(1, n)`` or ``(n,)``; ``seg[i]`` becomes sample ``i - left``
    of the signal reflected at both ends (position ``-1 - k`` is sample
    ``k``, ``n + k`` is ``n - 1 - k``) for ``i < samples``, and ``emph[i] =
    seg[i] - c * seg[i - 1]`` with ``seg[-1] = 0``.  ``seg`` and ``emph``
    are contiguous, of ``x``'s dtype; ``left <= n`` and ``samples <= left +
    2 * n`` (one reflection at each end).
    """
    args = reflect_args(left, samples, c, seg, emph)
    lib.reflect_emph(x.data_ptr(), x.stride(-1), x.size(-1), *args, torch.get_num_threads())


def _self_check(lib) -> Optional[str]:
    """None if the extension gives the torch ops' bits on random data, else what differs."""
    gen = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for dtype in (torch.float32, torch.float64):
            # Enough rows for torch to split the work between threads.
            rows, length, shift, pad = 101, 400, 161, 512
            signal = torch.randn(rows * shift + length, generator=gen, dtype=dtype) * 3000
            frames = signal.unfold(0, length, shift)[:rows]
            offset = torch.randn(rows, 1, generator=gen, dtype=dtype) * 4e5
            window = torch.rand(length, generator=gen, dtype=dtype)
            for off in (offset, None):
                want = torch.zeros(rows, pad, dtype=dtype)
                got = torch.zeros(rows, pad, dtype=dtype)
                if off is None:
                    torch.mul(frames, window, out=want[:, :length])
                else:
                    torch.sub(frames, off, alpha=0.03 / length, out=want[:, :length])
                    want[:, :length].mul_(window)
                body(lib, frames, off, 0.03 / length, window, got[:, :length])
                if not torch.equal(want, got):
                    return f"frame bodies, {dtype}, offset={off is not None}"
            # An odd number of bins, so that vector loops and their tails both run.
            spec = torch.fft.rfft(torch.randn(rows, pad, generator=gen, dtype=dtype) * 3000)
            lo, hi = 3, 250
            want = torch.zeros(rows, pad, dtype=dtype)
            got = torch.zeros(rows, pad, dtype=dtype)
            parts = torch.view_as_real(spec.clone())[:, lo:hi]
            parts.mul_(parts)
            re, im = parts.unbind(2)
            torch.add(re, im, out=want[:, lo:hi])
            power(lib, spec, lo, got[:, lo:hi])
            if not torch.equal(want, got):
                return f"power spectrum, {dtype}"
            # Both ends reflected; long enough for torch to use two threads.
            n, left, right = 40001, 120, 333
            x = torch.randn(1, n, generator=gen, dtype=dtype) * 3000
            want_seg = torch.cat([x[:, :left].flip(1), x, x[:, n - right :].flip(1)], 1)[0]
            prev = torch.cat([want_seg.new_zeros(1), want_seg[:-1]])
            want = torch.sub(want_seg, prev, alpha=0.97)
            seg = torch.empty_like(want_seg)
            got = torch.empty_like(want_seg)
            reflect(lib, x, left, n + left + right, 0.97, seg, got)
            if not (torch.equal(seg, want_seg) and torch.equal(got, want)):
                return f"pre-emphasis, {dtype}"
    return None
