"""lhotse's ``lhotse.augmentation``: the audio transforms and their helpers.

The transforms themselves live in :mod:`nuptse.audio.transforms` (one
implementation, used the same way by recordings, supervisions and cuts,
which create and apply them); this package gives them lhotse's import paths
(``lhotse.augmentation.compress`` is :mod:`nuptse.augmentation.compress`, and
so on) and adds the helpers that only augmentation code uses.
"""

from nuptse.audio.rir import FastRandomRIRGenerator
from nuptse.audio.transforms import (
    AudioTransform,
    Clipping,
    Compress,
    DereverbWPE,
    LoudnessNormalization,
    Resample,
    ReverbWithImpulseResponse,
    Speed,
    Tempo,
    Volume,
    dereverb_wpe_numpy,
    dereverb_wpe_torch,
)
from nuptse.augmentation.common import AugmentFn
from nuptse.augmentation.utils import convolve1d

__all__ = [
    "AudioTransform",
    "AugmentFn",
    "Clipping",
    "Compress",
    "DereverbWPE",
    "FastRandomRIRGenerator",
    "LoudnessNormalization",
    "Resample",
    "ReverbWithImpulseResponse",
    "Speed",
    "Tempo",
    "Volume",
    "convolve1d",
    "dereverb_wpe_numpy",
    "dereverb_wpe_torch",
]
