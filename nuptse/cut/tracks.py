"""The tracks of a mix and how they are heard: :class:`MixTrack`, and mixing the tracks'
audio (sample by sample) and features (in the feature domain).

Each track is scaled so that its energy relative to the SNR reference
track's matches its SNR; precomputed features are mixed through the
extractor's own ``mix`` (see :mod:`nuptse.features.mixer`).  The functions
take the :class:`~nuptse.cut.mixed.MixedCut` whose tracks they mix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nuptse.cut.base import CutError, cut_from_dict, fit_length
from nuptse.cut.padding import PaddingCut
from nuptse.timing import compute_num_frames, compute_num_samples, seconds_to_frames

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


def dataclasses_replace(obj, **changes):
    import dataclasses

    return dataclasses.replace(obj, **changes)


def _energy(audio: np.ndarray) -> float:
    return float(np.mean(np.square(audio, dtype=np.float64))) if audio.size else 0.0


def mix_audio(cut, mixed: bool = True, mono_downmix: bool = False):
    """The mixed samples, ``(channels, num_samples)``.

    ``mixed=False`` gives a list with each track's scaled samples on the
    mix's timeline; ``mono_downmix`` sums the channels of multi-channel
    tracks into one.
    """
    if not cut.has_recording:
        raise CutError(f"mixed cut {cut.id!r}: some track has no recording")
    sr = cut.sampling_rate
    n = cut.num_samples
    tracks = cut._audible
    audios = [t.cut.load_audio() for t in tracks]
    ref = cut._reference_index()
    ref_energy = None
    if ref is not None:
        ref_track = cut.tracks[ref]
        ref_audio = (
            audios[tracks.index(ref_track)] if ref_track in tracks else ref_track.cut.load_audio()
        )
        ref_energy = _energy(ref_audio)
    rows = max(a.shape[0] for a in audios)
    scaled = []
    for t, audio in zip(tracks, audios):
        gain = 1.0
        if t.snr is not None and ref_energy:
            energy = _energy(audio)
            if energy > 0:
                gain = math.sqrt(ref_energy / (energy * 10.0 ** (t.snr / 10.0)))
        off = compute_num_samples(t.offset, sr)
        seg = audio[:, : max(n - off, 0)]
        if gain != 1.0:
            seg = (seg * gain).astype(np.float32)
        scaled.append((off, seg))
    if not mixed:
        out_list = []
        for off, seg in scaled:
            row = np.zeros((seg.shape[0], n), dtype=np.float32)
            row[:, off : off + seg.shape[1]] = seg
            out_list.append(row)
        return out_list
    downmix = mono_downmix and rows > 1
    out = np.zeros((1 if downmix else rows, n), dtype=np.float32)
    for off, seg in scaled:
        if downmix:
            seg = seg.sum(axis=0, keepdims=True)  # each track's channels summed
        out[:, off : off + seg.shape[1]] += seg
    if cut.transforms:
        out = _apply_transforms(cut, out, sr)
    return fit_length(out, n, axis=1, what=f"audio of mixed cut {cut.id!r}")


def _apply_transforms(cut, audio: np.ndarray, sr: int):
    import importlib

    transforms = importlib.import_module("nuptse.audio.transforms")
    for t in cut.transforms:
        tf = t if callable(t) else transforms.AudioTransform.from_dict(t)
        audio = tf(audio, sr)
    return audio


def _track_features(track_cut, mixed_cut) -> np.ndarray:
    """A track's features; a padding track made before the features were computed
    (so without a frame count) gives ``feat_value`` frames of the mix's frame shift."""
    feats = track_cut.load_features()
    if feats is not None or not isinstance(track_cut, PaddingCut):
        return feats
    frames = compute_num_frames(track_cut.duration, mixed_cut.frame_shift, mixed_cut.sampling_rate)
    return np.full((frames, mixed_cut.num_features), track_cut.feat_value, dtype=np.float32)


def mix_features(cut, mixed: bool = True):
    """Features mixed in the feature domain: exactly ``num_frames`` rows."""
    if not cut.has_features:
        return None
    n = cut.num_frames
    fs = cut.frame_shift
    feats = [_track_features(t.cut, cut) for t in cut.tracks]
    if not mixed:
        shown = [(t, f) for t, f in zip(cut.tracks, feats) if t in cut._audible]
        stacked = np.full((len(shown), n, feats[0].shape[1]), FEATURE_MIX_PADDING, np.float32)
        for i, (t, f) in enumerate(shown):
            off = seconds_to_frames(t.offset, fs)
            part = f[: max(n - off, 0)]
            stacked[i, off : off + part.shape[0]] = part
        return stacked
    if len(cut.tracks) == 1:
        return fit_length(feats[0], n, axis=0, pad_value="edge", tol=2)
    if all(isinstance(t.cut, PaddingCut) for t in cut.tracks):
        # Only padding: no extractor to mix with, the padding values are the features.
        out = np.full((n, feats[0].shape[1]), cut.tracks[0].cut.feat_value, np.float32)
        for t, f in zip(cut.tracks, feats):
            off = seconds_to_frames(t.offset, fs)
            part = f[: max(n - off, 0)]
            out[off : off + part.shape[0]] = part
        return out
    from nuptse.features.extractor import create_default_feature_extractor
    from nuptse.features.mixer import FeatureMixer

    extractor = create_default_feature_extractor(cut.features_type)
    if extractor is None:
        raise CutError(
            f"mixed cut {cut.id!r}: no feature extractor for type "
            f"{cut.features_type!r} to mix its features"
        )
    ref = cut._reference_index()
    ref_energy = extractor.compute_energy(feats[ref]) if ref is not None else None
    first = cut.tracks[0]
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
    for t, f in zip(cut.tracks[1:], feats[1:]):
        if t.mute:
            continue
        mixer.add_to_mix(feats=f, sampling_rate=cut.sampling_rate, snr=t.snr, offset=t.offset)
    out = np.asarray(mixer.mixed_feats)
    return fit_length(out, n, axis=0, pad_value="edge", what=f"features of {cut.id!r}", tol=2)
