"""Cuts backed by real data: a span of one recording and/or its features.

:class:`DataCut` holds what :class:`~nuptse.cut.mono.MonoCut` (one channel)
and :class:`~nuptse.cut.multi.MultiCut` (several channels of one recording)
share: the fields, truncation, perturbations and (de)serialization.  No audio
or features are read until ``load_audio``/``load_features`` is called, and
both return exactly ``num_samples`` samples / ``num_frames`` frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nuptse.cut.base import Cut, CutError, fit_length, uuid_id
from nuptse.timing import (
    add_durations,
    compute_num_samples,
    perturb_num_samples,
    samples_to_seconds,
)


def _recording_cls():
    from nuptse.audio import Recording

    return Recording


def _supervision_cls():
    from nuptse.supervision import SupervisionSegment

    return SupervisionSegment


def _features_cls():
    from nuptse.features import Features

    return Features


@dataclass(eq=True, repr=False)
class DataCut(Cut):
    id: str
    start: float
    duration: float
    channel: Any
    supervisions: list = field(default_factory=list)
    features: Any = None
    recording: Any = None
    custom: dict | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(id={self.id!r}, start={self.start}, duration={self.duration}, "
            f"channel={self.channel!r}, supervisions={len(self.supervisions)}, "
            f"recording={getattr(self.recording, 'id', None)!r}, "
            f"features={self.features is not None})"
        )

    # --- what is there ------------------------------------------------------------

    @property
    def has_recording(self) -> bool:
        return self.recording is not None

    @property
    def has_features(self) -> bool:
        return self.features is not None

    @property
    def has_video(self) -> bool:
        return bool(getattr(self.recording, "has_video", False))

    @property
    def recording_id(self) -> str | None:
        if self.recording is not None:
            return self.recording.id
        if self.features is not None:
            return self.features.recording_id
        return None

    @property
    def sampling_rate(self) -> int | None:
        if self.recording is not None:
            return self.recording.sampling_rate
        if self.features is not None:
            return self.features.sampling_rate
        return None

    @property
    def frame_shift(self) -> float | None:
        return self.features.frame_shift if self.features is not None else None

    @property
    def num_features(self) -> int | None:
        return self.features.num_features if self.features is not None else None

    @property
    def features_type(self) -> str | None:
        return self.features.type if self.features is not None else None

    @property
    def end(self) -> float:
        sr = self.sampling_rate
        if sr is None:
            return round(self.start + self.duration, 7)
        return add_durations(self.start, self.duration, sampling_rate=sr)

    def _require_recording(self, what: str) -> None:
        if self.recording is None:
            raise CutError(f"cut {self.id!r} has no recording, so it cannot {what}")

    # --- loading ------------------------------------------------------------------

    def _load_channels(self, channels) -> np.ndarray:
        self._require_recording("load audio")
        rec = self.recording
        n = self.num_samples
        sr = rec.sampling_rate
        # Never ask the recording for more than it has: the cut may end a sample
        # past it after a perturbation rounded both ends up.
        avail = rec.num_samples - compute_num_samples(self.start, sr)
        want = min(n, avail)
        if want <= 0:
            raise CutError(
                f"cut {self.id!r} starts at {self.start}s, past the end of recording "
                f"{rec.id!r} ({rec.duration}s)"
            )
        audio = rec.load_audio(
            channels=channels,
            offset=self.start,
            duration=samples_to_seconds(want, sr),
        )
        audio = np.asarray(audio)
        if audio.ndim == 1:
            audio = audio[np.newaxis, :]
        return fit_length(audio, n, axis=1, what=f"audio of cut {self.id!r}", tol=max(4, n // 50))

    def load_features(self) -> np.ndarray | None:
        """The cut's frames of its stored features: exactly ``num_frames`` rows."""
        if self.features is None:
            return None
        feats = self.features.load(start=self.start, duration=self.duration)
        feats = np.asarray(feats)
        n = self.num_frames
        return fit_length(
            feats, n, axis=0, pad_value="edge", what=f"features of cut {self.id!r}", tol=2
        )

    # --- truncation ---------------------------------------------------------------

    def truncate(
        self,
        *,
        offset: float = 0.0,
        duration: float | None = None,
        keep_excessive_supervisions: bool = True,
        preserve_id: bool = False,
        _supervisions_index=None,
    ) -> DataCut:
        """The sub-span ``[offset, offset + duration)`` of this cut (relative times).

        Supervisions that stick out are kept as they are with
        ``keep_excessive_supervisions``, otherwise only the ones inside stay.
        """
        if offset < 0:
            raise CutError(f"cut {self.id!r}: truncate offset must be >= 0, got {offset}")
        sr = self.sampling_rate
        if sr is None:
            if duration is None:
                duration = self.duration - offset
            new_start = round(self.start + offset, 8)
            new_duration = min(round(duration, 8), round(self.duration - offset, 8))
            if new_duration <= 0:
                raise CutError(f"cut {self.id!r}: truncating at offset {offset}s leaves nothing")
            sups = self._supervisions_in(
                offset, new_duration, keep_excessive_supervisions, index=_supervisions_index
            )
            return self._copy(
                id=self.id if preserve_id else uuid_id(),
                start=new_start,
                duration=new_duration,
                supervisions=sups,
            )
        lo = compute_num_samples(offset, sr)
        n = None if duration is None else compute_num_samples(duration, sr)
        return self._truncate_samples(
            offset, lo, n, sr, keep_excessive_supervisions, preserve_id, _supervisions_index
        )

    def _truncate_samples(
        self,
        offset: float,
        lo: int,
        n: int | None,
        sr: int,
        keep_excessive: bool,
        preserve_id: bool,
        index=None,
        bounds: tuple[int, int] | None = None,
    ) -> DataCut:
        """:meth:`truncate` with the offset (``lo``) and length (``n``) already in samples.

        ``bounds`` is ``(start, duration)`` of this cut in samples, when the
        caller has them (it saves two conversions per call in tight loops).
        """
        if bounds is None:
            bounds = (compute_num_samples(self.start, sr), compute_num_samples(self.duration, sr))
        start_n, total = bounds
        avail = total - lo
        n = avail if n is None else min(n, avail)
        if n <= 0:
            raise CutError(
                f"cut {self.id!r} ({self.duration}s): truncating at offset {offset}s leaves nothing"
            )
        new_duration = samples_to_seconds(n, sr)
        sups = self._supervisions_in(offset, new_duration, keep_excessive, index=index)
        return self._copy(
            id=self.id if preserve_id else uuid_id(),
            start=samples_to_seconds(start_n + lo, sr),
            duration=new_duration,
            supervisions=sups,
        )

    def extend_by(self, *, duration: float, direction: str = "both", preserve_id: bool = False):
        """Grow the cut by ``duration`` s on the chosen side(s), within its recording."""
        sr = self.sampling_rate
        left = duration if direction in ("left", "both") else 0.0
        right = duration if direction in ("right", "both") else 0.0
        new_start = max(0.0, self.start - left)
        end = self.end + right
        if self.recording is not None:
            end = min(end, self.recording.duration)
        shift = self.start - new_start
        new_duration = add_durations(end, -new_start, sampling_rate=sr)
        return self._copy(
            id=self.id if preserve_id else uuid_id(),
            start=add_durations(new_start, 0, sampling_rate=sr),
            duration=new_duration,
            supervisions=[s.with_offset(shift) for s in self.supervisions],
        )

    # --- perturbations ------------------------------------------------------------

    def _perturbed(self, factor: float, rec, sups, suffix: str | None) -> DataCut:
        sr = self.sampling_rate
        start = perturb_num_samples(compute_num_samples(self.start, sr), factor)
        length = perturb_num_samples(compute_num_samples(self.duration, sr), factor)
        return self._copy(
            id=f"{self.id}{suffix}" if suffix else self.id,
            start=samples_to_seconds(start, sr),
            duration=samples_to_seconds(length, sr),
            recording=rec,
            supervisions=sups,
            features=None,
        )

    def perturb_speed(self, factor: float, affix_id: bool = True) -> DataCut:
        """Speed perturbation: pitch and tempo change together (drops features)."""
        self._require_recording("be speed-perturbed")
        sr = self.sampling_rate
        rec = self.recording.perturb_speed(factor=factor, affix_id=affix_id)
        sups = [
            s.perturb_speed(factor=factor, sampling_rate=sr, affix_id=affix_id)
            for s in self.supervisions
        ]
        return self._perturbed(factor, rec, sups, f"_sp{factor}" if affix_id else None)

    def perturb_tempo(self, factor: float, affix_id: bool = True) -> DataCut:
        """Tempo perturbation: the pitch stays (drops features)."""
        self._require_recording("be tempo-perturbed")
        sr = self.sampling_rate
        rec = self.recording.perturb_tempo(factor=factor, affix_id=affix_id)
        sups = [
            s.perturb_tempo(factor=factor, sampling_rate=sr, affix_id=affix_id)
            for s in self.supervisions
        ]
        return self._perturbed(factor, rec, sups, f"_tp{factor}" if affix_id else None)

    def perturb_volume(self, factor: float, affix_id: bool = True) -> DataCut:
        """Scale the audio by ``factor`` (drops features)."""
        self._require_recording("be volume-perturbed")
        rec = self.recording.perturb_volume(factor=factor, affix_id=affix_id)
        sups = [s.perturb_volume(factor=factor, affix_id=affix_id) for s in self.supervisions]
        return self._copy(
            id=f"{self.id}_vp{factor}" if affix_id else self.id,
            recording=rec,
            supervisions=sups,
            features=None,
        )

    def resample(self, sampling_rate: int, affix_id: bool = False) -> DataCut:
        """The same span read at another sampling rate (drops features)."""
        self._require_recording("be resampled")
        rec = self.recording.resample(sampling_rate)
        out = self._copy(
            id=f"{self.id}_rs{sampling_rate}" if affix_id else self.id,
            recording=rec,
            features=None,
        )
        # Snap the span to the new sample grid so that sizes stay exact.
        object.__setattr__(out, "start", _snap(self.start, sampling_rate))
        object.__setattr__(out, "duration", _snap(self.duration, sampling_rate))
        return out

    def reverb_rir(
        self,
        rir_recording=None,
        normalize_output: bool = True,
        early_only: bool = False,
        affix_id: bool = True,
        rir_channels: list[int] | None = None,
        room_rng_seed: int | None = None,
        source_rng_seed: int | None = None,
    ) -> DataCut:
        """Convolve the audio with a room impulse response (drops features)."""
        self._require_recording("be reverberated")
        rec = self.recording.reverb_rir(
            rir_recording=rir_recording,
            normalize_output=normalize_output,
            early_only=early_only,
            affix_id=affix_id,
            rir_channels=rir_channels if rir_channels is not None else [0],
            room_rng_seed=room_rng_seed,
            source_rng_seed=source_rng_seed,
        )
        sups = [s.reverb_rir(affix_id=affix_id) for s in self.supervisions]
        return self._copy(
            id=f"{self.id}_rvb" if affix_id else self.id,
            recording=rec,
            supervisions=sups,
            features=None,
        )

    # --- paths and dropping -------------------------------------------------------

    def with_recording_path_prefix(self, path) -> DataCut:
        if self.recording is None:
            return self
        return self._copy(recording=self.recording.with_path_prefix(path))

    def with_features_path_prefix(self, path) -> DataCut:
        if self.features is None:
            return self
        return self._copy(features=self.features.with_path_prefix(path))

    def drop_features(self) -> DataCut:
        if self.recording is None and self.features is not None:
            raise CutError(f"cut {self.id!r}: dropping its features would leave no data")
        return self._copy(features=None)

    def drop_recording(self) -> DataCut:
        if self.features is None and self.recording is not None:
            raise CutError(f"cut {self.id!r}: dropping its recording would leave no data")
        return self._copy(recording=None)

    def drop_supervisions(self) -> DataCut:
        return self._copy(supervisions=[])

    def drop_alignments(self) -> DataCut:
        import dataclasses

        return self._copy(
            supervisions=[dataclasses.replace(s, alignment=None) for s in self.supervisions]
        )

    def drop_custom(self) -> DataCut:
        return self._copy(custom=None)

    # --- serialization ------------------------------------------------------------

    def to_dict(self) -> dict:
        d: dict[str, Any] = {
            "id": self.id,
            "start": self.start,
            "duration": self.duration,
            "channel": self.channel,
            "supervisions": [s.to_dict() for s in self.supervisions],
        }
        if self.features is not None:
            d["features"] = self.features.to_dict()
        if self.recording is not None:
            d["recording"] = self.recording.to_dict()
        if self.custom:
            from nuptse.cut.custom import custom_to_dict

            d["custom"] = custom_to_dict(self.custom)
        d["type"] = type(self).__name__
        return d

    @classmethod
    def from_dict(cls, data: dict) -> DataCut:
        rec = data.get("recording")
        feats = data.get("features")
        custom = data.get("custom")
        sup_from_dict = _supervision_cls().from_dict
        if custom:
            from nuptse.cut.custom import custom_from_dict

            custom = custom_from_dict(custom)
        return cls(
            id=data["id"],
            start=data["start"],
            duration=data["duration"],
            channel=data["channel"],
            supervisions=[sup_from_dict(s) for s in data.get("supervisions") or ()],
            features=_features_cls().from_dict(feats) if feats is not None else None,
            recording=_recording_cls().from_dict(rec) if rec is not None else None,
            custom=custom or None,
        )


def _snap(seconds: float, sampling_rate: int) -> float:
    return samples_to_seconds(compute_num_samples(seconds, sampling_rate), sampling_rate)


def channel_set(channel) -> set:
    if channel is None:
        return set()
    if isinstance(channel, (list, tuple)):
        return set(channel)
    return {channel}
