"""Cuts made of several tracks overlaid at offsets: mixing, padding and appending.

A :class:`MixedCut` is a list of :class:`MixTrack` (a cut, its offset in the
mix and its SNR relative to the reference track).  Audio is mixed sample by
sample, each track scaled so that its energy relative to the reference
track's matches its SNR; precomputed features are mixed in the feature domain
through the extractor's own ``mix`` (see :mod:`nuptse.features.mixer`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nuptse.cut.base import (
    LOG_EPSILON,
    Cut,
    CutError,
    cut_from_dict,
    fit_length,
    provide,
    register_cut_type,
    uuid_id,
)
from nuptse.cut.padding import PaddingCut
from nuptse.timing import (
    add_durations,
    compute_num_frames,
    compute_num_samples,
    frames_to_seconds,
    perturb_num_samples,
    samples_to_seconds,
    seconds_to_frames,
)

#: Feature value used for frames a track does not cover while mixing features.
FEATURE_MIX_PADDING = -1000.0


@dataclass(eq=True)
class MixTrack:
    """One track of a mix: ``cut`` starts ``offset`` s into the mix, at ``snr`` dB."""

    cut: Any
    type: str | None = None
    offset: float = 0.0
    snr: float | None = None
    is_snr_reference: bool = False
    tag: str | None = None
    mute: bool = False

    def __post_init__(self):
        self.type = type(self.cut).__name__

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"cut": self.cut.to_dict(), "type": self.type, "offset": self.offset}
        if self.snr is not None:
            d["snr"] = self.snr
        if self.tag is not None:
            d["tag"] = self.tag
        if self.is_snr_reference:
            d["is_snr_reference"] = True
        if self.mute:
            d["mute"] = True
        return d

    @classmethod
    def from_dict(cls, data: dict) -> MixTrack:
        cut_data = data["cut"]
        if "type" not in cut_data and "type" in data:
            cut_data = {**cut_data, "type": data["type"]}
        return cls(
            cut=cut_from_dict(cut_data),
            offset=data.get("offset", 0.0),
            snr=data.get("snr"),
            is_snr_reference=bool(data.get("is_snr_reference", False)),
            tag=data.get("tag"),
            mute=bool(data.get("mute", False)),
        )

    def _with(self, **changes) -> MixTrack:
        import dataclasses

        return dataclasses.replace(self, **changes)


def _energy(audio: np.ndarray) -> float:
    return float(np.mean(np.square(audio, dtype=np.float64))) if audio.size else 0.0


@register_cut_type
@dataclass(eq=True, repr=False)
class MixedCut(Cut):
    """Several cuts overlaid; ``start`` is always 0 and ``duration`` spans every track."""

    id: str
    tracks: list = field(default_factory=list)
    transforms: list | None = None

    start = 0.0

    def __repr__(self) -> str:
        return f"MixedCut(id={self.id!r}, duration={self.duration}, tracks={len(self.tracks)})"

    # --- derived properties -------------------------------------------------------

    @property
    def _first_data_cut(self):
        for t in self.tracks:
            if not isinstance(t.cut, PaddingCut):
                return t.cut
        return self.tracks[0].cut

    @property
    def duration(self) -> float:
        return round(max(t.offset + t.cut.duration for t in self.tracks), 8)

    @property
    def channel(self):
        return self._first_data_cut.channel

    @property
    def num_channels(self) -> int:
        return max(getattr(t.cut, "num_channels", 1) for t in self.tracks)

    @property
    def supervisions(self) -> list:
        out = []
        for t in self.tracks:
            if t.offset:
                out.extend(s.with_offset(t.offset) for s in t.cut.supervisions)
            else:
                out.extend(t.cut.supervisions)
        return out

    @property
    def has_recording(self) -> bool:
        return all(t.cut.has_recording for t in self.tracks)

    @property
    def has_features(self) -> bool:
        return all(t.cut.has_features for t in self.tracks)

    @property
    def has_video(self) -> bool:
        return False

    @property
    def sampling_rate(self) -> int | None:
        return self._first_data_cut.sampling_rate

    @property
    def frame_shift(self) -> float | None:
        return self._first_data_cut.frame_shift

    @property
    def num_features(self) -> int | None:
        return self._first_data_cut.num_features

    @property
    def features_type(self) -> str | None:
        return getattr(self._first_data_cut, "features_type", None)

    @property
    def recording_id(self) -> str | None:
        return self._first_data_cut.recording_id

    @property
    def custom(self) -> dict | None:
        return getattr(self._first_data_cut, "custom", None)

    def __getattr__(self, name: str):
        if name.startswith("__") or name == "tracks":
            raise AttributeError(name)
        tracks = self.__dict__.get("tracks")
        if tracks:
            for t in tracks:
                if not isinstance(t.cut, PaddingCut):
                    return getattr(t.cut, name)
        raise AttributeError(f"MixedCut {self.__dict__.get('id')!r} has no attribute {name!r}")

    def __setattr__(self, name: str, value) -> None:
        if name in ("id", "tracks", "transforms") or name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        setattr(self._first_data_cut, name, value)

    def has_custom(self, name: str) -> bool:
        return self._first_data_cut.has_custom(name)

    def with_custom(self, name: str, value) -> MixedCut:
        """A copy whose first data track carries the custom field."""
        first = self._first_data_cut
        tracks = [
            t._with(cut=t.cut.with_custom(name, value)) if t.cut is first else t
            for t in self.tracks
        ]
        return MixedCut(id=self.id, tracks=tracks, transforms=self.transforms)

    def _reference_index(self) -> int | None:
        for i, t in enumerate(self.tracks):
            if t.is_snr_reference:
                return i
        for i, t in enumerate(self.tracks):
            if not isinstance(t.cut, PaddingCut) and t.snr is None:
                return i
        return None

    # --- loading ------------------------------------------------------------------

    def load_audio(self, mixed: bool = True) -> np.ndarray:
        """The mixed samples, ``(channels, num_samples)``; ``mixed=False`` gives one row per track."""
        if not self.has_recording:
            raise CutError(f"mixed cut {self.id!r}: some track has no recording")
        sr = self.sampling_rate
        n = self.num_samples
        audios = [t.cut.load_audio() for t in self.tracks]
        ref = self._reference_index()
        ref_energy = _energy(audios[ref]) if ref is not None else None
        rows = max(a.shape[0] for a in audios)
        if not mixed:
            out = np.zeros((len(self.tracks), n), dtype=np.float32)
        else:
            out = np.zeros((rows, n), dtype=np.float32)
        for i, (t, audio) in enumerate(zip(self.tracks, audios)):
            if t.mute:
                continue
            gain = 1.0
            if t.snr is not None and ref_energy:
                energy = _energy(audio)
                if energy > 0:
                    gain = math.sqrt(ref_energy / (energy * 10.0 ** (t.snr / 10.0)))
            off = compute_num_samples(t.offset, sr)
            seg = audio[:, : max(n - off, 0)]
            if gain != 1.0:
                seg = seg * gain
            if mixed:
                out[:, off : off + seg.shape[1]] += seg
            else:
                out[i, off : off + seg.shape[1]] += seg.mean(axis=0)
        if self.transforms:
            out = self._apply_transforms(out, sr)
        return fit_length(out, n, axis=1, what=f"audio of mixed cut {self.id!r}")

    def _apply_transforms(self, audio: np.ndarray, sr: int) -> np.ndarray:
        import importlib

        transforms = importlib.import_module("nuptse.audio.transforms")
        for t in self.transforms:
            tf = t if callable(t) else transforms.AudioTransform.from_dict(t)
            audio = tf(audio, sr)
        return audio

    def load_features(self, mixed: bool = True) -> np.ndarray | None:
        """Features mixed in the feature domain: exactly ``num_frames`` rows."""
        if not self.has_features:
            return None
        feats = [t.cut.load_features() for t in self.tracks]
        n = self.num_frames
        fs = self.frame_shift
        if not mixed:
            stacked = np.full((len(feats), n, feats[0].shape[1]), FEATURE_MIX_PADDING, np.float32)
            for i, (t, f) in enumerate(zip(self.tracks, feats)):
                off = seconds_to_frames(t.offset, fs)
                part = f[: max(n - off, 0)]
                stacked[i, off : off + part.shape[0]] = part
            return stacked
        if len(self.tracks) == 1:
            return fit_length(feats[0], n, axis=0, pad_value="edge", tol=2)
        if all(isinstance(t.cut, PaddingCut) for t in self.tracks):
            # Only padding: no extractor to mix with, the padding values are the features.
            out = np.full((n, feats[0].shape[1]), self.tracks[0].cut.feat_value, np.float32)
            for t, f in zip(self.tracks, feats):
                off = seconds_to_frames(t.offset, fs)
                part = f[: max(n - off, 0)]
                out[off : off + part.shape[0]] = part
            return out
        from nuptse.features.extractor import create_default_feature_extractor
        from nuptse.features.mixer import FeatureMixer

        extractor = create_default_feature_extractor(self.features_type)
        if extractor is None:
            raise CutError(
                f"mixed cut {self.id!r}: no feature extractor for type "
                f"{self.features_type!r} to mix its features"
            )
        ref = self._reference_index()
        ref_energy = extractor.compute_energy(feats[ref]) if ref is not None else None
        first = self.tracks[0]
        base = feats[0]
        if first.offset:
            lead = seconds_to_frames(first.offset, fs)
            base = np.concatenate(
                [np.full((lead, base.shape[1]), FEATURE_MIX_PADDING, base.dtype), base]
            )
        mixer = FeatureMixer(
            feature_extractor=extractor,
            base_feats=base,
            frame_shift=fs,
            padding_value=FEATURE_MIX_PADDING,
            reference_energy=ref_energy,
        )
        for t, f in zip(self.tracks[1:], feats[1:]):
            if t.mute:
                continue
            mixer.add_to_mix(feats=f, sampling_rate=self.sampling_rate, snr=t.snr, offset=t.offset)
        out = np.asarray(mixer.mixed_feats)
        return fit_length(out, n, axis=0, pad_value="edge", what=f"features of {self.id!r}", tol=2)

    # --- per-track operations -----------------------------------------------------

    def _map_tracks(self, fn, offset_fn=None, id_suffix: str | None = None) -> MixedCut:
        tracks = [
            t._with(cut=fn(t.cut), offset=offset_fn(t.offset) if offset_fn else t.offset)
            for t in self.tracks
        ]
        return MixedCut(
            id=f"{self.id}{id_suffix}" if id_suffix else self.id,
            tracks=tracks,
            transforms=self.transforms,
        )

    def truncate(
        self,
        *,
        offset: float = 0.0,
        duration: float | None = None,
        keep_excessive_supervisions: bool = True,
        preserve_id: bool = False,
        _supervisions_index=None,
    ) -> Cut:
        """The span ``[offset, offset + duration)`` of the mix; tracks outside it are dropped."""
        if offset < 0:
            raise CutError(f"mixed cut {self.id!r}: truncate offset must be >= 0, got {offset}")
        sr = self.sampling_rate
        total = compute_num_samples(self.duration, sr)
        lo = compute_num_samples(offset, sr)
        hi = total if duration is None else min(total, lo + compute_num_samples(duration, sr))
        if hi <= lo:
            raise CutError(f"mixed cut {self.id!r}: truncating at {offset}s leaves nothing")
        tracks = []
        for t in self.tracks:
            t_lo = compute_num_samples(t.offset, sr)
            t_hi = t_lo + compute_num_samples(t.cut.duration, sr)
            a, b = max(t_lo, lo), min(t_hi, hi)
            if b <= a:
                continue
            new_cut = t.cut
            if a != t_lo or b != t_hi:
                new_cut = t.cut.truncate(
                    offset=samples_to_seconds(a - t_lo, sr),
                    duration=samples_to_seconds(b - a, sr),
                    keep_excessive_supervisions=keep_excessive_supervisions,
                    preserve_id=False,
                )
            tracks.append(t._with(cut=new_cut, offset=samples_to_seconds(a - lo, sr)))
        if not tracks:
            raise CutError(f"mixed cut {self.id!r}: no track overlaps [{offset}, +{duration})")
        if len(tracks) == 1 and tracks[0].offset == 0 and not self.transforms:
            only = tracks[0].cut
            return only.with_id(self.id if preserve_id else uuid_id())
        if not any(t.is_snr_reference for t in tracks) and all(
            t.snr is not None or isinstance(t.cut, PaddingCut) for t in tracks
        ):
            # The SNR reference was cut away: the first data track becomes the reference
            # (as lhotse does), so the remaining tracks keep their relative levels.
            for i, t in enumerate(tracks):
                if not isinstance(t.cut, PaddingCut):
                    tracks[i] = t._with(snr=None, is_snr_reference=True)
                    break
        return MixedCut(
            id=self.id if preserve_id else uuid_id(), tracks=tracks, transforms=self.transforms
        )

    def _perturb_offset(self, factor: float):
        sr = self.sampling_rate

        def fn(offset: float) -> float:
            return samples_to_seconds(
                perturb_num_samples(compute_num_samples(offset, sr), factor), sr
            )

        return fn

    def perturb_speed(self, factor: float, affix_id: bool = True) -> MixedCut:
        return self._map_tracks(
            lambda c: c.perturb_speed(factor=factor, affix_id=affix_id),
            self._perturb_offset(factor),
            f"_sp{factor}" if affix_id else None,
        )

    def perturb_tempo(self, factor: float, affix_id: bool = True) -> MixedCut:
        return self._map_tracks(
            lambda c: c.perturb_tempo(factor=factor, affix_id=affix_id),
            self._perturb_offset(factor),
            f"_tp{factor}" if affix_id else None,
        )

    def perturb_volume(self, factor: float, affix_id: bool = True) -> MixedCut:
        return self._map_tracks(
            lambda c: c.perturb_volume(factor=factor, affix_id=affix_id),
            None,
            f"_vp{factor}" if affix_id else None,
        )

    def resample(self, sampling_rate: int, affix_id: bool = False) -> MixedCut:
        def snap(offset: float) -> float:
            return samples_to_seconds(compute_num_samples(offset, sampling_rate), sampling_rate)

        return self._map_tracks(
            lambda c: c.resample(sampling_rate, affix_id=affix_id),
            snap,
            f"_rs{sampling_rate}" if affix_id else None,
        )

    def reverb_rir(self, rir_recording=None, affix_id: bool = True, **kwargs) -> MixedCut:
        """Reverberate each track with the same impulse response.

        Without ``rir_recording`` every track gets a generated response from
        one room (one ``room_rng_seed``, drawn here if not given) with its
        own source position (``source_rng_seed`` per track unless given).
        """
        if rir_recording is None and kwargs.get("room_rng_seed") is None:
            kwargs["room_rng_seed"] = random.randrange(2**31)
        return self._map_tracks(
            lambda c: c.reverb_rir(rir_recording=rir_recording, affix_id=affix_id, **kwargs),
            None,
            "_rvb" if affix_id else None,
        )

    def with_recording_path_prefix(self, path) -> MixedCut:
        return self._map_tracks(lambda c: c.with_recording_path_prefix(path))

    def with_features_path_prefix(self, path) -> MixedCut:
        return self._map_tracks(lambda c: c.with_features_path_prefix(path))

    def drop_features(self) -> MixedCut:
        return self._map_tracks(lambda c: c.drop_features())

    def drop_recording(self) -> MixedCut:
        return self._map_tracks(lambda c: c.drop_recording())

    def drop_supervisions(self) -> MixedCut:
        return self._map_tracks(lambda c: c.drop_supervisions())

    def drop_alignments(self) -> MixedCut:
        return self._map_tracks(lambda c: c.drop_alignments())

    def drop_custom(self) -> MixedCut:
        return self._map_tracks(lambda c: c.drop_custom())

    def filter_supervisions(self, predicate) -> MixedCut:
        return self._map_tracks(lambda c: c.filter_supervisions(predicate))

    def map_supervisions(self, transform_fn) -> MixedCut:
        return self._map_tracks(lambda c: c.map_supervisions(transform_fn))

    def _copy(self, **changes) -> Cut:
        return MixedCut(
            id=changes.pop("id", self.id),
            tracks=changes.pop("tracks", self.tracks),
            transforms=changes.pop("transforms", self.transforms),
        )

    # --- serialization ------------------------------------------------------------

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"id": self.id, "tracks": [t.to_dict() for t in self.tracks]}
        if self.transforms:
            d["transforms"] = [t.to_dict() if hasattr(t, "to_dict") else t for t in self.transforms]
        d["type"] = "MixedCut"
        return d

    @classmethod
    def from_dict(cls, data: dict) -> MixedCut:
        return cls(
            id=data["id"],
            tracks=[MixTrack.from_dict(t) for t in data["tracks"]],
            transforms=data.get("transforms") or None,
        )


# --- building mixes -------------------------------------------------------------------


def _explicit_reference(tracks: list[MixTrack]) -> list[MixTrack]:
    if any(t.is_snr_reference for t in tracks):
        return tracks
    for i, t in enumerate(tracks):
        if not isinstance(t.cut, PaddingCut) and t.snr is None:
            tracks[i] = t._with(is_snr_reference=True)
            break
    return tracks


def mix(
    reference: Cut,
    other: Cut,
    offset: float = 0.0,
    allow_padding: bool = False,
    snr: float | None = None,
    preserve_id: str | None = None,
) -> MixedCut:
    """Overlay ``other`` on ``reference`` starting ``offset`` s in, at ``snr`` dB.

    ``preserve_id`` is ``"left"``/``"right"`` to keep one input's id, else a uuid.
    """
    sr_a, sr_b = reference.sampling_rate, other.sampling_rate
    if sr_a is not None and sr_b is not None and sr_a != sr_b:
        raise CutError(
            f"cannot mix cut {reference.id!r} ({sr_a} Hz) with cut {other.id!r} ({sr_b} Hz)"
        )
    if reference.has_features and other.has_features:
        if reference.num_features != other.num_features:
            raise CutError(
                f"cannot mix features of cut {reference.id!r} ({reference.num_features} dims) "
                f"and {other.id!r} ({other.num_features} dims)"
            )
    if offset < 0:
        raise CutError(f"mix offset must be >= 0, got {offset} (cut {other.id!r})")
    if offset > reference.duration:
        reference = reference.pad(duration=offset)
    if isinstance(reference, MixedCut) and not reference.transforms:
        old = _explicit_reference(list(reference.tracks))
    else:
        old = [MixTrack(cut=reference, is_snr_reference=not isinstance(reference, PaddingCut))]
    if isinstance(other, MixedCut) and not other.transforms:
        new = []
        for t in other.tracks:
            if snr is None:
                t_snr = t.snr
            elif t.snr is None:
                t_snr = snr
            else:
                t_snr = t.snr + snr
            new.append(
                t._with(offset=round(t.offset + offset, 8), snr=t_snr, is_snr_reference=False)
            )
    else:
        new = [MixTrack(cut=other, offset=offset, snr=snr)]
    if preserve_id == "left":
        new_id = reference.id
    elif preserve_id == "right":
        new_id = other.id
    elif preserve_id is None or preserve_id is False:
        new_id = uuid_id()
    else:
        raise CutError(f"preserve_id must be 'left', 'right' or None, got {preserve_id!r}")
    return MixedCut(id=new_id, tracks=old + new)


def pad_cut(
    cut: Cut,
    duration: float | None = None,
    num_frames: int | None = None,
    num_samples: int | None = None,
    pad_feat_value: float = LOG_EPSILON,
    direction: str = "right",
    preserve_id: bool = False,
    pad_value_dict: dict | None = None,
) -> Cut:
    """``cut`` extended with a :class:`PaddingCut` (returned as is when long enough)."""
    given = [x is not None for x in (duration, num_frames, num_samples)]
    if sum(given) != 1:
        raise CutError(
            f"pad() of cut {cut.id!r} takes exactly one of duration, num_frames, num_samples"
        )
    if direction not in ("right", "left", "both"):
        raise CutError(f"pad direction must be right, left or both, got {direction!r}")
    sr = cut.sampling_rate
    fs = cut.frame_shift if cut.has_features else None
    if num_frames is not None:
        if not cut.has_features:
            raise CutError(f"cut {cut.id!r} has no features, so it cannot be padded to frames")
        pad_frames = num_frames - cut.num_frames
        if pad_frames <= 0:
            return cut
        pad_duration = frames_to_seconds(pad_frames, fs)
        pad_samples = compute_num_samples(pad_duration, sr) if cut.has_recording else None
    elif num_samples is not None:
        if not cut.has_recording:
            raise CutError(f"cut {cut.id!r} has no recording, so it cannot be padded to samples")
        pad_samples = num_samples - cut.num_samples
        if pad_samples <= 0:
            return cut
        pad_duration = samples_to_seconds(pad_samples, sr)
        pad_frames = compute_num_frames(pad_duration, fs, sr) if fs else None
    else:
        if duration <= cut.duration:
            return cut
        pad_duration = add_durations(duration, -cut.duration, sampling_rate=sr)
        pad_samples = compute_num_samples(pad_duration, sr) if cut.has_recording else None
        pad_frames = compute_num_frames(pad_duration, fs, sr) if fs else None

    def padding(dur: float, samples, frames) -> PaddingCut:
        return PaddingCut(
            id=uuid_id(),
            duration=dur,
            sampling_rate=sr,
            feat_value=pad_feat_value,
            num_frames=frames,
            num_features=cut.num_features if fs else None,
            frame_shift=fs,
            num_samples=samples,
        )

    keep = "left" if preserve_id else None
    if direction == "right":
        return mix(
            cut,
            padding(pad_duration, pad_samples, pad_frames),
            offset=cut.duration,
            preserve_id=keep,
        )
    if direction == "left":
        out = mix(padding(pad_duration, pad_samples, pad_frames), cut, offset=pad_duration)
        return out.with_id(cut.id) if preserve_id else out
    # both: split the padding in two halves (the right one takes the odd sample)
    total = pad_samples if pad_samples is not None else compute_num_samples(pad_duration, sr)
    left_n = total // 2
    left_d = samples_to_seconds(left_n, sr)
    right_d = samples_to_seconds(total - left_n, sr)
    left_f = compute_num_frames(left_d, fs, sr) if fs else None
    right_f = (pad_frames - left_f) if fs else None
    out = mix(padding(left_d, left_n if cut.has_recording else None, left_f), cut, offset=left_d)
    out = mix(
        out,
        padding(right_d, (total - left_n) if cut.has_recording else None, right_f),
        offset=out.duration,
    )
    return out.with_id(cut.id) if preserve_id else out


provide("mix", mix)
provide("pad_cut", pad_cut)
