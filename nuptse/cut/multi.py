"""A cut of several channels of one recording (e.g. a stereo dialogue)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nuptse.cut.base import CutError, register_cut_type
from nuptse.cut.data import DataCut, channel_set


@register_cut_type
@dataclass(eq=True, repr=False)
class MultiCut(DataCut):
    """A span of several channels (``channel`` is a list) of one recording.

    Supervisions may lie on any of its channels.
    """

    @property
    def num_channels(self) -> int:
        return len(self.channel)

    def load_audio(self, mono_downmix: bool = False) -> np.ndarray:
        """Samples of the cut: shape ``(num_channels, num_samples)`` (or ``(1, n)`` downmixed)."""
        audio = self._load_channels(list(self.channel))
        if mono_downmix:
            audio = audio.mean(axis=0, keepdims=True)
        return audio

    def load_features(self, channel=None) -> np.ndarray | None:
        """Stored features; a multi-channel array ``(frames, channels, dim)`` is indexed by
        ``channel`` when given."""
        feats = super().load_features()
        if feats is not None and channel is not None and feats.ndim == 3:
            stored = self.features.channels
            stored = stored if isinstance(stored, list) else [stored]
            feats = feats[
                :, [stored.index(c) for c in ([channel] if isinstance(channel, int) else channel)]
            ]
        return feats

    def _narrow_to_channel(self, channel):
        """This cut restricted to ``channel`` (int or list): a MonoCut for one channel.

        Supervisions on the dropped channels are left out.
        """
        from nuptse.cut.mono import MonoCut

        keep = channel_set(channel)
        if not keep <= set(self.channel):
            raise CutError(f"cut {self.id!r} has channels {self.channel}, not {channel}")
        sups = [s for s in self.supervisions if channel_set(s.channel) & keep]
        chans = sorted(keep)
        if len(chans) == 1:
            return MonoCut(
                id=self.id,
                start=self.start,
                duration=self.duration,
                channel=chans[0],
                supervisions=sups,
                features=self.features,
                recording=self.recording,
                custom=self.custom,
            )
        return self._copy(channel=chans, supervisions=sups)

    def to_mono(self, mono_downmix: bool = False):
        """One MonoCut per channel (ids ``{id}-{channel}``), each with its channel's supervisions."""
        from nuptse.cut.mono import MonoCut

        if mono_downmix:
            raise CutError(f"cut {self.id!r}: downmixing to a mono cut is not supported")
        out = []
        for c in self.channel:
            mono = self._narrow_to_channel(c)
            out.append(mono.with_id(f"{self.id}-{c}") if isinstance(mono, MonoCut) else mono)
        return out
