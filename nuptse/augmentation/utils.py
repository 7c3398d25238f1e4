"""Augmentation helpers: the random RIR generator and full linear convolution."""

from __future__ import annotations

from nuptse.audio.rir import FastRandomRIRGenerator


def convolve1d(signal, kernel):
    """Full linear convolution of 1-D torch tensors (length ``len(signal) + len(kernel) - 1``).

    Computed with FFTs of a power-of-two size, so long kernels (room impulse
    responses) stay cheap.

    >>> import torch
    >>> convolve1d(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0])).round()
    tensor([1., 3., 2.])
    """
    import torch

    if signal.ndim != 1 or kernel.ndim != 1:
        raise ValueError(
            f"convolve1d expects 1-D tensors, got shapes {tuple(signal.shape)} and "
            f"{tuple(kernel.shape)}"
        )
    n = signal.shape[0] + kernel.shape[0] - 1
    size = 1 << max(0, (n - 1).bit_length())
    spectrum = torch.fft.rfft(signal, size) * torch.fft.rfft(kernel, size)
    return torch.fft.irfft(spectrum, size)[:n]


__all__ = ["FastRandomRIRGenerator", "convolve1d"]
