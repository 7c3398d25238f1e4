"""Kaldi's fixed signal-processing tables: frame windows, mel banks, DCT, lifter.

Everything here is computed once, in float64, when a layer is built; the
layers in :mod:`nuptse.features.kaldi.layers` store the results as buffers.
The formulas are Kaldi's (``feature-window.cc``, ``mel-computations.cc``,
``feature-functions.cc``); the option names and defaults are Kaldi's too.
"""

from __future__ import annotations

import math
from typing import Optional

import torch

#: Window names Kaldi accepts (``--window-type``).
WINDOW_TYPES = ("hamming", "hanning", "povey", "rectangular", "blackman", "sine")

#: Kaldi floors mel energies and log-spectra at float32's machine epsilon.
FLT_EPSILON = 1.1920928955078125e-07


def next_power_of_2(n: int) -> int:
    """Smallest power of two that is >= ``n`` (Kaldi's ``RoundUpToNearestPowerOfTwo``).

    >>> next_power_of_2(400), next_power_of_2(512), next_power_of_2(1)
    (512, 512, 1)
    """
    if n < 1:
        return 1
    return 1 << (n - 1).bit_length()


def frame_window(
    length: int, window_type: str = "povey", blackman_coeff: float = 0.42
) -> torch.Tensor:
    """Kaldi's analysis window of ``length`` samples, in float64.

    All windows use ``a = 2*pi / (length - 1)``, as Kaldi does (so the
    symmetric Hann, Hamming and Blackman windows; "povey" is Hann to the
    power 0.85).

    >>> w = frame_window(400, "povey")
    >>> float(w[0]), float(w[199]) > 0.99, w.dtype
    (0.0, True, torch.float64)
    """
    if window_type not in WINDOW_TYPES:
        raise ValueError(
            f"Unknown window_type {window_type!r}; expected one of {', '.join(WINDOW_TYPES)}"
        )
    if length < 1:
        raise ValueError(f"A frame window needs at least one sample, got length={length}")
    i = torch.arange(length, dtype=torch.float64)
    a = 2 * math.pi / (length - 1) if length > 1 else 0.0
    if window_type == "hanning":
        return 0.5 - 0.5 * torch.cos(a * i)
    if window_type == "sine":
        return torch.sin(0.5 * a * i)
    if window_type == "hamming":
        return 0.54 - 0.46 * torch.cos(a * i)
    if window_type == "povey":
        return (0.5 - 0.5 * torch.cos(a * i)).pow(0.85)
    if window_type == "rectangular":
        return torch.ones(length, dtype=torch.float64)
    # blackman
    return blackman_coeff - 0.5 * torch.cos(a * i) + (0.5 - blackman_coeff) * torch.cos(2 * a * i)


def mel_scale(freq: float | torch.Tensor):
    """Kaldi's mel scale, ``1127 * ln(1 + f / 700)``."""
    if isinstance(freq, torch.Tensor):
        return 1127.0 * torch.log1p(freq / 700.0)
    return 1127.0 * math.log1p(freq / 700.0)


def inverse_mel_scale(mel: float | torch.Tensor):
    """Inverse of :func:`mel_scale`."""
    if isinstance(mel, torch.Tensor):
        return 700.0 * torch.expm1(mel / 1127.0)
    return 700.0 * math.expm1(mel / 1127.0)


def _resolve_band(low_freq: float, high_freq: float, sampling_rate: float) -> tuple[float, float]:
    nyquist = 0.5 * sampling_rate
    high = high_freq if high_freq > 0.0 else nyquist + high_freq
    if not (0.0 <= low_freq < nyquist and 0.0 < high <= nyquist and low_freq < high):
        raise ValueError(
            f"Bad mel band: low_freq={low_freq}, high_freq={high_freq} (-> {high}) "
            f"for sampling_rate={sampling_rate} (nyquist {nyquist})"
        )
    return low_freq, high


