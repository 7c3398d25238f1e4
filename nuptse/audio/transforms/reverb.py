"""Reverberation: convolution with a recorded or generated room impulse response.

The output is aligned on the RIR's peak and cut to the input length, then
rescaled to the input's mean power when ``normalize_output``.  An RIR at
another rate than the audio is resampled to the audio's rate first.  A recorded RIR
is scaled by 2^-15 first (as lhotse does); a generated one
(:class:`~nuptse.audio.rir.FastRandomRIRGenerator`) has a unit direct path.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nuptse.audio.resampling import polyphase_resample
from nuptse.audio.rir import FastRandomRIRGenerator
from nuptse.audio.transforms.base import AudioTransform, UnknownTransformError, recording_type

#: lhotse scales the RIR (already in [-1, 1]) by this before convolving.
RIR_SCALING_FACTOR = 0.5**15


@dataclass
class ReverbWithImpulseResponse(AudioTransform):
    """Convolve with a room impulse response: a :class:`Recording` of one, or
    (``rir=None``) one drawn by ``rir_generator`` from its recorded seeds.

    Mono input with a multi-channel ``rir_channels`` gives multi-channel output
    (for a generated RIR, one microphone per entry); multi-channel input uses
    one RIR channel per input channel (or the single one for all).
    ``early_only`` keeps the first 50 ms of a recorded RIR, or the generator's
    ``direct_range`` around the direct path of a generated one.
    """

    rir: Any = None
    normalize_output: bool = True
    early_only: bool = False
    rir_channels: list = field(default_factory=lambda: [0])
    rir_generator: Any = None

    def __post_init__(self):
        if isinstance(self.rir, dict):
            if "sources" not in self.rir:
                raise UnknownTransformError(
                    "ReverbWithImpulseResponse: only a Recording RIR is supported, got a dict "
                    f"with keys {sorted(self.rir)}"
                )
            self.rir = recording_type().from_dict(self.rir)
        self.rir_channels = [int(c) for c in (self.rir_channels or [0])]
        if isinstance(self.rir_generator, dict):
            self.rir_generator = FastRandomRIRGenerator.from_dict(self.rir_generator)
        if self.rir is None and self.rir_generator is None:
            raise ValueError(
                "ReverbWithImpulseResponse needs an `rir` Recording or an `rir_generator`"
            )
        if self.rir is not None:
            bad = [c for c in self.rir_channels if c not in self.rir.channel_ids]
            if bad:
                from nuptse.audio.errors import ChannelNotFoundError

                raise ChannelNotFoundError(
                    f"rir_channels {bad} do not exist in RIR recording '{self.rir.id}' "
                    f"(channels {self.rir.channel_ids})"
                )

    def to_dict(self) -> dict:
        rir = self.rir.to_dict() if hasattr(self.rir, "to_dict") else self.rir
        gen = self.rir_generator
        if gen is not None and hasattr(gen, "to_dict"):
            gen = gen.to_dict()
        return {
            "name": type(self).__name__,
            "kwargs": {
                "rir": rir,
                "normalize_output": self.normalize_output,
                "early_only": self.early_only,
                "rir_channels": list(self.rir_channels),
                "rir_generator": gen,
            },
        }

    def with_path_prefix(self, path) -> ReverbWithImpulseResponse:
        if self.rir is None:
            return self
        return dataclasses.replace(self, rir=self.rir.with_path_prefix(path))

    def load_rir(self, sampling_rate: int) -> np.ndarray:
        """The RIR channels in use as float32 ``(channels, samples)`` at ``sampling_rate``.

        An RIR recorded or generated at another rate is resampled to the
        audio's rate, so the room's time response is kept.
        """
        if self.rir is None:
            gen = self.rir_generator
            rir = gen(nsource=len(self.rir_channels))
            rir = gen.early_part(rir) if self.early_only else rir
            rate = gen.sr
        else:
            duration = 0.05 if self.early_only else None
            if duration is not None:
                duration = min(duration, self.rir.duration)
            rir = self.rir.load_audio(channels=self.rir_channels, duration=duration)
            rate = self.rir.sampling_rate
        if rate != sampling_rate:
            rir = polyphase_resample(rir, rate, sampling_rate)
        return rir

    def __call__(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        x = np.asarray(samples)
        if x.ndim == 1:
            x = x[None, :]
        rir = self.load_rir(sampling_rate).astype(np.float64)
        if self.rir is not None:
            rir *= RIR_SCALING_FACTOR  # generated RIRs have a unit direct path already
        n_in_ch, n = x.shape
        n_rir_ch = rir.shape[0]
        if n_in_ch > 1 and n_rir_ch not in (1, n_in_ch):
            what = f"'{self.rir.id}'" if self.rir is not None else "generated"
            raise ValueError(
                f"Cannot reverberate {n_in_ch}-channel audio with a {n_rir_ch}-channel RIR "
                f"({what}, channels {self.rir_channels}): use one RIR channel or one per "
                "input channel"
            )
        n_out_ch = n_rir_ch if n_in_ch == 1 else n_in_ch
        out = np.empty((n_out_ch, n), dtype=np.float32)
        size = n + rir.shape[1] - 1
        nfft = 1 << (size - 1).bit_length()
        spectra = {}
        for d in range(n_out_ch):
            xd = x[0 if n_in_ch == 1 else d].astype(np.float64)
            hd = rir[0 if n_rir_ch == 1 else d]
            if (0 if n_in_ch == 1 else d) not in spectra:
                spectra[0 if n_in_ch == 1 else d] = np.fft.rfft(xd, nfft)
            wet = np.fft.irfft(spectra[0 if n_in_ch == 1 else d] * np.fft.rfft(hd, nfft), nfft)
            shift = int(np.argmax(hd))
            yd = wet[shift : shift + n]
            if self.normalize_output:
                p_in = np.mean(xd**2)
                p_out = np.mean(yd**2)
                if p_out > 0:
                    yd = yd * np.sqrt(p_in / p_out)
            out[d] = yd
        return out


__all__ = ["RIR_SCALING_FACTOR", "ReverbWithImpulseResponse"]
