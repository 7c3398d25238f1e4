"""Lossy-codec round trips: encode the audio and decode it again, in memory.

``Compress`` simulates transmission or storage through MP3, Opus, Vorbis or
GSM 06.10.  The encoding and decoding are libsndfile's (python-soundfile, in
this process; no ``ffmpeg`` program): it writes all four codecs, which
FFmpeg's libraries as PyAV ships them do not (no GSM encoder), and it gives
the same samples as lhotse.  libsndfile refuses rates a codec does not
support (e.g. MP3 at 12345 Hz, Opus at 22050 Hz) with
``soundfile.LibsndfileError`` when the audio is loaded.
"""

from __future__ import annotations

import io
import typing
from dataclasses import dataclass
from typing import ClassVar, Literal, Optional

import numpy as np

from nuptse.audio.transforms.base import AudioTransform

Codec = Literal["opus", "mp3", "vorbis", "gsm"]

#: Rates the Opus encoder accepts.
OPUS_SUPPORTED_SAMPLING_RATES = [8000, 12000, 16000, 24000, 48000]
#: Rates of MPEG-1/2/2.5 layer III.
MP3_SUPPORTED_SAMPLING_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000]
#: GSM 06.10 is defined for 8 kHz telephone audio only.
GSM_SAMPLING_RATE = 8000


@dataclass
class Compress(AudioTransform):
    """Pass the audio through the lossy ``codec`` at ``compression_level``.

    ``compression_level`` runs from 0.0 (best quality) to 1.0 (smallest
    output); GSM has a fixed bit rate and ignores it.  GSM audio at another
    rate than 8 kHz is resampled to 8 kHz and back around the codec
    (``Recording.compress`` records those steps as separate ``Resample``
    transforms instead).

    >>> Compress("mp3", 0.5).to_dict()
    {'name': 'Compress', 'kwargs': {'codec': 'mp3', 'compression_level': 0.5}}
    """

    supported_codecs: ClassVar[tuple] = typing.get_args(Codec)

    codec: Codec
    compression_level: Optional[float] = None

    def __post_init__(self):
        if self.codec not in self.supported_codecs:
            raise ValueError(
                f"Unsupported codec {self.codec!r} for Compress; choose one of "
                f"{list(self.supported_codecs)}"
            )
        if self.compression_level is not None and not 0.0 <= self.compression_level <= 1.0:
            raise ValueError(
                f"Compress: compression_level must lie in [0.0, 1.0], got {self.compression_level}"
            )

    def _write_args(self) -> dict:
        if self.codec == "mp3":
            return {"format": "MP3", "subtype": "MPEG_LAYER_III"}
        if self.codec == "gsm":
            return {"format": "RAW", "subtype": "GSM610"}
        return {"format": "OGG", "subtype": self.codec.upper()}

    def _round_trip(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        """Encode and decode ``(samples, channels)`` float audio; libsndfile errors propagate."""
        import soundfile as sf

        buf = io.BytesIO()
        level = None if self.codec == "gsm" else self.compression_level
        sf.write(buf, samples, sampling_rate, compression_level=level, **self._write_args())
        buf.seek(0)
        if self.codec == "gsm":
            decoded, _ = sf.read(
                buf,
                dtype="float32",
                always_2d=True,
                samplerate=sampling_rate,
                channels=samples.shape[1],
                format="RAW",
                subtype="GSM610",
            )
        else:
            decoded, _ = sf.read(buf, dtype="float32", always_2d=True)
        return decoded

    def __call__(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        x = np.asarray(samples, dtype=np.float32)
        if x.ndim == 1:
            x = x[None, :]
        if self.codec != "gsm":
            return np.ascontiguousarray(self._round_trip(x.T, sampling_rate).T)
        from nuptse.audio.resampling import polyphase_resample

        narrow = polyphase_resample(x, sampling_rate, GSM_SAMPLING_RATE)
        # Raw GSM 06.10 is a mono format: one stream per channel.
        coded = [self._round_trip(ch[:, None], GSM_SAMPLING_RATE)[:, 0] for ch in narrow]
        out = np.stack(coded)
        return polyphase_resample(out, GSM_SAMPLING_RATE, sampling_rate)


__all__ = [
    "Codec",
    "Compress",
    "GSM_SAMPLING_RATE",
    "MP3_SUPPORTED_SAMPLING_RATES",
    "OPUS_SUPPORTED_SAMPLING_RATES",
]
