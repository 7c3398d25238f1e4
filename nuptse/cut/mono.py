"""A cut of one channel of a recording."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nuptse.cut.base import register_cut_type
from nuptse.cut.data import DataCut


@register_cut_type
@dataclass(eq=True, repr=False)
class MonoCut(DataCut):
    """A span of a single channel of a recording, with its supervisions and features.

    >>> cut = MonoCut(id="c", start=0.5, duration=1.0, channel=0)
    >>> cut.end
    1.5
    """

    @property
    def num_channels(self) -> int:
        return 1

    def load_audio(self) -> np.ndarray:
        """Samples of the cut: shape ``(1, num_samples)``, float32."""
        return self._load_channels(self.channel)

    def _narrow_to_channel(self, channel) -> MonoCut:
        return self

    def to_mono(self, *args, **kwargs) -> MonoCut:
        return self
