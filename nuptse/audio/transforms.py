"""Audio transforms that a manifest records and ``load_audio`` applies.

A :class:`Recording` does not store perturbed audio; it stores the recipe.
Each transform is a small picklable dataclass that

* turns ``(channels, samples)`` float32 audio at a rate into new audio
  (``__call__``);
* maps a requested ``offset``/``duration`` of its output back to the span of
  its input that has to be decoded (``reverse_timestamps``), so a short read
  of a perturbed recording decodes only what it needs;
* serializes to lhotse's ``{"name": <class name>, "kwargs": {...}}``.

Sample counts after each transform come from :mod:`nuptse.timing`
(``perturb_num_samples`` for speed and tempo, ``compute_num_samples`` of the
duration for resampling); ``Recording.load_audio`` pads or trims the result
to exactly that count.

Algorithms (chosen for parity with what lhotse 1.33 wrote in the fixtures):

* ``Speed``: treat the signal as sampled at ``round(sr * factor)`` and
  convert back to ``sr`` with the Hann-windowed sinc resampler (width 6,
  rolloff 0.99), see :mod:`nuptse.audio.resampling`.
* ``Resample``: Kaiser-windowed polyphase FIR (lhotse's output without
  torchaudio, bit-for-bit up to float rounding).  lhotse *with* torchaudio
  uses the sinc resampler instead; the two differ by up to ~0.02 near
  Nyquist, but give the same number of samples.
* ``Tempo``: WSOLA (waveform-similarity overlap-add) with 82 ms segments,
  12 ms cross-fades and a ±14.68 ms search, the parameters of ``sox tempo``.
  It is not sample-identical to sox.
* ``Volume``: multiplication.
* ``ReverbWithImpulseResponse``: convolution with the RIR (a recorded one
  scaled by 2^-15, or a seeded random one from
  :class:`~nuptse.audio.rir.FastRandomRIRGenerator`), output aligned on the
  RIR's peak and cut to the input length, then rescaled to the input's mean
  power when ``normalize_output``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Optional

import numpy as np

from nuptse.audio.resampling import polyphase_resample, sinc_resample
from nuptse.audio.rir import FastRandomRIRGenerator
from nuptse.timing import (
    compute_num_samples,
    perturb_num_samples,
    samples_to_seconds,
    speed_sampling_rate,
)


class UnknownTransformError(ValueError):
    """A manifest names a transform that nuptse does not implement."""


class AudioTransform:
    """Base class: subclasses register themselves by class name for :meth:`from_dict`."""

    KNOWN_TRANSFORMS: ClassVar[dict[str, type]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        AudioTransform.KNOWN_TRANSFORMS.setdefault(cls.__name__, cls)

    def to_dict(self) -> dict:
        kwargs = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {"name": type(self).__name__, "kwargs": kwargs}

    @staticmethod
    def from_dict(data: dict) -> AudioTransform:
        """Build a transform from ``{"name": ..., "kwargs": ...}``.

        >>> AudioTransform.from_dict({"name": "Volume", "kwargs": {"factor": 0.5}})
        Volume(factor=0.5)
        """
        if isinstance(data, AudioTransform):
            return data
        name = data.get("name")
        cls = AudioTransform.KNOWN_TRANSFORMS.get(name)
        if cls is None:
            raise UnknownTransformError(
                f"Unknown audio transform {name!r} in {data!r}; nuptse implements "
                f"{sorted(AudioTransform.KNOWN_TRANSFORMS)}"
            )
        return cls(**dict(data.get("kwargs") or {}))

    def __call__(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        raise NotImplementedError

    def reverse_timestamps(
        self, offset: float, duration: Optional[float], sampling_rate: int
    ) -> tuple[float, Optional[float]]:
        """The input span (seconds) needed for output span ``offset``/``duration``."""
        return offset, duration

    def with_path_prefix(self, path) -> AudioTransform:
        """A copy whose embedded file paths (if any) are joined to ``path``."""
        return self


def _stretch_span(
    factor: float, offset: float, duration: Optional[float], sampling_rate: int
) -> tuple[float, Optional[float]]:
    # Output time t maps to input time t * factor; work in samples for exactness.
    start = perturb_num_samples(compute_num_samples(offset, sampling_rate), 1 / factor)
    num = (
        None
        if duration is None
        else perturb_num_samples(compute_num_samples(duration, sampling_rate), 1 / factor)
    )
    return (
        samples_to_seconds(start, sampling_rate),
        None if num is None else samples_to_seconds(num, sampling_rate),
    )


#: The Recording class, registered by :mod:`nuptse.audio.recording` when it is
#: imported (``import nuptse.audio`` always does).  Transforms that hold a
#: recording (the RIR of a reverb) deserialize it through this instead of
#: importing the recording module, which imports this one.
_RECORDING_TYPE: list = []


def register_recording_type(cls: type) -> None:
    _RECORDING_TYPE[:] = [cls]


def _recording_type() -> type:
    if not _RECORDING_TYPE:
        import importlib

        importlib.import_module("nuptse.audio")
    return _RECORDING_TYPE[0]


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
        return _stretch_span(self.factor, offset, duration, sampling_rate)


@dataclass
class Tempo(AudioTransform):
    """Tempo perturbation keeping the pitch (WSOLA): ``factor`` 0.9 is 10% slower."""

    factor: float

    def __call__(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        return wsola(samples, self.factor, sampling_rate)

    def reverse_timestamps(self, offset, duration, sampling_rate):
        return _stretch_span(self.factor, offset, duration, sampling_rate)


@dataclass
class Volume(AudioTransform):
    """Gain by ``factor`` (no limiter)."""

    factor: float

    def __call__(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        return (np.asarray(samples, dtype=np.float32) * np.float32(self.factor)).astype(
            np.float32, copy=False
        )


@dataclass
class Resample(AudioTransform):
    """Rate conversion from ``source_sampling_rate`` to ``target_sampling_rate``."""

    source_sampling_rate: int
    target_sampling_rate: int

    def __post_init__(self):
        self.source_sampling_rate = int(self.source_sampling_rate)
        self.target_sampling_rate = int(self.target_sampling_rate)

    def __call__(self, samples: np.ndarray, sampling_rate: int = None) -> np.ndarray:
        return polyphase_resample(samples, self.source_sampling_rate, self.target_sampling_rate)

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
            self.rir = _recording_type().from_dict(self.rir)
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
        """The RIR channels in use as float32 ``(channels, samples)``."""
        if self.rir is None:
            gen = self.rir_generator
            if gen.sr != sampling_rate:
                raise ValueError(
                    f"The RIR generator is set up for {gen.sr} Hz but the audio is at "
                    f"{sampling_rate} Hz"
                )
            rir = gen(nsource=len(self.rir_channels))
            return gen.early_part(rir) if self.early_only else rir
        if self.rir.sampling_rate != sampling_rate:
            raise ValueError(
                f"RIR '{self.rir.id}' is sampled at {self.rir.sampling_rate} Hz but the audio at "
                f"{sampling_rate} Hz"
            )
        duration = 0.05 if self.early_only else None
        if duration is not None:
            duration = min(duration, self.rir.duration)
        return self.rir.load_audio(channels=self.rir_channels, duration=duration)

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


# --------------------------------------------------------------------------- WSOLA


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


__all__ = [
    "AudioTransform",
    "UnknownTransformError",
    "Speed",
    "Tempo",
    "Volume",
    "Resample",
    "ReverbWithImpulseResponse",
    "RIR_SCALING_FACTOR",
    "FastRandomRIRGenerator",
    "wsola",
]
