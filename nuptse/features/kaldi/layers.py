"""Kaldi-compatible feature extractors as PyTorch layers.

``Wav2Win`` cuts a waveform into processed frames; ``Wav2FFT``,
``Wav2Spec``, ``Wav2LogSpec``, ``Wav2LogFilterBank`` and ``Wav2MFCC`` add
the FFT, the (log) power spectrum, the log-mel filter bank and the MFCC on
top.  Each is a ``torch.nn.Module`` that works on batches ``(batch,
num_samples)`` of float waveforms (lhotse feeds samples in [-1, 1]), runs on
any device and dtype, lets gradients flow to the input, and compiles with
``torch.jit.script``.

What is computed, per frame, is Kaldi's algorithm (``ExtractWindow`` and
``ProcessWindow`` in ``feature-window.cc``, then ``fbank``/``mfcc``/
``spectrogram``):

* frame ``m`` starts at ``m * shift`` (``snip_edges=True``) or at
  ``m * shift + shift // 2 - length // 2`` with the signal reflected at both
  ends (``snip_edges=False``); frame counts are :func:`nuptse.timing.kaldi_num_frames`;
* remove the frame's mean, take the raw log energy, pre-emphasise
  (``y[i] = x[i] - c * x[i-1]``, ``y[0] = x[0] - c * x[0]``), multiply by
  the window, zero-pad to the FFT size;
* power spectrum, mel filter bank, ``log(max(., FLT_EPSILON))``, DCT and
  lifter.

With ``dither=0`` the log-mel filter bank and MFCC equal Kaldi's (and
kaldi-native-fbank's) to float32 precision on every frame.  Where lhotse's
layers deliberately differ from Kaldi, the lhotse behaviour is the default:

* **Log floors** (``kaldi_log_floor=False``, the default): the log energy is
  ``max(log(E + 1e-15), log(energy_floor))`` and the log spectrum of
  ``Wav2LogSpec`` is ``log(P + 1e-15)``.  Kaldi uses ``log(max(E,
  FLT_EPSILON))`` (then the ``energy_floor``) and ``log(max(P,
  FLT_EPSILON))``.  The two only differ for energies below FLT_EPSILON
  (1.19e-7), i.e. near-silent frames: lhotse's silent frame has log energy
  ``ln(1e-10) = -23.03`` (the value lhotse also pads features with), Kaldi's
  ``ln(FLT_EPSILON) = -15.94``.  Pass ``kaldi_log_floor=True`` for
  Kaldi's numbers.  (Mel energies are floored at FLT_EPSILON in both modes,
  as both Kaldi and lhotse do.)
* **Dither** is added once per input sample (Kaldi adds fresh noise to every
  frame, so overlapping frames see different noise).  Dithered output is
  random and cannot equal Kaldi's.
* ``torchaudio_compatible_mel_scale=False`` selects lhotse's alternative mel
  bank (not Kaldi's); ``norm_filters`` only applies to that bank, as in lhotse.

Where exactness is impossible: with ``dither != 0`` (random); with
``kaldi_log_floor=False`` on frames whose energy is below FLT_EPSILON (the
lhotse floor, by design); and ``Wav2LogSpec`` bins whose power is more than
about 60 dB below their frame's strongest bin, where float32 FFT rounding
(ours, Kaldi's and kaldi-native-fbank's alike) dominates the log.  Everything
else agrees with a float64 transcription of Kaldi within 1e-3 (log-mel) and
2e-3 (MFCC) on every frame, and on average closer than kaldi-native-fbank.

Corrections of lhotse's behaviour (Kaldi is followed): the Blackman window
uses ``2*pi/(N-1)`` like Kaldi's; the ``snip_edges=False`` frame offset uses
Kaldi's ``shift // 2 - length // 2`` (lhotse's differs for odd shifts); very
short signals are reflected repeatedly as in Kaldi; ``Wav2MFCC(use_energy=
True)`` replaces ``c0`` of every frame by the log energy; frame length and
shift in samples come from :func:`nuptse.timing.compute_num_samples`.

``Wav2Win()(x)`` returns ``(frames, log_energy)``, the log energy being None
unless ``return_log_energy=True`` (lhotse's documented return type).  Fixed tables (window, mel
bank, DCT, lifter) are float64 buffers cast to the input's dtype on use, so
``.double()`` and float64 input give float64 results at float64 accuracy.

**Batches.** ``forward(x, lengths)`` takes a zero-padded batch and the true
length of each row; every row then gives exactly what it gives alone,
including its last frames (reflected at its own end).  The output has
``kaldi_num_frames(x.size(1))`` frames; frames past a row's own count
(:meth:`Wav2Win.num_frames`) are zero.  Padding is never computed: on CPU
each row is processed in place; on other devices the valid parts of all rows
are packed into one signal so that each step is one large launch.

**Memory.** On CPU without autograd, the spectral layers keep their frames
buffer (at most ``_block_frames`` frames) between calls, since fresh
multi-MiB buffers cost page faults on every call; it is never shared between
concurrent calls, copied, pickled or saved.

**Streaming.** ``online_inference(x, context=None, flush=False)`` takes
successive chunks (any sizes, down to one sample) and returns the frames
that became complete together with a remainder tensor to pass as
``context`` to the next call, as lhotse's does (the types are lhotse's, also
under TorchScript).  The remainder holds less than one frame of samples
(:mod:`nuptse.features.kaldi.streaming` says what exactly), so the state
stays bounded.  The end of the stream is signalled by ``flush=True`` on the
last call (its chunk may be empty): it emits the final frames (reflected at
the end for ``snip_edges=False``) and returns the remainder of a fresh
stream.  Concatenating all outputs equals ``forward`` on the whole signal.
(lhotse has no flush; feeding the reversed last ``shift`` samples as a last
chunk, as its tests do, gives the same frames with the default options.)

**Checkpoints.** Buffers carry lhotse's names and shapes (``wav2win._window``,
``_fb``, ``_dct``, ``_lifter``, ``_eps``), so ``state_dict`` files of models
that embed these layers load either way.
"""

