"""Rate conversion as a recorded transform.

``Resample`` uses the Kaiser-windowed polyphase FIR of
:func:`nuptse.audio.resampling.polyphase_resample`: lhotse's output without
torchaudio, bit-for-bit up to float rounding.  lhotse *with* torchaudio uses
the sinc resampler instead; the two differ by up to ~0.02 near Nyquist, but
give the same number of samples.  With the ``"sox"`` resampling backend
(:mod:`nuptse.audio.resampling_backend`) libsox's ``rate`` effect is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nuptse.audio.resampling import polyphase_resample
from nuptse.audio.resampling_backend import get_current_resampling_backend
from nuptse.audio.transforms.base import AudioTransform
from nuptse.timing import compute_num_samples, samples_to_seconds


@dataclass
class Resample(AudioTransform):
    """Rate conversion from ``source_sampling_rate`` to ``target_sampling_rate``."""

    source_sampling_rate: int
    target_sampling_rate: int

    def __post_init__(self):
        self.source_sampling_rate = int(self.source_sampling_rate)
        self.target_sampling_rate = int(self.target_sampling_rate)

    def __call__(self, samples: np.ndarray, sampling_rate: int = None) -> np.ndarray:
        src, dst = self.source_sampling_rate, self.target_sampling_rate
        if src != dst and get_current_resampling_backend() == "sox":
            from nuptse.tools.libsox import libsox_rate

            x = np.atleast_2d(np.asarray(samples, dtype=np.float32))
            return np.stack([libsox_rate(np.ascontiguousarray(ch), src, dst)[0] for ch in x])
        return polyphase_resample(samples, src, dst)

    def input_sampling_rate(self) -> int:
        return self.source_sampling_rate

    def output_sampling_rate(self, sampling_rate: int) -> int:
        return self.target_sampling_rate

    def reverse_timestamps(self, offset, duration, sampling_rate):
        if self.source_sampling_rate == self.target_sampling_rate:
            return offset, duration
        src = self.source_sampling_rate
        new_offset = samples_to_seconds(compute_num_samples(offset, src), src)
        new_duration = (
            None
            if duration is None
            else samples_to_seconds(compute_num_samples(duration, src), src)
        )
        return new_offset, new_duration


__all__ = ["Resample"]
