"""Rate conversion kernels in plain numpy (no torch at import or call time).

Two algorithms, chosen to reproduce what lhotse 1.33 writes:

* :func:`sinc_resample`: band-limited interpolation with a Hann-windowed sinc
  whose support spans ``lowpass_filter_width`` zero crossings on each side and
  whose cut-off is ``rolloff`` times the lower Nyquist frequency.  lhotse uses
  this algorithm (width 6, rolloff 0.99) for speed perturbation, so
  ``Speed`` calls it to stay within float32 rounding of lhotse's output.
* :func:`polyphase_resample`: a Kaiser-windowed (beta 5) low-pass FIR of
  ``20 * max(up, down) + 1`` taps applied as an up-by-``up``, down-by-``down``
  polyphase filter with zero padding.  Its output is centred on the input
  and has ``ceil(n * up / down)`` samples.  lhotse's ``Resample`` falls back
  to this design when torchaudio is absent, and the fixtures were made that
  way, so ``Resample`` uses it.

Both return float32 arrays shaped ``(channels, samples)``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np


def _as_2d(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples)
    if samples.ndim == 1:
        return samples[None, :]
    if samples.ndim != 2:
        raise ValueError(f"Expected audio shaped (channels, samples), got shape {samples.shape}")
    return samples


@lru_cache(maxsize=64)
def _sinc_kernel(
    orig: int, new: int, lowpass_filter_width: int, rolloff: float
) -> tuple[np.ndarray, int]:
    """Filter bank (``new`` phases x taps) for the windowed-sinc resampler."""
    cutoff = min(orig, new) * rolloff
    half = math.ceil(lowpass_filter_width * orig / cutoff)
    # Input sample positions relative to the block start, in units of output time.
    taps = np.arange(-half, half + orig, dtype=np.float64) / orig
    phases = -np.arange(new, dtype=np.float64)[:, None] / new
    t = (phases + taps[None, :]) * cutoff
    np.clip(t, -lowpass_filter_width, lowpass_filter_width, out=t)
    window = np.cos(t * (np.pi / (2 * lowpass_filter_width))) ** 2
    arg = t * np.pi
    with np.errstate(invalid="ignore", divide="ignore"):
        sinc = np.where(arg == 0.0, 1.0, np.sin(arg) / arg)
    bank = sinc * window * (cutoff / orig)
    bank.setflags(write=False)
    return bank, half


def sinc_resample(
    samples: np.ndarray,
    orig_rate: int,
    new_rate: int,
    lowpass_filter_width: int = 6,
    rolloff: float = 0.99,
) -> np.ndarray:
    """Resample ``(channels, samples)`` audio from ``orig_rate`` to ``new_rate``.

    Output length is ``ceil(n * new / orig)`` (after reducing by the gcd).

    >>> import numpy as np
    >>> sinc_resample(np.ones((1, 11), dtype=np.float32), 11, 10).shape
    (1, 10)
    """
    x = _as_2d(samples)
    orig_rate, new_rate = int(orig_rate), int(new_rate)
    if orig_rate == new_rate:
        return x.astype(np.float32, copy=False)
    g = math.gcd(orig_rate, new_rate)
    orig, new = orig_rate // g, new_rate // g
    bank, half = _sinc_kernel(orig, new, int(lowpass_filter_width), float(rolloff))
    n = x.shape[1]
    target = math.ceil(new * n / orig)
    padded = np.pad(x.astype(np.float64, copy=False), ((0, 0), (half, half + orig)))
    width = bank.shape[1]
    out = np.empty((x.shape[0], target), dtype=np.float32)
    for c in range(x.shape[0]):
        blocks = np.lib.stride_tricks.sliding_window_view(padded[c], width)[::orig]
        out[c] = (blocks @ bank.T).reshape(-1)[:target]
    return out


@lru_cache(maxsize=64)
def _kaiser_lowpass(up: int, down: int) -> tuple[np.ndarray, int]:
    """Low-pass FIR (gain ``up``) for polyphase rate change by ``up/down``."""
    rate = max(up, down)
    half_len = 10 * rate
    num_taps = 2 * half_len + 1
    cutoff = 1.0 / rate  # fraction of the Nyquist frequency
    m = np.arange(num_taps, dtype=np.float64) - half_len
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(num_taps, 5.0)
    h = h / h.sum() * up
    h.setflags(write=False)
    return h, half_len


def polyphase_resample(samples: np.ndarray, orig_rate: int, new_rate: int) -> np.ndarray:
    """Resample ``(channels, samples)`` audio with a Kaiser-windowed polyphase FIR.

    ``y[m] = sum_j h[j] * u[m * down + L - j]`` where ``u`` is the input with
    ``up - 1`` zeros inserted after every sample, ``h`` has ``2L + 1`` taps and
    ``L = 10 * max(up, down)``.

    >>> import numpy as np
    >>> polyphase_resample(np.zeros((2, 5), dtype=np.float32), 16000, 8000).shape
    (2, 3)
    """
    x = _as_2d(samples)
    orig_rate, new_rate = int(orig_rate), int(new_rate)
    if orig_rate == new_rate:
        return x.astype(np.float32, copy=False)
    g = math.gcd(orig_rate, new_rate)
    up, down = new_rate // g, orig_rate // g
    h, half_len = _kaiser_lowpass(up, down)
    n = x.shape[1]
    n_out = -(-n * up // down)
    # Split h into `up` phases: phase p holds taps h[p], h[p + up], ...
    taps_per_phase = -(-len(h) // up)
    bank = np.zeros((up, taps_per_phase), dtype=np.float64)
    for p in range(up):
        sub = h[p::up]
        bank[p, : len(sub)] = sub
    # For output m: position t = m*down + L in the upsampled signal.  Tap j hits
    # an input sample when (t - j) % up == 0, i.e. j = p + k*up with
    # p = t % up, and the input index is (t - p)//up - k.
    t = np.arange(n_out, dtype=np.int64) * down + half_len
    phase = t % up
    base = (t - phase) // up
    # Pad the input so that every gathered index is valid.
    left = taps_per_phase
    right = int(max(0, base.max(initial=0) - n + 1))
    xp = np.pad(x.astype(np.float64, copy=False), ((0, 0), (left, right)))
    k = np.arange(taps_per_phase, dtype=np.int64)
    out = np.empty((x.shape[0], n_out), dtype=np.float32)
    chunk = max(1, 2_000_000 // taps_per_phase)
    for start in range(0, n_out, chunk):
        sl = slice(start, start + chunk)
        idx = base[sl, None] - k[None, :] + left
        coeffs = bank[phase[sl]]
        for c in range(x.shape[0]):
            out[c, sl] = np.einsum("ij,ij->i", xp[c][idx], coeffs)
    return out
