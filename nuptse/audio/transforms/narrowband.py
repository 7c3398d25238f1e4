"""Telephone-band simulation: down to 8 kHz, through a speech codec, optionally back up.

Two codecs, by lhotse's names:

* ``"mulaw"``: 8-bit mu-law companding (mu = 255, 256 levels): each sample is
  compressed with ``sign(x) * ln(1 + mu |x|) / ln(1 + mu)``, quantised to
  one of 256 levels and expanded again.  Pure numpy.
* ``"lpc10"``: the 2400 bit/s LPC-10 vocoder of the SpanDSP library (frames
  of 180 samples, 7 bytes each), through ctypes; it needs ``libspandsp``.

Resampling uses the same polyphase filter as ``Resample``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass

import numpy as np

from nuptse.audio.resampling import polyphase_resample
from nuptse.audio.transforms.base import AudioTransform, audio_array

NARROWBAND_SAMPLING_RATE = 8000
LPC10_FRAME_SAMPLES = 180
LPC10_FRAME_BYTES = 7


class Codec:
    """A speech codec: ``codec(samples)`` encodes and decodes ``(1, n)`` float audio at 8 kHz."""

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class MuLawCodec(Codec):
    """8-bit mu-law companding (mu = 255).

    >>> MuLawCodec()(np.array([[0.0, 0.5, -1.0]], dtype=np.float32)).round(3)
    array([[ 0.   ,  0.497, -1.   ]], dtype=float32)
    """

    mu = 255

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        x = np.clip(np.asarray(samples, dtype=np.float64), -1.0, 1.0)
        squeezed = np.sign(x) * np.log1p(self.mu * np.abs(x)) / np.log1p(self.mu)
        levels = np.floor((squeezed + 1.0) / 2.0 * self.mu + 0.5)  # 0 .. 255
        y = levels / self.mu * 2.0 - 1.0
        return (np.sign(y) * np.expm1(np.abs(y) * np.log1p(self.mu)) / self.mu).astype(np.float32)


def libspandsp_api():
    """libspandsp loaded through ctypes, with the LPC-10 functions declared."""
    path = ctypes.util.find_library("spandsp") or "libspandsp.so"
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise RuntimeError(
            "The LPC-10 narrowband codec needs the SpanDSP library (libspandsp), which cannot be "
            "loaded here; install it (e.g. apt-get install libspandsp-dev) or use codec='mulaw'"
        ) from e
    vp, u8p, i16p = ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint8), ctypes.POINTER(ctypes.c_short)
    for side, args in (
        ("encode", [vp, u8p, i16p, ctypes.c_int]),
        ("decode", [vp, i16p, u8p, ctypes.c_int]),
    ):
        init = getattr(lib, f"lpc10_{side}_init")
        init.argtypes, init.restype = [vp, ctypes.c_int], vp
        run = getattr(lib, f"lpc10_{side}")
        run.argtypes, run.restype = args, ctypes.c_int
        getattr(lib, f"lpc10_{side}_free").argtypes = [vp]
    return lib


class LPC10Codec(Codec):
    """SpanDSP's LPC-10 vocoder; the output is padded to whole 180-sample frames."""

    def __init__(self):
        self.api = libspandsp_api()

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        x = np.asarray(samples, dtype=np.float64)[0]
        n_frames = -(-len(x) // LPC10_FRAME_SAMPLES)
        pcm = np.zeros(n_frames * LPC10_FRAME_SAMPLES, dtype=np.int16)
        pcm[: len(x)] = np.clip(np.round(x * 32768), -32768, 32767)
        out = np.empty_like(pcm)
        data = (ctypes.c_uint8 * LPC10_FRAME_BYTES)()
        enc = self.api.lpc10_encode_init(None, 0)
        dec = self.api.lpc10_decode_init(None, 0)
        try:
            for i in range(n_frames):
                frame = np.ascontiguousarray(
                    pcm[i * LPC10_FRAME_SAMPLES : (i + 1) * LPC10_FRAME_SAMPLES]
                )
                decoded = out[i * LPC10_FRAME_SAMPLES : (i + 1) * LPC10_FRAME_SAMPLES]
                as_shorts = ctypes.POINTER(ctypes.c_short)
                n_bytes = self.api.lpc10_encode(
                    enc, data, frame.ctypes.data_as(as_shorts), LPC10_FRAME_SAMPLES
                )
                n_samples = self.api.lpc10_decode(
                    dec, decoded.ctypes.data_as(as_shorts), data, LPC10_FRAME_BYTES
                )
                if (n_bytes, n_samples) != (LPC10_FRAME_BYTES, LPC10_FRAME_SAMPLES):
                    raise RuntimeError(
                        f"LPC-10 frame {i}: libspandsp gave {n_bytes} bytes / {n_samples} samples, "
                        f"expected {LPC10_FRAME_BYTES} / {LPC10_FRAME_SAMPLES}"
                    )
        finally:
            self.api.lpc10_encode_free(enc)
            self.api.lpc10_decode_free(dec)
        return (out.astype(np.float32) / 32768)[None, :]


CODECS = {"lpc10": LPC10Codec, "mulaw": MuLawCodec}


@dataclass
class Narrowband(AudioTransform):
    """Resample to 8 kHz, pass through ``codec`` (``"mulaw"`` or ``"lpc10"``) and, with
    ``restore_orig_sr``, resample back to ``source_sampling_rate`` (same length as the input).

    >>> Narrowband("mulaw", 16000, True).to_dict()["kwargs"]
    {'codec': 'mulaw', 'source_sampling_rate': 16000, 'restore_orig_sr': True}
    """

    codec: str
    source_sampling_rate: int
    restore_orig_sr: bool

    def __post_init__(self):
        if self.codec not in CODECS:
            raise ValueError(
                f"Unsupported narrowband codec {self.codec!r}; choose one of {sorted(CODECS)}"
            )

    def input_sampling_rate(self) -> int:
        return self.source_sampling_rate

    def output_sampling_rate(self, sampling_rate: int) -> int:
        return self.source_sampling_rate if self.restore_orig_sr else NARROWBAND_SAMPLING_RATE

    def __call__(self, samples: np.ndarray, sampling_rate: int = None) -> np.ndarray:
        x = audio_array(samples, "Narrowband")
        src, nb = self.source_sampling_rate, NARROWBAND_SAMPLING_RATE
        codec = CODECS[self.codec]()
        low = polyphase_resample(x, src, nb)
        coded = np.vstack([codec(ch[None, :])[:, : low.shape[1]] for ch in low])
        if not self.restore_orig_sr:
            return coded
        out = polyphase_resample(coded, nb, src)
        n = x.shape[1]
        return out[:, :n] if out.shape[1] >= n else np.pad(out, ((0, 0), (0, n - out.shape[1])))


__all__ = [
    "CODECS",
    "Codec",
    "LPC10Codec",
    "MuLawCodec",
    "NARROWBAND_SAMPLING_RATE",
    "Narrowband",
    "libspandsp_api",
]
