"""lhotse's ``lhotse.augmentation.transform`` path (see :mod:`nuptse.audio.transforms.base`)."""

from nuptse.audio.transforms.base import AudioTransform

__all__ = ["AudioTransform"]
