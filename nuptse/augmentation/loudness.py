"""lhotse's ``lhotse.augmentation.loudness`` path (see :mod:`nuptse.audio.transforms.gain`)."""

from nuptse.audio.transforms.gain import LoudnessNormalization, normalize_loudness

__all__ = ["LoudnessNormalization", "normalize_loudness"]
