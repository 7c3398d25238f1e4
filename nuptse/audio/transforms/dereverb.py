"""Dereverberation with weighted prediction error (WPE), through nara_wpe.

The signal goes to the short-time Fourier domain (Blackman window, frames
centred on multiples of the hop with reflection padding at the ends), each
frequency's late reverberation is predicted from ``taps`` earlier frames
(after ``delay``) and subtracted by nara_wpe's ``wpe_v8``, and the result is
overlap-added back.  nara_wpe is an optional dependency; the defaults are
its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from nuptse.audio.transforms.base import AudioTransform, audio_array, optional_module


def _stft(x: np.ndarray, n_fft: int, hop: int, window: np.ndarray) -> np.ndarray:
    """``(channels, n)`` -> ``(channels, n_fft // 2 + 1, frames)``, frames centred at ``t * hop``."""
    pad = n_fft // 2
    xp = np.pad(x, ((0, 0), (pad, pad)), mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(xp, n_fft, axis=1)[:, ::hop]
    return np.fft.rfft(frames * window, axis=-1).transpose(0, 2, 1)


def _istft(spec: np.ndarray, n_fft: int, hop: int, window: np.ndarray) -> np.ndarray:
    """Weighted overlap-add inverse of :func:`_stft`; ``hop * (frames - 1)`` samples."""
    channels, _, n_frames = spec.shape
    frames = np.fft.irfft(spec.transpose(0, 2, 1), n=n_fft, axis=-1) * window
    total = n_fft + hop * (n_frames - 1)
    out = np.zeros((channels, total))
    norm = np.zeros(total)
    for t in range(n_frames):
        out[:, t * hop : t * hop + n_fft] += frames[:, t]
        norm[t * hop : t * hop + n_fft] += window**2
    pad = n_fft // 2
    out, norm = out[:, pad : total - pad], norm[pad : total - pad]
    return out / np.where(norm > 1e-11, norm, 1.0)


def dereverb_wpe_numpy(
    audio: np.ndarray,
    n_fft: int = 512,
    hop_length: int = 128,
    taps: int = 10,
    delay: int = 3,
    iterations: int = 3,
    statistics_mode: str = "full",
) -> np.ndarray:
    """WPE-dereverberate ``(channels, samples)`` audio with nara_wpe's numpy ``wpe_v8``.

    The output has ``hop_length * (samples // hop_length)`` samples (the
    STFT's last partial hop is not reconstructed).
    """
    wpe_v8 = optional_module("nara_wpe.wpe", "nara-wpe", "WPE dereverberation").wpe_v8
    x = audio_array(audio, "dereverb_wpe_numpy")
    window = np.blackman(n_fft + 1)[:-1]  # periodic Blackman window
    spec = _stft(x.astype(np.float64), n_fft, hop_length, window)
    dry = wpe_v8(
        spec.transpose(1, 0, 2),  # nara_wpe wants (frequency, channel, frame)
        taps=taps,
        delay=delay,
        iterations=iterations,
        statistics_mode=statistics_mode,
    )
    return _istft(dry.transpose(1, 0, 2), n_fft, hop_length, window).astype(np.float32)


def dereverb_wpe_torch(
    audio,
    n_fft: int = 512,
    hop_length: int = 128,
    taps: int = 10,
    delay: int = 3,
    iterations: int = 3,
    statistics_mode: str = "full",
):
    """:func:`dereverb_wpe_numpy` for a torch tensor (returns a tensor)."""
    import torch

    out = dereverb_wpe_numpy(
        audio.detach().cpu().numpy(),
        n_fft=n_fft,
        hop_length=hop_length,
        taps=taps,
        delay=delay,
        iterations=iterations,
        statistics_mode=statistics_mode,
    )
    return torch.from_numpy(out)


@dataclass
class DereverbWPE(AudioTransform):
    """Remove late reverberation with WPE (parameters as in nara_wpe).

    >>> DereverbWPE().to_dict()["kwargs"]["taps"]
    10
    """

    n_fft: int = 512
    hop_length: int = 128
    taps: int = 10
    delay: int = 3
    iterations: int = 3
    statistics_mode: str = "full"

    def __call__(self, samples: np.ndarray, sampling_rate: int = None) -> np.ndarray:
        return dereverb_wpe_numpy(audio_array(samples, "DereverbWPE"), **asdict(self))


__all__ = ["DereverbWPE", "dereverb_wpe_numpy", "dereverb_wpe_torch"]
