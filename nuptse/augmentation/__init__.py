"""lhotse's ``lhotse.augmentation`` path for the audio transforms.

The transforms live in :mod:`nuptse.audio.transforms` (one implementation,
applied the same way to recordings, supervisions and cuts); this module only
re-exports them so that ``from lhotse.augmentation import Speed`` ports by
renaming the package.
"""

from nuptse.audio.rir import FastRandomRIRGenerator
from nuptse.audio.transforms import (
    AudioTransform,
    Resample,
    ReverbWithImpulseResponse,
    Speed,
    Tempo,
    Volume,
)

__all__ = [
    "AudioTransform",
    "FastRandomRIRGenerator",
    "Resample",
    "ReverbWithImpulseResponse",
    "Speed",
    "Tempo",
    "Volume",
]
