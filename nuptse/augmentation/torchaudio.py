"""lhotse's ``lhotse.augmentation.torchaudio`` path: speed, tempo, volume, resampling.

nuptse implements them in numpy (:mod:`nuptse.audio.transforms.tempo`,
``.gain`` and ``.resample``); torchaudio is not needed.
"""

from nuptse.audio.transforms.gain import Volume
from nuptse.audio.transforms.resample import Resample
from nuptse.audio.transforms.tempo import Speed, Tempo

__all__ = ["Resample", "Speed", "Tempo", "Volume"]
