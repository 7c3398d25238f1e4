"""Audio transforms that a manifest records and ``load_audio`` applies, by family.

* :mod:`~nuptse.audio.transforms.base`: :class:`AudioTransform`, its name
  registry (``from_dict``) and the time mapping helpers.
* :mod:`~nuptse.audio.transforms.tempo`: ``Speed``, ``Tempo``.
* :mod:`~nuptse.audio.transforms.resample`: ``Resample``.
* :mod:`~nuptse.audio.transforms.gain`: ``Volume``, ``Clipping``,
  ``LoudnessNormalization``.
* :mod:`~nuptse.audio.transforms.reverb`: ``ReverbWithImpulseResponse``.
* :mod:`~nuptse.audio.transforms.dereverb`: ``DereverbWPE``.
* :mod:`~nuptse.audio.transforms.codec`: ``Compress``.
* :mod:`~nuptse.audio.transforms.narrowband`: ``Narrowband`` (telephone band).

They live in the audio layer because :class:`~nuptse.audio.Recording` both
creates them (``perturb_speed``, ``compress``, ...) and applies them when
loading; :mod:`nuptse.augmentation` re-exports them at lhotse's paths.  Sample
counts after each transform come from :mod:`nuptse.timing`;
``Recording.load_audio`` pads or trims the result to exactly that count.
"""

from nuptse.audio.rir import FastRandomRIRGenerator
from nuptse.audio.transforms.base import (
    AudioTransform,
    UnknownTransformError,
    register_recording_type,
)
from nuptse.audio.transforms.codec import (
    MP3_SUPPORTED_SAMPLING_RATES,
    OPUS_SUPPORTED_SAMPLING_RATES,
    Compress,
)
from nuptse.audio.transforms.dereverb import DereverbWPE, dereverb_wpe_numpy, dereverb_wpe_torch
from nuptse.audio.transforms.gain import Clipping, LoudnessNormalization, Volume, normalize_loudness
from nuptse.audio.transforms.narrowband import Codec, LPC10Codec, MuLawCodec, Narrowband
from nuptse.audio.transforms.resample import Resample
from nuptse.audio.transforms.reverb import RIR_SCALING_FACTOR, ReverbWithImpulseResponse
from nuptse.audio.transforms.tempo import Speed, Tempo, wsola

__all__ = [
    "AudioTransform",
    "UnknownTransformError",
    "register_recording_type",
    "Clipping",
    "Compress",
    "DereverbWPE",
    "FastRandomRIRGenerator",
    "LoudnessNormalization",
    "Codec",
    "LPC10Codec",
    "MuLawCodec",
    "Narrowband",
    "MP3_SUPPORTED_SAMPLING_RATES",
    "OPUS_SUPPORTED_SAMPLING_RATES",
    "RIR_SCALING_FACTOR",
    "Resample",
    "ReverbWithImpulseResponse",
    "Speed",
    "Tempo",
    "Volume",
    "dereverb_wpe_numpy",
    "dereverb_wpe_torch",
    "normalize_loudness",
    "wsola",
]
