"""Mixing noise (or music, babble...) into a batch of cuts."""

from __future__ import annotations

import dataclasses
import logging
import random
from typing import Optional, Union

from nuptse.cut import CutSet, MixedCut
from nuptse.dataset.cut_transforms._random import make_rng

logger = logging.getLogger(__name__)


class CutMix:
    """With probability ``p`` per cut, mix in cuts drawn from ``cuts`` at ``snr`` dB.

    ``snr`` is a value, a ``(low, high)`` range drawn uniformly, or None to
    mix the noise as it is.  With ``pad_to_longest`` every cut is padded
    (with noise) to the longest cut of the batch.  The generator is created
    on first use from ``seed`` and then advances, so each batch gets new
    noise.  ``tag`` labels the mixed-in tracks.
    """

    def __init__(
        self,
        cuts: CutSet,
        snr: Optional[Union[float, tuple[float, float]]] = (10, 20),
        p: float = 0.5,
        pad_to_longest: bool = True,
        preserve_id: bool = False,
        seed: Union[int, str, random.Random] = 42,
        random_mix_offset: bool = False,
        tag: Optional[str] = None,
    ) -> None:
        self.cuts = cuts
        if len(self.cuts) == 0:
            logger.warning("CutMix got no cuts to mix in: it will leave batches unchanged")
        self.snr = snr
        self.p = p
        self.pad_to_longest = pad_to_longest
        self.preserve_id = preserve_id
        self.seed = seed
        self.rng: Optional[random.Random] = None
        self.random_mix_offset = random_mix_offset
        self.tag = tag

    def __call__(self, cuts: CutSet) -> CutSet:
        if len(self.cuts) == 0:
            return cuts
        if self.rng is None:
            self.rng = make_rng(self.seed)
        cuts = list(cuts)
        target = max(c.duration for c in cuts) if self.pad_to_longest else None
        mixed = CutSet.from_cuts(cuts).mix(
            cuts=self.cuts,
            duration=target,
            snr=self.snr,
            preserve_id="left" if self.preserve_id else None,
            mix_prob=self.p,
            seed=self.rng.randrange(2**31),
            random_mix_offset=self.random_mix_offset,
        )
        out = list(mixed)
        if self.tag is not None:
            out = [_tag_added_tracks(before, after, target, self.tag) for before, after in zip(cuts, out)]
        return CutSet.from_cuts(out)


def _tag_added_tracks(before, after, target, tag: str):
    """Label the tracks that mixing appended to ``before`` (noise, not padding)."""
    if after is before or not isinstance(after, MixedCut):
        return after
    kept = len(before.tracks) if isinstance(before, MixedCut) else 1
    if target is not None and before.duration < target:
        kept += 1  # the padding that made room for the noise
    tracks = list(after.tracks)
    after.tracks = tracks[:kept] + [dataclasses.replace(t, tag=tag) for t in tracks[kept:]]
    return after