def kaldi_mel_banks(
    num_bins: int,
    fft_length: int,
    sampling_rate: float,
    low_freq: float = 20.0,
    high_freq: float = 0.0,
) -> torch.Tensor:
    """Kaldi's triangular mel filters as a ``(fft_length // 2 + 1, num_bins)`` matrix.

    ``power_spectrum @ banks`` gives the mel energies.  A ``high_freq`` <= 0
    is an offset from the Nyquist frequency.  The Nyquist row is zero, as in
    Kaldi (its filters only see bins ``0 .. fft_length/2 - 1``).

    >>> kaldi_mel_banks(23, 512, 16000).shape
    torch.Size([257, 23])
    """
    if num_bins < 3:
        raise ValueError(f"Kaldi needs at least 3 mel bins, got num_bins={num_bins}")
    if fft_length % 2:
        raise ValueError(f"fft_length must be even for mel banks, got {fft_length}")
    low, high = _resolve_band(low_freq, high_freq, sampling_rate)
    mel_low, mel_high = mel_scale(low), mel_scale(high)
    delta = (mel_high - mel_low) / (num_bins + 1)
    j = torch.arange(num_bins, dtype=torch.float64).unsqueeze(0)
    left = mel_low + j * delta
    center = mel_low + (j + 1) * delta
    right = mel_low + (j + 2) * delta
    k = torch.arange(fft_length // 2, dtype=torch.float64).unsqueeze(1)
    mel = mel_scale(k * (sampling_rate / fft_length))
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    weights = torch.where(mel <= center, up, down)
    weights = torch.where((mel > left) & (mel < right), weights, torch.zeros_like(weights))
    return torch.cat([weights, weights.new_zeros(1, num_bins)], dim=0)


def linear_grid_mel_banks(
    num_bins: int,
    fft_length: int,
    sampling_rate: float,
    low_freq: float = 20.0,
    high_freq: float = 0.0,
    norm_filters: bool = False,
) -> torch.Tensor:
    """The mel bank lhotse's layers use when ``torchaudio_compatible_mel_scale=False``.

    Same layout as :func:`kaldi_mel_banks`, but the filter edges are
    ``num_bins + 2`` points equally spaced in mel, the FFT bin ``k`` is placed
    at ``k * sampling_rate / (fft_length - 1)`` Hz, and ``norm_filters``
    scales each filter to unit sum.  Not Kaldi's bank.
    """
    if num_bins < 1:
        raise ValueError(f"num_bins must be positive, got {num_bins}")
    if high_freq == 0:
        high = sampling_rate / 2
    elif high_freq < 0:
        high = sampling_rate / 2 + high_freq
    else:
        high = high_freq
    edges = torch.linspace(mel_scale(low_freq), mel_scale(high), num_bins + 2, dtype=torch.float64)
    left, center, right = edges[:-2], edges[1:-1], edges[2:]
    grid = torch.linspace(0, sampling_rate, fft_length, dtype=torch.float64)
    mel = mel_scale(grid[: fft_length // 2]).unsqueeze(1)
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    weights = torch.where(mel <= center, up, down)
    weights = torch.where((mel > left) & (mel < right), weights, torch.zeros_like(weights))
    banks = torch.zeros(fft_length // 2 + 1, num_bins, dtype=torch.float64)
    banks[: fft_length // 2] = weights
    if norm_filters:
        banks = banks / banks.sum(0, keepdim=True).clamp_min(1e-300)
    return banks


def band_blocks(
    banks: torch.Tensor, block_width: int = 16, single_up_to: Optional[int] = None
) -> list[tuple[int, int, int, int]]:
    """Split a mel bank into column groups and the row range each group touches.

    Returns ``(row_start, row_end, col_start, col_end)`` tuples; multiplying
    only those sub-blocks gives the same result as the dense product (the
    rows outside a block's range are zero for its columns) with far fewer
    multiplications, since each FFT bin feeds at most two filters.  Banks of
    up to ``single_up_to`` columns (default: two blocks' width) stay in one
    block.
    """
    num_rows, num_cols = banks.shape
    nonzero = banks != 0
    if single_up_to is None:
        single_up_to = 2 * block_width
    width = num_cols if num_cols <= single_up_to else block_width
    bounds = []
    for c0 in range(0, num_cols, width):
        c1 = min(num_cols, c0 + width)
        rows = torch.nonzero(nonzero[:, c0:c1].any(dim=1)).flatten()
        if rows.numel() == 0:
            r0, r1 = 0, 1
        else:
            r0, r1 = int(rows[0]), int(rows[-1]) + 1
        bounds.append((r0, r1, c0, c1))
    return bounds


def dct_matrix(num_ceps: int, num_filters: int) -> torch.Tensor:
    """Kaldi's orthonormal DCT-II as a ``(num_filters, num_ceps)`` matrix (float64).

    ``log_mel @ dct_matrix(...)`` gives the cepstra (before liftering).
    """
    if not 0 < num_ceps <= num_filters:
        raise ValueError(
            f"num_ceps must be in [1, num_filters={num_filters}], got num_ceps={num_ceps}"
        )
    n = torch.arange(num_filters, dtype=torch.float64).unsqueeze(1)
    k = torch.arange(num_ceps, dtype=torch.float64).unsqueeze(0)
    m = torch.cos(math.pi / num_filters * (n + 0.5) * k) * math.sqrt(2.0 / num_filters)
    m[:, 0] = math.sqrt(1.0 / num_filters)
    return m


def lifter_coefficients(num_ceps: int, cepstral_lifter: float) -> torch.Tensor:
    """Kaldi's cepstral lifter ``1 + Q/2 * sin(pi * i / Q)`` (all ones for ``Q == 0``)."""
    if cepstral_lifter == 0:
        return torch.ones(num_ceps, dtype=torch.float64)
    i = torch.arange(num_ceps, dtype=torch.float64)
    return 1.0 + 0.5 * cepstral_lifter * torch.sin(math.pi * i / cepstral_lifter)


def mel_banks(
    num_filters: int,
    fft_length: int,
    sampling_rate: int,
    low_freq: float,
    high_freq: float,
    norm_filters: bool,
    torchaudio_compatible_mel_scale: bool,
) -> torch.Tensor:
    """Kaldi's mel bank, or (``torchaudio_compatible_mel_scale=False``) lhotse's alternative."""
    if torchaudio_compatible_mel_scale:
        return kaldi_mel_banks(num_filters, fft_length, sampling_rate, low_freq, high_freq)
    return linear_grid_mel_banks(
        num_filters, fft_length, sampling_rate, low_freq, high_freq, norm_filters
    )


def block_padded_rows(
    matrix: torch.Tensor, blocks: list[tuple[int, int, int, int, int]], width: int
) -> torch.Tensor:
    """``matrix`` (num_filters, k) with zero rows where the mel blocks have padding columns.

    ``blocks`` are the layer's ``(at, r0, r1, first_filter, count)``; block
    ``i`` occupies rows ``i * width`` to ``(i + 1) * width``, its filters
    first.  The result multiplies the block-padded log-mel directly.
    """
    padded = matrix.new_zeros(len(blocks) * width, matrix.size(1))
    for i, (_at, _r0, _r1, c0, count) in enumerate(blocks):
        padded[i * width : i * width + count] = matrix[c0 : c0 + count]
    return padded.detach().contiguous()
