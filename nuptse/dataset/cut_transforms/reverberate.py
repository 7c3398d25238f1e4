"""Reverberation of a batch of cuts with recorded or generated impulse responses."""

from __future__ import annotations

import random
from typing import Optional

from nuptse.cut import CutSet


class ReverbWithImpulseResponse:
    """With probability ``p`` per cut, convolve it with a random impulse response.

    ``rir_recordings`` are drawn from uniformly; without them a synthetic
    response is generated (:class:`nuptse.augmentation.FastRandomRIRGenerator`).
    """

    def __init__(
        self,
        rir_recordings=None,
        p: float = 0.5,
        normalize_output: bool = True,
        randgen: Optional[random.Random] = None,
        preserve_id: bool = False,
        early_only: bool = False,
        rir_channels: Optional[list[int]] = None,
    ) -> None:
        self.rir_recordings = list(rir_recordings) if rir_recordings is not None else []
        self.p = p
        self.normalize_output = normalize_output
        self.random = randgen
        self.preserve_id = preserve_id
        self.early_only = early_only
        self.rir_channels = [0] if rir_channels is None else list(rir_channels)

    def __call__(self, cuts: CutSet) -> CutSet:
        if self.random is None:
            self.random = random.Random()
        out = []
        for cut in cuts:
            if self.random.random() <= self.p:
                rir = self.random.choice(self.rir_recordings) if self.rir_recordings else None
                cut = cut.reverb_rir(
                    rir_recording=rir,
                    normalize_output=self.normalize_output,
                    early_only=self.early_only,
                    affix_id=not self.preserve_id,
                    rir_channels=self.rir_channels,
                )
            out.append(cut)
        return CutSet.from_cuts(out)
