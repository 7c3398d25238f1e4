"""lhotse's ``lhotse.augmentation.clipping`` path (see :mod:`nuptse.audio.transforms.gain`)."""

from nuptse.audio.transforms.gain import Clipping

__all__ = ["Clipping"]
