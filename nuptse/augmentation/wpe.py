"""lhotse's ``lhotse.augmentation.wpe`` path (see :mod:`nuptse.audio.transforms.dereverb`)."""

from nuptse.audio.transforms.dereverb import DereverbWPE, dereverb_wpe_numpy, dereverb_wpe_torch

__all__ = ["DereverbWPE", "dereverb_wpe_numpy", "dereverb_wpe_torch"]
