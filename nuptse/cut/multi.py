"""A cut of several channels of one recording (e.g. a stereo dialogue)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nuptse.cut.base import CutError, provide, register_cut_type
from nuptse.cut.data import DataCut, _contains, channel_set, select_channels
from nuptse.cut.mono import MonoCut
from nuptse.cut.supervision_ops import merge_supervisions


@register_cut_type
@dataclass(eq=True, repr=False)
class MultiCut(DataCut):
    """A span of several channels (``channel`` is a list) of one recording.

    Supervisions may lie on any of its channels.
    """

    @property
    def num_channels(self) -> int:
        return len(self.channel)

    def load_audio(
        self, channel: int | list[int] | None = None, mono_downmix: bool = False
    ) -> np.ndarray | None:
        """Samples of the cut: ``(num_channels, num_samples)`` (None without a recording); ``channel`` picks some of
        them, ``mono_downmix`` averages them into ``(1, num_samples)``."""
        wanted = list(self.channel) if channel is None else channel
        audio = self._load_channels(wanted)
        if audio is not None and mono_downmix:
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

    def with_channels(self, channels: int | list[int]) -> DataCut:
        """The same span on other channel(s) of the recording (a MonoCut for one)."""
        return select_channels(self, channels)

    def merge_supervisions(
        self,
        merge_policy: str = "delimiter",
        merge_channels: bool = True,
        custom_merge_fn: Callable | None = None,
    ) -> MultiCut:
        """Supervisions merged into one spanning them all, on the union of their channels
        (or one per channel group without ``merge_channels``)."""
        if len(self.supervisions) <= 1:
            return self
        return self._copy(
            supervisions=merge_supervisions(
                self, merge_policy, custom_merge_fn, merge_channels=merge_channels
            )
        )

    def _narrow_to_channel(self, channel):
        """This cut restricted to ``channel`` (int or list): a MonoCut for one channel."""
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

    @staticmethod
    def from_mono(*cuts: MonoCut) -> MultiCut:
        """One MultiCut of mono cuts that differ only in their (distinct) channels."""
        if not cuts or not all(isinstance(c, MonoCut) for c in cuts):
            raise CutError("MultiCut.from_mono takes one or more MonoCuts")
        spans = {(c.recording_id, c.start, c.end) for c in cuts}
        if len(spans) != 1:
            raise CutError(
                f"MultiCut.from_mono: cuts {[c.id for c in cuts]} differ in recording or span"
            )
        if len({c.channel for c in cuts}) != len(cuts):
            raise CutError(f"MultiCut.from_mono: cuts {[c.id for c in cuts]} share a channel")
        first = cuts[0]
        return MultiCut(
            id=first.id,
            start=first.start,
            duration=first.duration,
            channel=sorted(c.channel for c in cuts),
            supervisions=[s for c in cuts for s in c.supervisions],
            features=first.features,
            recording=first.recording,
            custom=first.custom,
        )

    def to_mono(self, mono_downmix: bool = False):
        """One MonoCut per channel (ids ``{id}-{channel}``, each with the supervisions of
        its channel), or with ``mono_downmix`` one cut averaging all channels."""
        monos = [
            MonoCut(
                id=f"{self.id}-{c}",
                start=self.start,
                duration=self.duration,
                channel=c,
                supervisions=[
                    dataclasses.replace(s, channel=c)
                    for s in self.supervisions
                    if _contains(s.channel, c)
                ],
                recording=self.recording,
                custom=self.custom,
            )
            for c in self.channel
        ]
        if not mono_downmix:
            return monos
        from nuptse.cut.mixed import MixedCut, MixTrack

        return MixedCut(id=self.id, tracks=[MixTrack(cut=m) for m in monos]).to_mono()


def recording_to_cut(recording, **fields) -> DataCut:
    """A cut spanning all of ``recording`` (MonoCut for one channel, else MultiCut);
    ``fields`` override the cut's fields (e.g. ``id``, ``supervisions``)."""
    channels = list(recording.channel_ids)
    base = {
        "id": recording.id,
        "start": 0.0,
        "duration": recording.duration,
        "channel": channels[0] if len(channels) == 1 else channels,
        "recording": recording,
    }
    base.update(fields)
    cls = MonoCut if not isinstance(base["channel"], list) else MultiCut
    return cls(**base)


provide("recording_to_cut", recording_to_cut)
