"""Mixing feature matrices of several tracks without going back to audio.

:class:`FeatureMixer` is how a mixed cut's features are computed from its
tracks' stored features.  The first matrix is the reference: later tracks
are placed at an offset (seconds after the reference's start) and scaled so
that the reference-to-track energy ratio is the requested SNR.  How energies
are measured and how two matrices add up depends on the feature type, so the
extractor's ``compute_energy`` and ``mix`` do that part.  Frames a track does
not cover are filled with ``padding_value`` (a very low log-energy by default).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from nuptse.features.extractor import FeatureExtractor
from nuptse.timing import Seconds, compute_num_frames


class FeatureMixer:
    """Accumulates tracks (with offsets and SNRs) and mixes them on demand.

    Create one mixer per mix: ``base_feats`` are the reference track, whose
    energy (or ``reference_energy``, when the reference is padding) the SNRs
    of the other tracks are relative to.

    >>> from nuptse.features.kaldi.extractors import Fbank
    >>> a = np.zeros((4, 2), dtype=np.float32)
    >>> mixer = FeatureMixer(Fbank, a, frame_shift=0.01)
    >>> mixer.add_to_mix(np.zeros((3, 2), dtype=np.float32), sampling_rate=16000, offset=0.02)
    >>> mixer.mixed_feats.shape
    (5, 2)
    >>> [round(float(v), 4) for v in mixer.mixed_feats[:, 0]]  # log(e^0 + e^0) where both play
    [0.0, 0.0, 0.6931, 0.6931, 0.0]
    """

    def __init__(
        self,
        feature_extractor: FeatureExtractor,
        base_feats: np.ndarray,
        frame_shift: Seconds,
        padding_value: float = -1000.0,
        reference_energy: Optional[float] = None,
    ):
        base_feats = np.asarray(base_feats)
        if base_feats.ndim not in (2, 3):
            raise ValueError(
                f"FeatureMixer needs (frames, features) or (frames, features, channels) "
                f"reference features; got shape {base_feats.shape}"
            )
        self.feature_extractor = feature_extractor
        self.frame_shift = frame_shift
        self.padding_value = padding_value
        self.dtype = base_feats.dtype
        #: ``(features, first frame)`` of every track, the reference first.
        self._tracks: list[tuple[np.ndarray, int]] = [(base_feats, 0)]
        self.gains: list[float] = []
        self.reference_energy = (
            feature_extractor.compute_energy(base_feats)
            if reference_energy is None
            else reference_energy
        )

    @property
    def num_features(self) -> int:
        return self._tracks[0][0].shape[1]

    @property
    def num_channels(self) -> int:
        base = self._tracks[0][0]
        return 1 if base.ndim == 2 else base.shape[-1]

    @property
    def num_frames(self) -> int:
        """Frames of the mix: up to the end of the track that ends last."""
        return max(start + len(feats) for feats, start in self._tracks)

    @property
    def tracks(self) -> list[np.ndarray]:
        """Every track padded to the mix length, at its offset (gains not applied)."""
        total = self.num_frames
        return [self._placed(feats, start, total) for feats, start in self._tracks]

    @property
    def unmixed_feats(self) -> np.ndarray:
        """The padded tracks stacked: ``(num_tracks, num_frames, num_features)``."""
        return np.stack(self.tracks)

    @property
    def mixed_feats(self) -> np.ndarray:
        """The tracks mixed into one ``(num_frames, num_features)`` matrix."""
        tracks = self.tracks
        result = tracks[0]
        for track, gain in zip(tracks[1:], self.gains):
            result = self.feature_extractor.mix(
                features_a=result, features_b=track, energy_scaling_factor_b=gain
            )
        return result

    def _placed(self, feats: np.ndarray, start: int, total: int) -> np.ndarray:
        if start == 0 and len(feats) == total:
            return feats
        out = np.full((total,) + feats.shape[1:], self.padding_value, dtype=self.dtype)
        out[start : start + len(feats)] = feats
        return out

    def add_to_mix(
        self,
        feats: np.ndarray,
        sampling_rate: int,
        snr: Optional[float] = None,
        offset: Seconds = 0.0,
    ) -> None:
        """Add a track starting ``offset`` seconds after the reference.

        With ``snr`` (dB) the track's energy is scaled so that the reference
        is ``snr`` dB above it; without it the track is added unscaled.  An
        empty matrix is ignored.
        """
        feats = np.asarray(feats)
        if len(feats) == 0:
            return
        if offset < 0:
            raise ValueError(
                f"FeatureMixer cannot place a track at a negative offset ({offset} s); "
                "make the earliest track the reference instead"
            )
        base = self._tracks[0][0]
        if feats.ndim != base.ndim or feats.shape[1:] != base.shape[1:]:
            raise ValueError(
                f"cannot mix features of shape {feats.shape} into a mix of shape {base.shape}: "
                "only the number of frames may differ"
            )
        start = compute_num_frames(offset, self.frame_shift, sampling_rate)
        gain = 1.0
        if snr is not None and self.reference_energy > 0.0:
            energy = self.feature_extractor.compute_energy(feats)
            if energy > 0.0:
                gain = self.reference_energy * 10.0 ** (-snr / 10.0) / energy
        self._tracks.append((feats, start))
        self.gains.append(gain)
