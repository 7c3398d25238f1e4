"""A torch module for windowed-sinc resampling (lhotse's ``ResampleTensor``).

It uses the filter bank of :func:`nuptse.audio.resampling.sinc_resample`
(Hann-windowed sinc, ``lowpass_filter_width`` zero crossings, cut-off at
``rolloff`` of the lower Nyquist frequency) and applies it as a strided
convolution, so it runs on any device and batch shape.  ``get_or_create_resampler``
keeps one module per pair of rates.
"""

from __future__ import annotations

import math
from typing import Optional

import torch

from nuptse.audio.resampling import _sinc_kernel


class ResampleTensor(torch.nn.Module):
    """Resample ``(..., time)`` tensors from ``orig_freq`` to ``new_freq``.

    Only the Hann-windowed sinc (``"sinc_interp_hann"``) is implemented.

    >>> ResampleTensor(16000, 8000)(torch.zeros(2, 160)).shape
    torch.Size([2, 80])
    """

    def __init__(
        self,
        orig_freq: int = 16000,
        new_freq: int = 16000,
        resampling_method: str = "sinc_interp_hann",
        lowpass_filter_width: int = 6,
        rolloff: float = 0.99,
        beta: Optional[float] = None,
        *,
        dtype: Optional[torch.dtype] = None,
    ) -> None:
        super().__init__()
        if resampling_method != "sinc_interp_hann":
            raise ValueError(
                f"ResampleTensor implements resampling_method='sinc_interp_hann' only, got "
                f"{resampling_method!r}"
            )
        self.orig_freq, self.new_freq = int(orig_freq), int(new_freq)
        g = math.gcd(self.orig_freq, self.new_freq)
        self._orig, self._new = self.orig_freq // g, self.new_freq // g
        self.lowpass_filter_width, self.rolloff = lowpass_filter_width, rolloff
        if self.orig_freq != self.new_freq:
            bank, self._half = _sinc_kernel(self._orig, self._new, lowpass_filter_width, rolloff)
            kernel = torch.as_tensor(bank.copy(), dtype=dtype or torch.float32)
            self.register_buffer("kernel", kernel[:, None, :])

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        if self.orig_freq == self.new_freq:
            return waveform
        shape = waveform.shape
        x = waveform.reshape(-1, 1, shape[-1]).to(self.kernel.dtype)
        x = torch.nn.functional.pad(x, (self._half, self._half + self._orig))
        y = torch.nn.functional.conv1d(x, self.kernel, stride=self._orig)  # (batch, new, blocks)
        y = y.transpose(1, 2).reshape(x.shape[0], -1)
        target = math.ceil(self._new * shape[-1] / self._orig)
        return y[:, :target].reshape(*shape[:-1], target)


_resamplers: dict = {}


def get_or_create_resampler(source_sampling_rate: int, target_sampling_rate: int) -> ResampleTensor:
    """The :class:`ResampleTensor` for this pair of rates, built once per process."""
    key = (int(source_sampling_rate), int(target_sampling_rate))
    if key not in _resamplers:
        _resamplers[key] = ResampleTensor(*key)
    return _resamplers[key]


__all__ = ["ResampleTensor", "get_or_create_resampler"]
