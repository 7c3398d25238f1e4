"""Time-scale transforms: speed (pitch follows) and tempo (pitch kept).

* ``Speed``: treat the signal as sampled at ``round(sr * factor)`` and
  convert back to ``sr`` with the Hann-windowed sinc resampler (width 6,
  rolloff 0.99) of :mod:`nuptse.audio.resampling`, which stays within float32
  rounding of lhotse's output.
* ``Tempo``: WSOLA (waveform-similarity overlap-add) with 82 ms segments,
  12 ms cross-fades and a +-14.68 ms search, the parameters of ``sox tempo``.
  It is not sample-identical to sox.

Output lengths are ``perturb_num_samples(n, factor)`` (:mod:`nuptse.timing`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nuptse.audio.resampling import sinc_resample
from nuptse.audio.transforms.base import AudioTransform, stretch_span
from nuptse.timing import compute_num_samples, perturb_num_samples, speed_sampling_rate


@dataclass
class Speed(AudioTransform):
    """Speed perturbation (pitch changes too): ``factor`` 1.1 plays 10% faster.

    >>> Speed(1.1).to_dict()
    {'name': 'Speed', 'kwargs': {'factor': 1.1}}
    """

    factor: float

    def __call__(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        return sinc_resample(
            samples, speed_sampling_rate(sampling_rate, self.factor), sampling_rate
        )

    def reverse_timestamps(self, offset, duration, sampling_rate):
        return stretch_span(self.factor, offset, duration, sampling_rate)


@dataclass
class Tempo(AudioTransform):
    """Tempo perturbation keeping the pitch (WSOLA): ``factor`` 0.9 is 10% slower."""

    factor: float

    def __call__(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        return wsola(samples, self.factor, sampling_rate)

    def reverse_timestamps(self, offset, duration, sampling_rate):
        return stretch_span(self.factor, offset, duration, sampling_rate)


def wsola(
    samples: np.ndarray,
    factor: float,
    sampling_rate: int,
    segment: float = 0.082,
    search: float = 0.01468,
    overlap: float = 0.012,
) -> np.ndarray:
    """Change tempo by ``factor`` without changing pitch.

    Output segments of ``segment`` seconds advance by ``segment - overlap``;
    the matching input segment starts near ``factor`` times that position,
    shifted within ±``search`` to the lag whose start best continues the
    previous segment (highest cross-correlation), and is cross-faded in.
    Output length is ``perturb_num_samples(n, factor)``.
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    n = x.shape[1]
    n_out = perturb_num_samples(n, factor)
    if factor == 1.0 or n == 0:
        return x[:, :n_out].copy()
    seg = max(2, compute_num_samples(segment, sampling_rate))
    ov = max(1, min(seg - 1, compute_num_samples(overlap, sampling_rate)))
    srch = max(0, compute_num_samples(search, sampling_rate))
    hop_out = seg - ov
    hop_in = hop_out * factor
    pad = srch + seg
    xp = np.pad(x.astype(np.float64), ((0, 0), (pad, pad + seg + int(hop_in) + 1)))
    guide = xp.mean(axis=0)
    out = np.zeros((x.shape[0], n_out + seg), dtype=np.float64)
    fade_in = np.linspace(0.0, 1.0, ov, endpoint=False) + 0.5 / ov
    fade_out = 1.0 - fade_in
    pos_out = 0
    k = 0
    prev = None
    while pos_out < n_out:
        nominal = pad + int(round(k * hop_in))
        if prev is None:
            best = nominal
        else:
            ref = guide[prev + hop_out : prev + hop_out + ov]
            lo = max(0, nominal - srch)
            region = guide[lo : nominal + srch + ov]
            scores = np.correlate(region, ref, mode="valid")
            best = lo + int(np.argmax(scores)) if len(scores) else nominal
        chunk = xp[:, best : best + seg]
        if prev is None:
            out[:, :seg] = chunk
        else:
            out[:, pos_out : pos_out + ov] = (
                out[:, pos_out : pos_out + ov] * fade_out + chunk[:, :ov] * fade_in
            )
            out[:, pos_out + ov : pos_out + seg] = chunk[:, ov:]
        prev = best
        pos_out += hop_out
        k += 1
    return out[:, :n_out].astype(np.float32)


__all__ = ["Speed", "Tempo", "wsola"]
