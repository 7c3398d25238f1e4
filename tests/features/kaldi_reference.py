"""A float64 numpy reference of Kaldi's fbank / MFCC / spectrogram.

Written straight from Kaldi's documented algorithm (``feature-window.cc``,
``mel-computations.cc``, ``feature-fbank.cc``, ``feature-mfcc.cc``,
``feature-spectrogram.cc``), frame by frame and without shortcuts, so that
it shares nothing with ``nuptse.features.kaldi``.  Used only by the tests.

All functions take a 1-D float waveform and Kaldi's options (times in
seconds) and return a ``(num_frames, dim)`` float64 array.
"""

from __future__ import annotations

import functools
import math

import numpy as np

FLT_EPSILON = float(np.finfo(np.float32).eps)


def _num_samples(seconds: float, sampling_rate: int) -> int:
    return int(round(seconds * sampling_rate))


def _num_frames(n: int, length: int, shift: int, snip_edges: bool) -> int:
    if snip_edges:
        return 0 if n < length else 1 + (n - length) // shift
    return (n + shift // 2) // shift


def _first_sample(frame: int, length: int, shift: int, snip_edges: bool) -> int:
    if snip_edges:
        return frame * shift
    return frame * shift + shift // 2 - length // 2


def _window(length: int, window_type: str, blackman_coeff: float = 0.42) -> np.ndarray:
    a = 2 * math.pi / (length - 1)
    w = np.empty(length)
    for i in range(length):
        if window_type == "hanning":
            w[i] = 0.5 - 0.5 * math.cos(a * i)
        elif window_type == "hamming":
            w[i] = 0.54 - 0.46 * math.cos(a * i)
        elif window_type == "povey":
            w[i] = (0.5 - 0.5 * math.cos(a * i)) ** 0.85
        elif window_type == "rectangular":
            w[i] = 1.0
        elif window_type == "blackman":
            w[i] = (
                blackman_coeff
                - 0.5 * math.cos(a * i)
                + (0.5 - blackman_coeff) * math.cos(2 * a * i)
            )
        else:
            raise ValueError(window_type)
    return w


def _extract_all(x: np.ndarray, num: int, length: int, shift: int, snip_edges: bool):
    """All frames' raw samples (num, length), reflecting at both ends as Kaldi does."""
    starts = np.array(
        [_first_sample(f, length, shift, snip_edges) for f in range(num)], dtype=np.int64
    )
    idx = starts[:, None] + np.arange(length)[None, :]
    n = len(x)
    while True:  # Kaldi's repeated reflection: -1 -> 0, n -> n - 1
        low, high = idx < 0, idx >= n
        if not (low.any() or high.any()):
            break
        idx = np.where(low, -idx - 1, np.where(high, 2 * n - 1 - idx, idx))
    return x[idx]


def _mel(f):
    return 1127.0 * np.log(1.0 + np.asarray(f) / 700.0)


@functools.cache
def mel_banks(num_bins, fft_length, sampling_rate, low_freq, high_freq) -> np.ndarray:
    """(num_bins, fft_length // 2) weights, Kaldi's ``MelBanks``."""
    nyquist = 0.5 * sampling_rate
    high = high_freq if high_freq > 0 else nyquist + high_freq
    bin_width = sampling_rate / fft_length
    mel_low, mel_high = _mel(low_freq), _mel(high)
    delta = (mel_high - mel_low) / (num_bins + 1)
    banks = np.zeros((num_bins, fft_length // 2))
    for b in range(num_bins):
        left = mel_low + b * delta
        center = mel_low + (b + 1) * delta
        right = mel_low + (b + 2) * delta
        for i in range(fft_length // 2):
            m = _mel(bin_width * i)
            if left < m < right:
                if m <= center:
                    banks[b, i] = (m - left) / (center - left)
                else:
                    banks[b, i] = (right - m) / (right - center)
    return banks


def _frames(
    x,
    sampling_rate=16000,
    frame_length=0.025,
    frame_shift=0.01,
    preemph_coeff=0.97,
    remove_dc_offset=True,
    window_type="povey",
    round_to_power_of_two=True,
    blackman_coeff=0.42,
    snip_edges=True,
):
    """Yields (windowed padded frame, raw log energy before FLT floor) per frame."""
    x = np.asarray(x, dtype=np.float64)
    length = _num_samples(frame_length, sampling_rate)
    shift = _num_samples(frame_shift, sampling_rate)
    padded = 1 << (length - 1).bit_length() if round_to_power_of_two else length
    window = _window(length, window_type, blackman_coeff)
    num = _num_frames(len(x), length, shift, snip_edges)
    w = _extract_all(x, num, length, shift, snip_edges)
    if remove_dc_offset:
        w = w - w.sum(axis=1, keepdims=True) / length
    raw_energies = np.sum(w * w, axis=1)
    if preemph_coeff != 0.0:
        first = w[:, :1] - preemph_coeff * w[:, :1]
        w = np.concatenate([first, w[:, 1:] - preemph_coeff * w[:, :-1]], axis=1)
    frames = np.zeros((num, padded))
    frames[:, :length] = w * window
    return frames, raw_energies


def _log_energy(energies, energy_floor):
    log_e = np.log(np.maximum(energies, FLT_EPSILON))
    if energy_floor > 0:
        log_e = np.maximum(log_e, math.log(energy_floor))
    return log_e


def _split(opts):
    frame_keys = {
        "sampling_rate",
        "frame_length",
        "frame_shift",
        "preemph_coeff",
        "remove_dc_offset",
        "window_type",
        "round_to_power_of_two",
        "blackman_coeff",
        "snip_edges",
    }
    return {k: v for k, v in opts.items() if k in frame_keys}, {
        k: v for k, v in opts.items() if k not in frame_keys
    }


def fbank(
    x,
    num_bins=23,
    low_freq=20.0,
    high_freq=0.0,
    use_energy=False,
    energy_floor=0.0,
    raw_energy=True,
    use_power=True,
    **frame_opts,
) -> np.ndarray:
    """Kaldi ``compute-fbank-feats`` (log-mel energies, log energy first if ``use_energy``)."""
    frames, raw = _frames(x, **frame_opts)
    sr = frame_opts.get("sampling_rate", 16000)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    if not use_power:
        spec = np.sqrt(spec)
    banks = mel_banks(num_bins, frames.shape[1], sr, low_freq, high_freq)
    mel = spec[:, : frames.shape[1] // 2] @ banks.T
    out = np.log(np.maximum(mel, FLT_EPSILON))
    if use_energy:
        energies = raw if raw_energy else np.sum(frames**2, axis=1)
        out = np.concatenate([_log_energy(energies, energy_floor)[:, None], out], axis=1)
    return out


def mfcc(
    x,
    num_bins=23,
    num_ceps=13,
    cepstral_lifter=22.0,
    low_freq=20.0,
    high_freq=0.0,
    use_energy=True,
    energy_floor=0.0,
    raw_energy=True,
    **frame_opts,
) -> np.ndarray:
    """Kaldi ``compute-mfcc-feats``."""
    log_mel = fbank(
        x, num_bins=num_bins, low_freq=low_freq, high_freq=high_freq, use_energy=False, **frame_opts
    )
    n = num_bins
    dct = np.empty((num_ceps, n))
    for k in range(num_ceps):
        for j in range(n):
            if k == 0:
                dct[k, j] = math.sqrt(1.0 / n)
            else:
                dct[k, j] = math.sqrt(2.0 / n) * math.cos(math.pi / n * (j + 0.5) * k)
    out = log_mel @ dct.T
    if cepstral_lifter != 0:
        lifter = np.array(
            [
                1.0 + 0.5 * cepstral_lifter * math.sin(math.pi * i / cepstral_lifter)
                for i in range(num_ceps)
            ]
        )
        out = out * lifter
    if use_energy:
        frames, raw = _frames(x, **frame_opts)
        energies = raw if raw_energy else np.sum(frames**2, axis=1)
        out[:, 0] = _log_energy(energies, energy_floor)
    return out


def spectrogram(x, energy_floor=0.0, raw_energy=True, **frame_opts) -> np.ndarray:
    """Kaldi ``compute-spectrogram-feats``: log power spectrum, bin 0 = log energy."""
    frames, raw = _frames(x, **frame_opts)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    out = np.log(np.maximum(spec, FLT_EPSILON))
    energies = raw if raw_energy else np.sum(frames**2, axis=1)
    out[:, 0] = _log_energy(energies, energy_floor)
    return out
