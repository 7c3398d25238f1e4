"""lhotse's ``lhotse.augmentation.compress`` path (see :mod:`nuptse.audio.transforms.codec`)."""

from nuptse.audio.transforms.codec import (
    MP3_SUPPORTED_SAMPLING_RATES,
    OPUS_SUPPORTED_SAMPLING_RATES,
    Codec,
    Compress,
)

__all__ = ["Codec", "Compress", "MP3_SUPPORTED_SAMPLING_RATES", "OPUS_SUPPORTED_SAMPLING_RATES"]
