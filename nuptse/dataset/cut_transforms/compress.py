"""Lossy-codec compression of a batch of cuts (opus, mp3, vorbis, gsm)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Optional, Union

from nuptse.cut import CutSet
from nuptse.dataset.cut_transforms._random import make_rng


class InvalidCompressSettings(ValueError, AssertionError):
    """A ``Compress`` setting is out of range (an ``AssertionError`` too, as in lhotse)."""


@dataclass
class Compress:
    """With probability ``p`` per cut, pass its audio through a codec drawn from ``codecs``.

    ``compression_level`` (0 = best quality, 1 = smallest) is a value or a
    ``(low, high)`` range drawn uniformly.  Uses :meth:`Cut.compress`.
    """

    codecs: list
    compression_level: Union[float, tuple[float, float]] = 0.9
    codec_weights: Optional[list] = None
    compress_custom_fields: bool = False
    p: float = 0.5
    seed: Union[int, str, None] = 42
    rng: Optional[random.Random] = None
    preserve_id: bool = False

    def __post_init__(self) -> None:
        if len(set(self.codecs)) != len(self.codecs):
            raise InvalidCompressSettings(f"Compress: duplicate codecs in {self.codecs}")
        if isinstance(self.compression_level, (tuple, list)):
            if len(self.compression_level) != 2:
                raise InvalidCompressSettings(
                    f"Compress: compression_level must be a value or (low, high), got "
                    f"{self.compression_level}"
                )
            low, high = self.compression_level
            if not low < high:
                raise InvalidCompressSettings(f"Compress: compression_level range {self.compression_level} is empty")
        if not 0 <= self.p <= 1:
            raise InvalidCompressSettings(f"Compress: p must be in [0, 1], got {self.p}")
        if self.codec_weights:
            if len(self.codec_weights) != len(self.codecs) or any(w < 0 for w in self.codec_weights):
                raise InvalidCompressSettings(f"Compress: codec_weights {self.codec_weights} do not fit codecs {self.codecs}")
        else:
            self.codec_weights = [1.0] * len(self.codecs)
        self.rng = make_rng(self.seed, self.rng)

    def __call__(self, cuts: CutSet) -> CutSet:
        out = []
        for cut in cuts:
            if self.rng.random() <= self.p:
                level = self.compression_level
                if isinstance(level, (tuple, list)):
                    level = level[0] + self.rng.random() * (level[1] - level[0])
                codec = self.rng.choices(self.codecs, weights=self.codec_weights)[0]
                new = cut.compress(
                    codec=codec, compression_level=level, compress_custom_fields=self.compress_custom_fields
                )
                if not self.preserve_id:
                    new.id = f"{new.id}_{codec}_{level:.2f}"
                cut = new
            out.append(cut)
        return CutSet.from_cuts(out)
