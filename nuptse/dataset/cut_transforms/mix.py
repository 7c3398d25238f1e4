"""Mixing noise (or music, babble...) into a batch of cuts."""

from __future__ import annotations

import logging
import random
from typing import Optional, Union

from nuptse.cut import CutSet
from nuptse.dataset.cut_transforms._random import make_rng

logger = logging.getLogger(__name__)


class CutMix:
    """With probability ``p`` per cut, mix in cuts drawn from ``cuts`` at ``snr`` dB.

    ``snr`` is a value, a ``(low, high)`` range drawn uniformly, or None to
    mix the noise as it is.  With ``pad_to_longest`` every cut is padded
    (with noise) to the longest cut of the batch.  The generator is created
    on first use from ``seed`` and then advances, so each batch gets new
    noise; the noise cuts are used in a new random order each round.  The
    mix is truncated to the cut's (or the batch's longest) duration.
    ``tag`` labels the mixed-in tracks.
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
        self._pool: Optional[list] = None
        self._order: list = []
        self.random_mix_offset = random_mix_offset
        self.tag = tag

    def __call__(self, cuts: CutSet) -> CutSet:
        if len(self.cuts) == 0:
            return cuts
        if self.rng is None:
            self.rng = make_rng(self.seed)
        if self._pool is None:
            self._pool = list(self.cuts)
        cuts = list(cuts)
        target = max(c.duration for c in cuts) if self.pad_to_longest else None
        return CutSet.from_cuts(self._mix_one(c, target) for c in cuts)

    def _next_noise(self):
        """Noise cuts in a fresh random order each time the pool is used up."""
        if not self._order:
            self._order = list(self._pool)
            self.rng.shuffle(self._order)
        return self._order.pop()

    def _fit(self, noise, room: float):
        """A random span of ``noise`` no longer than ``room`` (with ``random_mix_offset``)."""
        if self.random_mix_offset and noise.duration > room:
            start = self.rng.uniform(0, noise.duration - room)
            noise = noise.truncate(offset=round(start, 8), duration=round(room, 8))
        return noise

    def _mix_one(self, cut, target: Optional[float]):
        if self.rng.uniform(0.0, 1.0) > self.p:
            return cut
        snr = self.rng.uniform(*self.snr) if isinstance(self.snr, (list, tuple)) else self.snr
        final = target if target is not None else cut.duration
        # Without a target, noise up to 50 ms short of the cut is enough (no sliver tracks).
        goal = round(final if target is not None else cut.duration - 0.05, 8)
        keep = "left" if self.preserve_id else None
        noise = self._fit(self._next_noise(), goal)
        mixed = cut.mix(noise, snr=snr, preserve_id=keep, tag=self.tag)
        covered = noise.duration
        while covered < goal - 0.05:
            noise = self._fit(self._next_noise(), goal - covered)
            mixed = mixed.mix(
                noise, offset_other_by=round(covered, 8), allow_padding=True, snr=snr,
                preserve_id=keep, tag=self.tag,
            )
            covered = round(covered + noise.duration, 8)
        return mixed.truncate(duration=final, preserve_id=True)
