"""Building mixes: overlaying, appending and padding cuts into :class:`MixedCut`.

:func:`mix` puts ``other`` ``offset`` s into ``reference`` (flattening nested
mixes so that a mix is always one level of tracks); :func:`pad_cut` appends
or prepends a :class:`PaddingCut`; :func:`unmixed_cut` rebuilds one group of a
mix's tracks at their original offsets, for :meth:`MixedCut.unmix`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from functools import reduce

import numpy as np

from nuptse.cut.base import LOG_EPSILON, Cut, CutError, provide, uuid_id
from nuptse.cut.mixed import MixedCut, MixTrack
from nuptse.cut.padding import PaddingCut
from nuptse.features.array import frame_index
from nuptse.timing import (
    add_durations,
    compute_num_frames,
    compute_num_samples,
    frames_to_seconds,
    samples_to_seconds,
)


class MixError(CutError, AssertionError):
    """The cuts cannot be mixed (sampling rates or feature sizes differ, bad offset)."""


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
    tag: str | None = None,
) -> MixedCut:
    """Overlay ``other`` on ``reference`` starting ``offset`` s in, at ``snr`` dB.

    ``preserve_id`` is ``"left"``/``"right"`` to keep one input's id, else a
    uuid.  ``tag`` labels the tracks that come from ``other``.  An offset past
    the end of ``reference`` needs ``allow_padding`` (silence fills the gap).
    """
    for c in (reference, other):
        if not isinstance(c, Cut):
            raise CutError(f"mix() takes cuts, got a {type(c).__name__} ({getattr(c, 'id', c)!r})")
    sr_a, sr_b = reference.sampling_rate, other.sampling_rate
    if sr_a is not None and sr_b is not None and sr_a != sr_b:
        raise MixError(
            f"cannot mix cut {reference.id!r} ({sr_a} Hz) with cut {other.id!r} ({sr_b} Hz)"
        )
    if reference.has_features and other.has_features:
        if reference.num_features != other.num_features:
            raise MixError(
                f"cannot mix features of cut {reference.id!r} ({reference.num_features} dims) "
                f"and {other.id!r} ({other.num_features} dims)"
            )
        if reference.frame_shift != other.frame_shift:
            raise MixError(
                f"cannot mix features of cut {reference.id!r} (frame shift "
                f"{reference.frame_shift}) and {other.id!r} ({other.frame_shift})"
            )
    _check_channels(reference, other)
    if offset < 0:
        raise MixError(f"mix offset must be >= 0, got {offset} (cut {other.id!r})")
    if offset > reference.duration:
        if not allow_padding:
            raise MixError(
                f"mixing cut {other.id!r} {offset}s into cut {reference.id!r} "
                f"({reference.duration}s) leaves a gap; pass allow_padding=True to fill it"
            )
        reference = reference.pad(duration=offset)
    if (
        isinstance(reference, MixedCut)
        and not reference.transforms
        and not any(t.mute for t in reference.tracks)
    ):
        old = _explicit_reference([t._with() for t in reference.tracks])
    else:
        old = [MixTrack(cut=reference, is_snr_reference=not isinstance(reference, PaddingCut))]
    if (
        isinstance(other, MixedCut)
        and not other.transforms
        and not any(t.mute for t in other.tracks)
    ):
        new = []
        for t in other.tracks:
            if snr is None:
                t_snr = t.snr
            elif t.snr is None:
                t_snr = snr
            else:
                t_snr = t.snr + snr
            new.append(
                t._with(
                    offset=round(t.offset + offset, 8),
                    snr=t_snr,
                    is_snr_reference=False,
                    tag=t.tag if t.tag is not None else tag,
                )
            )
    else:
        new = [MixTrack(cut=other, offset=offset, snr=snr, tag=tag)]
    if preserve_id == "left":
        new_id = reference.id
    elif preserve_id == "right":
        new_id = other.id
    elif preserve_id is None or preserve_id is False:
        new_id = uuid_id()
    else:
        raise CutError(f"preserve_id must be 'left', 'right' or None, got {preserve_id!r}")
    return MixedCut(id=new_id, tracks=old + new)


def _check_channels(a: Cut, b: Cut) -> None:
    """Multi-channel cuts mix only with cuts on the same channels."""

    def multi_channels(c: Cut) -> list:
        if isinstance(c, MixedCut):
            return [t.cut.channel for t in c.tracks if isinstance(t.cut.channel, list)]
        return [c.channel] if isinstance(getattr(c, "channel", None), list) else []

    seen = multi_channels(a) + multi_channels(b)
    if any(ch != seen[0] for ch in seen):
        raise MixError(
            f"cannot mix multi-channel cuts {a.id!r} and {b.id!r} on different channels {seen}"
        )


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
    """``cut`` extended with a :class:`PaddingCut` (returned as is when long enough).

    Padding to ``num_frames`` gives exactly ``num_frames * frame_shift``
    seconds; ``pad_value_dict`` names the padding value of each temporal custom
    array (kept on the padding cut's ``custom``).
    """
    given = [x is not None for x in (duration, num_frames, num_samples)]
    if sum(given) != 1:
        raise CutError(
            f"pad() of cut {cut.id!r} takes exactly one of duration, num_frames, num_samples"
        )
    if direction not in ("right", "left", "both"):
        raise CutError(f"pad direction must be right, left or both, got {direction!r}")
    _warn_unpadded_arrays(cut, pad_value_dict)
    sr = cut.sampling_rate
    fs = cut.frame_shift if cut.has_features else None
    if num_frames is not None:
        if not cut.has_features:
            raise CutError(f"cut {cut.id!r} has no features, so it cannot be padded to frames")
        total = frames_to_seconds(num_frames, fs)
        total_samples = compute_num_samples(total, sr) if cut.has_recording else None
        if (
            num_frames <= cut.num_frames
            and total <= cut.duration
            and (total_samples is None or total_samples <= cut.num_samples)
        ):
            return cut
        pad_duration = add_durations(total, -cut.duration, sampling_rate=sr)
        pad_frames = num_frames - cut.num_frames
        pad_samples = total_samples - cut.num_samples if cut.has_recording else None
    elif num_samples is not None:
        if not cut.has_recording:
            raise CutError(f"cut {cut.id!r} has no recording, so it cannot be padded to samples")
        pad_samples = num_samples - cut.num_samples
        if pad_samples <= 0:
            return cut
        total = samples_to_seconds(num_samples, sr)
        pad_duration = samples_to_seconds(pad_samples, sr)
        pad_frames = compute_num_frames(total, fs, sr) - cut.num_frames if fs else None
    else:
        if duration <= cut.duration:
            return cut
        pad_duration = add_durations(duration, -cut.duration, sampling_rate=sr)
        pad_samples = (
            compute_num_samples(duration, sr) - cut.num_samples if cut.has_recording else None
        )
        pad_frames = compute_num_frames(duration, fs, sr) - cut.num_frames if fs else None

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
            custom=dict(pad_value_dict) if pad_value_dict else None,
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
        pad = padding(pad_duration, pad_samples, pad_frames)
        return mix(pad, cut, offset=pad_duration, preserve_id="right" if preserve_id else None)
    # both: split the padding in two halves (the right one takes the odd sample)
    whole = pad_samples if pad_samples is not None else compute_num_samples(pad_duration, sr)
    left_n = whole // 2
    left_d = samples_to_seconds(left_n, sr)
    right_d = samples_to_seconds(whole - left_n, sr)
    left_f = pad_frames // 2 if fs else None
    right_f = (pad_frames - left_f) if fs else None
    has_rec = cut.has_recording
    out = mix(padding(left_d, left_n if has_rec else None, left_f), cut, offset=left_d)
    out = mix(
        out,
        padding(right_d, (whole - left_n) if has_rec else None, right_f),
        offset=out.duration,
    )
    return out.with_id(cut.id) if preserve_id else out


def _warn_unpadded_arrays(cut: Cut, pad_value_dict: dict | None) -> None:
    from nuptse.features.array import TemporalArray

    custom = cut.custom if isinstance(getattr(cut, "custom", None), dict) else {}
    keys = [k for k, v in custom.items() if isinstance(v, TemporalArray)]
    missing = [k for k in keys if not pad_value_dict or k not in pad_value_dict]
    if missing:
        warnings.warn(
            f"cut {cut.id!r}: temporal custom arrays {missing} have no value in pad_value_dict; "
            f"they will be padded with the default value",
            stacklevel=3,
        )


def unmixed_cut(mixed: MixedCut, tracks: list[MixTrack]) -> Cut:
    """``tracks`` of ``mixed`` as a cut of the mix's full duration (silence elsewhere).

    Tracks whose SNR refers to a track not among them get that reference as a
    muted track, so their levels stay as in the mix.
    """
    if not tracks:
        return PaddingCut(
            id=uuid_id(),
            duration=mixed.duration,
            sampling_rate=mixed.sampling_rate,
            feat_value=LOG_EPSILON,
            num_frames=mixed.num_frames if mixed.has_features else None,
            num_features=mixed.num_features if mixed.has_features else None,
            frame_shift=mixed.frame_shift if mixed.has_features else None,
            num_samples=mixed.num_samples if mixed.has_recording else None,
        )
    tracks = _explicit_reference([t._with() for t in tracks])
    if all(t.snr is not None for t in tracks):
        ref = mixed.tracks[mixed._reference_index()]
        tracks.append(ref._with(is_snr_reference=True, mute=True))
    out = MixedCut(id=uuid_id(), tracks=tracks)
    if out.duration < mixed.duration:
        out = out.pad(duration=mixed.duration, preserve_id=True)
    return out


def pad_array(
    array: np.ndarray,
    temporal_dim: int,
    frame_shift: float,
    offset: float,
    padded_duration: float,
    pad_value: float,
) -> np.ndarray:
    """``array`` placed ``offset`` s into a span of ``padded_duration`` s along ``temporal_dim``.

    >>> pad_array(np.array([1, 2, 3]), 0, 0.1, offset=0.1, padded_duration=0.6, pad_value=0)
    array([0, 1, 2, 3, 0, 0])
    """
    have = array.shape[temporal_dim]
    total = frame_index(padded_duration, frame_shift)
    if total < have:
        raise CutError(
            f"an array of {have} frames does not fit into {padded_duration}s "
            f"({total} frames of {frame_shift}s)"
        )
    if total == have:
        return array
    left = frame_index(offset, frame_shift)
    right = total - have - left
    if right == -1:  # the padding rounded up by one frame: take it from the left
        left, right = left - 1, 0
    widths = [(left, right) if d == temporal_dim else (0, 0) for d in range(array.ndim)]
    return np.pad(array, widths, mode="constant", constant_values=pad_value)


def load_mixed_custom(mixed: MixedCut, name: str) -> np.ndarray:
    """Custom field ``name`` of a mix's data track(s), on the mix's timeline
    (see :meth:`MixedCut.load_custom`)."""
    from nuptse.features.array import Array

    holders = mixed._tracks_with_custom(name)
    if not holders:
        raise CutError(f"mixed cut {mixed.id!r}: no audible data track has custom field {name!r}")
    idx, cut = holders[0]
    manifest = cut.custom[name]
    is_recording = hasattr(manifest, "sources") and hasattr(manifest, "load_audio")
    if len(holders) > 1 and not is_recording:
        raise CutError(
            f"mixed cut {mixed.id!r}: {len(holders)} tracks have custom field {name!r}; "
            f"only recordings can be combined across tracks"
        )
    if is_recording:
        sr = manifest.sampling_rate
        total = compute_num_samples(mixed.duration, sr)
        parts = [(mixed.tracks[i].offset, c.load_custom(name)) for i, c in holders]
        out = np.zeros((max(p.shape[0] for _, p in parts), total), dtype=np.float32)
        for offset, audio in parts:
            start = compute_num_samples(offset, sr)
            piece = audio[:, : max(total - start, 0)]
            out[:, start : start + piece.shape[1]] += piece
        return out
    if isinstance(manifest, Array):
        return cut.load_custom(name)
    pad_value = 0
    for t in mixed.tracks:
        if isinstance(t.cut, PaddingCut) and t.cut.custom and name in t.cut.custom:
            pad_value = t.cut.custom[name]
            break
    return pad_array(
        cut.load_custom(name),
        temporal_dim=manifest.temporal_dim,
        frame_shift=manifest.frame_shift,
        offset=mixed.tracks[idx].offset,
        padded_duration=mixed.duration,
        pad_value=pad_value,
    )


def mix_cuts(cuts: Iterable[Cut]) -> MixedCut:
    """All ``cuts`` overlaid at offset 0 (a left fold of :func:`mix`)."""
    return reduce(mix, cuts)


def append_cuts(cuts: Iterable[Cut]) -> Cut:
    """All ``cuts`` one after another (a left fold of :meth:`Cut.append`)."""
    return reduce(lambda left, right: left.append(right), cuts)


provide("mix", mix)
provide("load_mixed_custom", load_mixed_custom)
provide("pad_cut", pad_cut)
provide("unmixed_cut", unmixed_cut)
