"""A cut of one channel of a recording."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from nuptse.cut.base import register_cut_type
from nuptse.cut.data import DataCut, select_channels


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

    def load_audio(self) -> np.ndarray | None:
        """Samples of the cut: shape ``(1, num_samples)``, float32 (None without a recording)."""
        return self._load_channels(self.channel)

    def with_channels(self, channels: int | list[int]) -> DataCut:
        """The same span on other channel(s) of the recording (a MultiCut for several)."""
        return select_channels(self, channels)

    def _narrow_to_channel(self, channel) -> MonoCut:
        if isinstance(channel, int) and channel != self.channel:
            return self._copy(channel=channel)
        return self

    def to_mono(self, mono_downmix: bool = False) -> MonoCut:
        """This cut (it has one channel already)."""
        return self

    def _with_sup_channel(self, channel: int) -> MonoCut:
        return self._copy(
            supervisions=[dataclasses.replace(s, channel=channel) for s in self.supervisions]
        )