from __future__ import annotations

from typing import Optional, Union

import numpy as np
import torch

from nuptse.features.kaldi.dsp import (
    WINDOW_TYPES,
    frame_window,
    inverse_mel_scale,
    kaldi_mel_banks,
    linear_grid_mel_banks,
    mel_scale,
    next_power_of_2,
)
from nuptse.features.kaldi.framing import Wav2Win
from nuptse.features.kaldi.mel import Wav2LogFilterBank, Wav2MFCC
from nuptse.features.kaldi.spectral import Wav2FFT, Wav2LogSpec, Wav2Spec
from nuptse.features.kaldi.streaming import _get_strided_batch, _get_strided_batch_streaming

__all__ = [
    "Wav2Win",
    "Wav2FFT",
    "Wav2Spec",
    "Wav2LogSpec",
    "Wav2LogFilterBank",
    "Wav2MFCC",
    "available_windows",
    "create_frame_window",
    "create_mel_scale",
    "get_mel_banks",
    "lin2mel",
    "mel2lin",
    "next_power_of_2",
    "_get_strided_batch",
    "_get_strided_batch_streaming",
]

HAMMING = "hamming"
HANNING = "hanning"
POVEY = "povey"
RECTANGULAR = "rectangular"
BLACKMAN = "blackman"


def available_windows() -> list[str]:
    """Names accepted as ``window_type``.

    >>> "povey" in available_windows()
    True
    """
    return list(WINDOW_TYPES)


def create_frame_window(
    window_size: int, window_type: str = "povey", blackman_coeff: float = 0.42
) -> torch.Tensor:
    """Kaldi's analysis window of ``window_size`` samples, in the default dtype.

    >>> create_frame_window(400).shape
    torch.Size([400])
    """
    return frame_window(window_size, window_type, blackman_coeff).to(torch.get_default_dtype())


def lin2mel(x: Union[float, np.ndarray, torch.Tensor]):
    """Hz to mel (``1127 ln(1 + f / 700)``), for numbers, arrays and tensors.

    >>> round(float(lin2mel(700.0)), 3)
    781.177
    """
    if isinstance(x, torch.Tensor):
        return mel_scale(x)
    return 1127.0 * np.log1p(np.asarray(x, dtype=np.float64) / 700.0)


def mel2lin(x: Union[float, np.ndarray, torch.Tensor]):
    """Mel to Hz, the inverse of :func:`lin2mel`.

    >>> round(float(mel2lin(lin2mel(1000.0))), 6)
    1000.0
    """
    if isinstance(x, torch.Tensor):
        return inverse_mel_scale(x)
    return 700.0 * np.expm1(np.asarray(x, dtype=np.float64) / 1127.0)


def create_mel_scale(
    num_filters: int,
    fft_length: int,
    sampling_rate: int,
    low_freq: float = 0,
    high_freq: Optional[float] = None,
    norm_filters: bool = True,
) -> torch.Tensor:
    """The mel bank of ``torchaudio_compatible_mel_scale=False``: ``(fft_length // 2 + 1, num_filters)`` float32.

    ``high_freq`` None or 0 is the Nyquist frequency, a negative value an
    offset from it; ``norm_filters`` scales each filter to unit sum.

    >>> create_mel_scale(40, 512, 16000).shape
    torch.Size([257, 40])
    """
    banks = linear_grid_mel_banks(
        num_filters, fft_length, sampling_rate, low_freq, high_freq or 0.0, norm_filters
    )
    return banks.float()


def get_mel_banks(
    num_bins: int,
    window_length_padded: int,
    sample_freq: float,
    low_freq: float,
    high_freq: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Kaldi's mel bank as torchaudio lays it out: ``(bins, center_freqs)``.

    ``bins`` is ``(num_bins, window_length_padded // 2)`` (no Nyquist
    column), ``center_freqs`` the centre of each filter in Hz.

    >>> bins, centers = get_mel_banks(23, 512, 16000.0, 20.0, 0.0)
    >>> bins.shape, centers.shape
    (torch.Size([23, 256]), torch.Size([23]))
    """
    banks = kaldi_mel_banks(num_bins, window_length_padded, sample_freq, low_freq, high_freq)
    nyquist = 0.5 * sample_freq
    high = high_freq if high_freq > 0.0 else nyquist + high_freq
    mel_low, mel_high = mel_scale(low_freq), mel_scale(high)
    delta = (mel_high - mel_low) / (num_bins + 1)
    centers = mel_low + (torch.arange(num_bins, dtype=torch.float64) + 1.0) * delta
    dtype = torch.get_default_dtype()
    return banks[:-1].T.contiguous().to(dtype), inverse_mel_scale(centers).to(dtype)
