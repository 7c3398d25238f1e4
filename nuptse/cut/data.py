"""Cuts backed by real data: a span of one recording and/or its features.

:class:`DataCut` holds what :class:`~nuptse.cut.mono.MonoCut` (one channel)
and :class:`~nuptse.cut.multi.MultiCut` (several channels of one recording)
share: the fields, truncation, perturbations and (de)serialization.  No audio
or features are read until ``load_audio``/``load_features`` is called, and
both return exactly ``num_samples`` samples / ``num_frames`` frames.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nuptse.cut.base import CUT_TYPES, Cut, CutError, fit_length, uuid_id
from nuptse.cut.registry import CutAssertionError, MissingFieldError
from nuptse.cut.supervision_ops import filled_supervisions, merge_supervisions
from nuptse.timing import (
    add_durations,
    compute_num_frames,
    compute_num_samples,
    perturb_num_samples,
    samples_to_seconds,
)
from nuptse.utils.field_types import CHANNEL, NUMBER, check_fields


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

    def _load_channels(self, channels) -> np.ndarray | None:
        rec = self.recording
        if rec is None:
            return None
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

    def extend_by(
        self,
        *,
        duration: float,
        direction: str = "both",
        preserve_id: bool = False,
        pad_silence: bool = True,
    ) -> Cut:
        """Grow the cut by ``duration`` s on the chosen side(s) with the recording's own audio.

        Where the recording ends first, silence is padded (a :class:`MixedCut`)
        unless ``pad_silence=False``, which stops at the recording's bounds.
        Features or temporal custom arrays that do not cover the new span are
        dropped (with a warning).
        """
        import logging

        if duration < 0:
            raise CutError(f"cut {self.id!r}: extend_by duration must be >= 0, got {duration}")
        if direction not in ("left", "right", "both"):
            raise CutError(f"extend_by direction must be left, right or both, got {direction!r}")
        sr = self.sampling_rate
        new_start, new_end = self.start, self.end
        pad_left = pad_right = 0.0
        rec_end = self.recording.duration if self.recording is not None else float("inf")
        if direction in ("left", "both"):
            if self.start - duration < 0 and pad_silence:
                pad_left = duration - self.start
            new_start = max(self.start - duration, 0.0)
        if direction in ("right", "both"):
            if self.end + duration > rec_end and pad_silence:
                pad_right = duration - (rec_end - self.end)
            new_end = min(self.end + duration, rec_end)
        new_start = add_durations(new_start, 0, sampling_rate=sr)
        new_duration = add_durations(new_end, -new_start, sampling_rate=sr)
        shift = add_durations(self.start, -new_start, sampling_rate=sr)

        def outside(manifest) -> bool:
            fs = manifest.frame_shift
            lo = compute_num_frames(new_start, fs, sr)
            hi = compute_num_frames(new_end, fs, sr)
            first = compute_num_frames(manifest.start, fs, sr)
            return lo < first - 1 or hi > first + manifest.num_frames + 1

        changes: dict[str, Any] = {}
        if self.features is not None and outside(self.features):
            logging.getLogger(__name__).warning(
                "cut %s: extended past its precomputed features; they are dropped", self.id
            )
            changes["features"] = None
        if self.custom:
            from nuptse.features.array import TemporalArray

            custom = {}
            for k, v in self.custom.items():
                if isinstance(v, TemporalArray) and outside(v):
                    logging.getLogger(__name__).warning(
                        "cut %s: extended past custom array %r; it is dropped", self.id, k
                    )
                    continue
                custom[k] = v
            changes["custom"] = custom or None
        cut = self._copy(
            id=self.id if preserve_id else uuid_id(),
            start=new_start,
            duration=new_duration,
            supervisions=sorted(
                (s.with_offset(shift) if shift else s for s in self.supervisions),
                key=lambda s: s.start,
            ),
            **changes,
        )
        if pad_left > 0:
            cut = cut.pad(
                duration=add_durations(cut.duration, pad_left, sampling_rate=sr),
                direction="left",
                preserve_id=preserve_id,
            )
        if pad_right > 0:
            cut = cut.pad(
                duration=add_durations(cut.duration, pad_right, sampling_rate=sr),
                direction="right",
                preserve_id=preserve_id,
            )
        return cut

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

    def resample(
        self, sampling_rate: int, affix_id: bool = False, recording_field: str | None = None
    ) -> DataCut:
        """The same span read at another sampling rate (drops features).

        With ``recording_field`` the custom recording of that name is resampled
        instead of the cut's own recording.
        """
        self._require_recording("be resampled")
        if recording_field is not None:
            custom = dict(self.custom or {})
            if recording_field not in custom:
                raise MissingFieldError(
                    f"cut {self.id!r} has no custom recording {recording_field!r}"
                )
            custom[recording_field] = custom[recording_field].resample(sampling_rate)
            return self._copy(
                id=f"{self.id}_rs{sampling_rate}" if affix_id else self.id,
                custom=custom,
                features=None,
            )
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
        rir_channels: list[int] | tuple[int, ...] = (0,),
        room_rng_seed: int | None = None,
        source_rng_seed: int | None = None,
    ) -> DataCut:
        """Convolve the audio with a room impulse response when loaded (drops features).

        ``rir_recording`` is a recording or a cut of one; without it a random
        room is simulated (seeded by ``room_rng_seed``/``source_rng_seed``).
        A mono cut reverberated with several ``rir_channels`` becomes a
        :class:`MultiCut` with one channel per impulse response channel.
        """
        self._require_recording("be reverberated")
        rir = rir_recording
        if rir is not None and not hasattr(rir, "sources") and hasattr(rir, "recording"):
            rir = rir.recording  # a cut of the impulse response
        rir_channels = list(rir_channels)
        if rir is None:
            rir_channels = [0]
            if room_rng_seed is None:
                room_rng_seed = _seed_for(self.id)
            if source_rng_seed is None:
                source_rng_seed = room_rng_seed
        else:
            if rir.sampling_rate != self.sampling_rate:
                raise CutAssertionError(
                    f"cut {self.id!r} is sampled at {self.sampling_rate} Hz but impulse "
                    f"response {rir.id!r} at {rir.sampling_rate} Hz; resample one of them"
                )
            bad = [c for c in rir_channels if c >= rir.num_channels]
            if bad:
                raise CutAssertionError(
                    f"impulse response {rir.id!r} has {rir.num_channels} channel(s), "
                    f"not {bad} (cut {self.id!r})"
                )
        rec = self.recording.reverb_rir(
            rir_recording=rir,
            normalize_output=normalize_output,
            early_only=early_only,
            affix_id=affix_id,
            rir_channels=rir_channels,
            room_rng_seed=room_rng_seed,
            source_rng_seed=source_rng_seed,
        )
        new_id = f"{self.id}_rvb" if affix_id else self.id
        if not isinstance(self.channel, list) and len(rir_channels) > 1:
            channels = list(range(len(rir_channels)))
            sups = [s.reverb_rir(affix_id=affix_id, channel=channels) for s in self.supervisions]
            return CUT_TYPES["MultiCut"](
                id=self.id,
                start=self.start,
                duration=self.duration,
                channel=channels,
                supervisions=sups,
                features=None,
                recording=rec,
                custom=self.custom,
            )
        sups = [s.reverb_rir(affix_id=affix_id) for s in self.supervisions]
        return self._copy(id=new_id, recording=rec, supervisions=sups, features=None)

    def _effect(self, what: str, rec, suffix: str | None, sup_suffix: str | None = None):
        """A copy with ``rec`` as its recording and without features; ids get ``suffix``
        (and supervision ids ``sup_suffix``) when given."""
        sups = self.supervisions
        if sup_suffix:
            sups = [
                dataclasses.replace(
                    s, id=f"{s.id}{sup_suffix}", recording_id=f"{s.recording_id}{sup_suffix}"
                )
                for s in sups
            ]
        return self._copy(
            id=f"{self.id}{suffix}" if suffix else self.id,
            recording=rec,
            supervisions=sups,
            features=None,
        )

    def normalize_loudness(self, target: float, affix_id: bool = False) -> DataCut:
        """Scale the audio to ``target`` LUFS when loaded (drops features)."""
        self._require_recording("be loudness-normalized")
        rec = self.recording.normalize_loudness(target=target, affix_id=affix_id)
        tag = f"_ln{target}" if affix_id else None
        return self._effect("normalize", rec, tag, tag)

    def dereverb_wpe(self, affix_id: bool = True) -> DataCut:
        """Remove reverberation with WPE when loaded (drops features)."""
        self._require_recording("be dereverberated")
        rec = self.recording.dereverb_wpe(affix_id=affix_id)
        tag = "_wpe" if affix_id else None
        return self._effect("dereverb", rec, tag, tag)

    def narrowband(
        self, codec: str, restore_orig_sr: bool = True, affix_id: bool = True
    ) -> DataCut:
        """Pass the audio through a narrowband telephone codec when loaded (drops features)."""
        self._require_recording("be narrowbanded")
        rec = self.recording.narrowband(
            codec=codec, restore_orig_sr=restore_orig_sr, affix_id=affix_id
        )
        sups = [s.narrowband(codec=codec, affix_id=affix_id) for s in self.supervisions]
        out = self._effect("narrowband", rec, f"_nb_{codec}" if affix_id else None)
        object.__setattr__(out, "supervisions", sups)
        return out

    def clip_amplitude(
        self,
        hard: bool = False,
        gain_db: float = 0.0,
        normalize: bool = True,
        oversampling: int | None = 2,
        affix_id: bool = True,
    ) -> DataCut:
        """Saturate the audio (soft or hard clipping after ``gain_db``) when loaded."""
        self._require_recording("be clipped")
        rec = self.recording.clip_amplitude(
            hard=hard,
            gain_db=gain_db,
            normalize=normalize,
            oversampling=oversampling,
            affix_id=affix_id,
        )
        out = self._effect("clip", rec, f"_cl{gain_db}" if affix_id else None)
        object.__setattr__(out, "features", self.features)
        return out

    def compress(
        self,
        codec: str = "opus",
        compression_level: float = 0.99,
        compress_custom_fields: bool = False,
    ) -> DataCut:
        """Pass the audio (and with ``compress_custom_fields`` custom recordings) through a
        lossy codec when loaded."""
        self._require_recording("be compressed")
        custom = self.custom
        if compress_custom_fields and custom:
            rec_cls = _recording_cls()
            custom = {
                k: v.compress(codec, compression_level) if isinstance(v, rec_cls) else v
                for k, v in custom.items()
            }
        return self._copy(
            recording=self.recording.compress(codec, compression_level), custom=custom
        )

    def fill_supervision(self, add_empty: bool = True, shrink_ok: bool = False) -> DataCut:
        """Make the one supervision span the whole cut (add an empty one with
        ``add_empty`` when there is none); see :func:`filled_supervisions`."""
        sups = filled_supervisions(self, add_empty=add_empty, shrink_ok=shrink_ok)
        return self if sups is None else self._copy(supervisions=sups)

    def merge_supervisions(
        self,
        merge_policy: str = "delimiter",
        custom_merge_fn: Callable | None = None,
    ) -> DataCut:
        """All supervisions merged into one spanning them (see :mod:`.supervision_ops`)."""
        if len(self.supervisions) <= 1:
            return self
        return self._copy(supervisions=merge_supervisions(self, merge_policy, custom_merge_fn))

    def move_to_memory(
        self,
        audio_format: str = "flac",
        load_audio: bool = True,
        load_features: bool = True,
        load_custom: bool = True,
    ) -> DataCut:
        """A copy whose recording, features and custom arrays hold this cut's span in memory
        (the cut then starts at 0)."""
        from nuptse.features.array import Array, TemporalArray

        rec, feats, custom = self.recording, self.features, self.custom
        if load_audio and rec is not None:
            rec = rec.move_to_memory(
                channels=self.channel,
                offset=self.start,
                duration=self.duration,
                format=audio_format,
            )
        if load_features and feats is not None:
            feats = feats.move_to_memory(start=self.start, duration=self.duration)
        if load_custom and custom:
            custom = {
                k: (
                    v.move_to_memory(start=self.start, duration=self.duration)
                    if isinstance(v, TemporalArray)
                    else v.move_to_memory()
                    if isinstance(v, Array)
                    else v
                )
                for k, v in custom.items()
            }
        return self._copy(start=0.0, recording=rec, features=feats, custom=custom)

    def drop_in_memory_data(self) -> DataCut:
        """A copy whose in-memory manifests are replaced by placeholders (metadata only)."""
        from nuptse.cut.custom import to_placeholder

        def strip(v):
            return to_placeholder(v) if getattr(v, "is_in_memory", False) else v

        custom = {k: strip(v) for k, v in self.custom.items()} if self.custom else self.custom
        return self._copy(
            recording=strip(self.recording), features=strip(self.features), custom=custom
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
        check_fields(
            "cut",
            data.get("id"),
            (
                ("start", data.get("start"), NUMBER),
                ("duration", data.get("duration"), NUMBER),
                ("channel", data.get("channel"), CHANNEL),
            ),
        )
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


def _seed_for(cut_id: str) -> int:
    """A fresh random seed mixed with the cut id (a new room for every call)."""
    import hashlib
    import uuid

    digest = hashlib.sha256(f"{uuid.uuid4()}{cut_id}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def _snap(seconds: float, sampling_rate: int) -> float:
    return samples_to_seconds(compute_num_samples(seconds, sampling_rate), sampling_rate)


def channel_set(channel) -> set:
    if channel is None:
        return set()
    if isinstance(channel, (list, tuple)):
        return set(channel)
    return {channel}


def _contains(outer, inner) -> bool:
    """Whether the channel(s) ``inner`` are among ``outer``."""
    return channel_set(inner) <= channel_set(outer)


def select_channels(cut: DataCut, channels) -> DataCut:
    """``cut``'s span on ``channels`` of its recording: a MonoCut ``{id}-{ch}`` for one
    channel (its supervisions moved to it), else a MultiCut."""
    wanted = [channels] if isinstance(channels, int) else list(channels)
    have = set(cut.recording.channel_ids) if cut.recording is not None else set()
    if not set(wanted) <= have:
        raise CutError(
            f"cut {cut.id!r}: channels {wanted} are not all in recording "
            f"{getattr(cut.recording, 'id', None)!r} (channels {sorted(have)})"
        )
    if len(wanted) == 1:
        ch = wanted[0]
        return CUT_TYPES["MonoCut"](
            id=f"{cut.id}-{ch}",
            start=cut.start,
            duration=cut.duration,
            channel=ch,
            supervisions=[
                dataclasses.replace(s, channel=ch)
                for s in cut.supervisions
                if _contains(s.channel, ch)
            ],
            recording=cut.recording,
            custom=cut.custom,
        )
    if isinstance(cut.channel, list):
        return cut._copy(channel=wanted)
    return CUT_TYPES["MultiCut"](
        id=f"{cut.id}-{len(wanted)}chan",
        start=cut.start,
        duration=cut.duration,
        channel=wanted,
        supervisions=[s for s in cut.supervisions if _contains(wanted, s.channel)],
        recording=cut.recording,
        custom=cut.custom,
    )
