"""The type of an augmentation function: ``(samples, sampling_rate) -> samples``."""

from collections.abc import Callable

import numpy as np

#: Any callable taking float audio ``(channels, samples)`` and its rate and
#: returning the augmented audio; every :class:`~nuptse.audio.transforms.AudioTransform` is one.
AugmentFn = Callable[[np.ndarray, int], np.ndarray]

__all__ = ["AugmentFn"]
