"""Mixing waveforms: a base track plus tracks added at offsets and SNRs.

:class:`AudioMixer` holds one mixing session (a ``MixedCut`` makes one per
load).  The first track is the reference: later tracks are placed
``offset`` seconds after its start and scaled so that the reference's mean
power over theirs is ``snr`` dB.  Tracks are kept apart until asked for
(``unmixed_audio``), summed per channel (``mixed_audio``: a mono track goes
to every channel) or summed into one channel (``mixed_mono_audio``).
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from nuptse.timing import compute_num_samples


def audio_energy(audio: np.ndarray) -> float:
    """Mean power (mean of squared samples) of ``audio``."""
    return float(np.mean(np.square(audio, dtype=np.float64)))


class AudioMixer:
    """Mix ``(channels, samples)`` tracks into the base track ``base_audio``.

    ``reference_energy`` replaces the base track's power as the SNR reference
    (for a base that is only padding); ``base_offset`` shifts the base track.
    Two multi-channel tracks must have the same number of channels.

    >>> m = AudioMixer(np.ones((1, 4), dtype=np.float32), sampling_rate=4)
    >>> m.add_to_mix(np.ones((1, 2), dtype=np.float32), offset=0.5)
    >>> m.mixed_audio
    array([[1., 1., 2., 2.]], dtype=float32)
    """

    def __init__(
        self,
        base_audio: np.ndarray,
        sampling_rate: int,
        reference_energy: Optional[float] = None,
        base_offset: float = 0.0,
    ):
        base = np.asarray(base_audio)
        if base.ndim != 2:
            raise ValueError(f"AudioMixer: expected (channels, samples) audio, got {base.shape}")
        self.tracks = [base]
        self.offsets = [compute_num_samples(base_offset, sampling_rate)]
        self.sampling_rate = sampling_rate
        self.num_channels = base.shape[0]
        self.dtype = base.dtype
        self.reference_energy = audio_energy(base) if reference_energy is None else reference_energy

    @property
    def num_samples_total(self) -> int:
        """Length of the mix: the latest end among the tracks."""
        return max(o + t.shape[1] for o, t in zip(self.offsets, self.tracks))

    @property
    def unmixed_audio(self) -> list[np.ndarray]:
        """Each track, scaled and zero-padded to its place in the mix."""
        total = self.num_samples_total
        return [
            np.pad(t, ((0, 0), (o, total - o - t.shape[1])))
            for o, t in zip(self.offsets, self.tracks)
        ]

    def _sum(self, channels: int, fold) -> np.ndarray:
        mixed = np.zeros((channels, self.num_samples_total), dtype=self.dtype)
        for o, t in zip(self.offsets, self.tracks):
            mixed[:, o : o + t.shape[1]] += fold(t)
        return mixed

    @property
    def mixed_audio(self) -> np.ndarray:
        """The tracks summed channel by channel (mono tracks go to every channel)."""
        return self._sum(self.num_channels, lambda t: t)

    @property
    def mixed_mono_audio(self) -> np.ndarray:
        """All tracks and channels summed into one channel."""
        return self._sum(1, lambda t: t.sum(axis=0, keepdims=True) if t.shape[0] > 1 else t)

    def add_to_mix(self, audio: np.ndarray, snr: Optional[float] = None, offset: float = 0.0):
        """Add ``audio`` starting ``offset`` s into the mix, ``snr`` dB below the reference.

        ``snr=None`` adds it unscaled; an empty array is ignored.
        """
        audio = np.asarray(audio)
        if audio.size == 0:
            return
        if offset < 0:
            raise ValueError(f"AudioMixer: negative offset {offset} s is not supported")
        if audio.ndim == 1:
            audio = audio[None, :]
        n_ch = audio.shape[0]
        if n_ch != self.num_channels and 1 not in (n_ch, self.num_channels):
            raise ValueError(
                f"Cannot mix a {n_ch}-channel track into a {self.num_channels}-channel mix"
            )
        gain = 1.0
        if snr is not None and self.reference_energy > 0:
            energy = audio_energy(audio)
            if energy > 0:
                gain = math.sqrt(self.reference_energy * 10.0 ** (-snr / 10.0) / energy)
        self.tracks.append((audio * gain).astype(self.dtype, copy=False) if gain != 1.0 else audio)
        self.offsets.append(compute_num_samples(offset, self.sampling_rate))
        self.num_channels = max(self.num_channels, n_ch)


__all__ = ["AudioMixer", "audio_energy"]
