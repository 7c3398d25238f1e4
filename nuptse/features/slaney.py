"""The Slaney mel filter bank and a centred STFT, with numpy only.

librosa's ``filters.mel`` (its default, ``htk=False, norm="slaney"``) and
``stft(center=True, pad_mode="reflect")`` are what lhotse's ``LibrosaFbank``
and ``WhisperFbank`` call; these functions compute the same quantities from
their definitions, so neither librosa nor whisper is needed:

* the Slaney mel scale (Auditory Toolbox) is linear below 1 kHz,
  ``mel = 3 f / 200``, and logarithmic above, with 27 mel steps per factor
  6.4 in frequency;
* filter ``i`` is the triangle between mel points ``i`` and ``i + 2`` of
  ``n_mels + 2`` equally spaced points (in mel) from ``fmin`` to ``fmax``,
  evaluated at the FFT bin frequencies and scaled by ``2 / (f[i+2] - f[i])``
  so that every filter has unit area in Hz.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

_F_SP = 200.0 / 3  # Hz per mel in the linear part
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP  # 15 mel
_LOGSTEP = math.log(6.4) / 27.0


def hz_to_slaney_mel(freq) -> np.ndarray:
    """Hz to Slaney mel.

    >>> round(float(hz_to_slaney_mel(1000.0)), 6), round(float(hz_to_slaney_mel(6400.0)), 6)
    (15.0, 42.0)
    """
    f = np.asarray(freq, dtype=np.float64)
    linear = f / _F_SP
    logarithmic = _MIN_LOG_MEL + np.log(np.maximum(f, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(f >= _MIN_LOG_HZ, logarithmic, linear)


def slaney_mel_to_hz(mel) -> np.ndarray:
    """Slaney mel to Hz, the inverse of :func:`hz_to_slaney_mel`."""
    m = np.asarray(mel, dtype=np.float64)
    linear = _F_SP * m
    logarithmic = _MIN_LOG_HZ * np.exp(_LOGSTEP * (np.maximum(m, _MIN_LOG_MEL) - _MIN_LOG_MEL))
    return np.where(m >= _MIN_LOG_MEL, logarithmic, linear)


def slaney_mel_filters(
    sampling_rate: int,
    n_fft: int,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: Optional[float] = None,
) -> np.ndarray:
    """Area-normalised triangular mel filters ``(n_mels, 1 + n_fft // 2)`` in float32.

    >>> bank = slaney_mel_filters(16000, 400, 80)
    >>> bank.shape, bank.dtype
    ((80, 201), dtype('float32'))
    """
    if fmax is None:
        fmax = sampling_rate / 2.0
    if not 0.0 <= fmin < fmax:
        raise ValueError(f"mel band [{fmin}, {fmax}] Hz is empty or negative")
    bins = np.fft.rfftfreq(n_fft, 1.0 / sampling_rate)  # the FFT bins' frequencies
    edges = slaney_mel_to_hz(
        np.linspace(hz_to_slaney_mel(fmin), hz_to_slaney_mel(fmax), n_mels + 2)
    )
    widths = np.diff(edges)
    rising = (bins[None, :] - edges[:-2, None]) / widths[:-1, None]
    falling = (edges[2:, None] - bins[None, :]) / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def periodic_hann(length: int) -> np.ndarray:
    """The periodic Hann window (``0.5 - 0.5 cos(2 pi n / length)``), as STFTs use."""
    n = np.arange(length, dtype=np.float64)
    return 0.5 - 0.5 * np.cos(2.0 * math.pi * n / length)


def centred_stft_magnitude(
    audio: np.ndarray,
    n_fft: int,
    hop_length: int,
    win_length: Optional[int] = None,
) -> np.ndarray:
    """``|STFT|`` ``(1 + len(audio) // hop_length, 1 + n_fft // 2)`` with centred, reflect-padded frames.

    The periodic Hann window of ``win_length`` samples sits in the middle of
    each ``n_fft``-sample frame; frame ``t`` is centred on sample
    ``t * hop_length``.
    """
    win_length = n_fft if win_length is None else win_length
    window = np.zeros(n_fft)
    left = (n_fft - win_length) // 2
    window[left : left + win_length] = periodic_hann(win_length)
    x = np.asarray(audio, dtype=np.float64)
    padded = np.pad(x, n_fft // 2, mode="reflect") if x.size > 1 else np.pad(x, n_fft // 2)
    count = 1 + (padded.size - n_fft) // hop_length
    index = np.arange(n_fft)[None, :] + hop_length * np.arange(count)[:, None]
    return np.abs(np.fft.rfft(padded[index] * window, axis=1))
