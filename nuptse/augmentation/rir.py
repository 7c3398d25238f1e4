"""lhotse's ``lhotse.augmentation.rir`` path (see :mod:`nuptse.audio.transforms.reverb`)."""

from nuptse.audio.transforms.reverb import RIR_SCALING_FACTOR, ReverbWithImpulseResponse

__all__ = ["RIR_SCALING_FACTOR", "ReverbWithImpulseResponse"]
