"""Behaviour shared by every cut type.

A *cut* is a span of a recording (or of a mix of recordings) with the
supervisions that fall inside it and, optionally, precomputed features.  The
concrete types live in their own modules (:mod:`.mono`, :mod:`.multi`,
:mod:`.padding`, :mod:`.mixed`); this module holds what they share: derived
sizes, the ``custom`` field with attribute access, splitting a cut into
windows or per-supervision pieces, padding/appending/mixing, and dispatch
from serialized dicts to the right class.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

from nuptse.timing import (
    add_durations,
    compute_num_frames,
    compute_num_samples,
)

#: Log of the smallest energy in a filterbank; the default feature value of padding.
LOG_EPSILON = -23.025850929940457

#: Concrete cut classes by their serialized ``"type"`` name (filled by each module).
CUT_TYPES: dict[str, type] = {}


class CutError(ValueError):
    """A cut operation got arguments that do not fit the cut (the message names the cut)."""


def register_cut_type(cls: type) -> type:
    CUT_TYPES[cls.__name__] = cls
    return cls


#: What the modules built on this one provide to the methods every cut shares:
#: ``CutSet`` (returned by windows and trims), the padding and mixing functions
#: (``MixedCut``) and the feature extraction pipeline.  Those modules register
#: here when ``nuptse.cut`` is imported, so this module never imports them and
#: the import graph stays acyclic (base <- mixed, set, compute).
_PROVIDED: dict[str, Any] = {}


def provide(name: str, obj: Any) -> Any:
    """Register ``obj`` under ``name`` for the shared cut methods (see ``_PROVIDED``)."""
    _PROVIDED[name] = obj
    return obj


def provided(name: str) -> Any:
    """The object a higher cut module registered under ``name``."""
    if name not in _PROVIDED:
        import importlib

        importlib.import_module("nuptse.cut")
    return _PROVIDED[name]


def cut_from_dict(data: dict) -> Cut:
    """Build the cut a serialized dict describes, dispatching on its ``"type"``."""
    kind = data.get("type")
    if kind is None:
        # Old manifests without a type: guess from the keys.
        kind = "MixedCut" if "tracks" in data else "MonoCut"
        if kind == "MonoCut" and isinstance(data.get("channel"), list):
            kind = "MultiCut"
    cls = CUT_TYPES.get(kind)
    if cls is None:
        raise CutError(f"unknown cut type {kind!r} in item {data.get('id')!r}")
    return cls.from_dict(data)


def uuid_id(rng: random.Random | None = None) -> str:
    """A random UUID4 string (drawn from ``rng`` when given, for reproducible ids)."""
    import uuid

    if rng is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def overlap_ratio(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    """Overlap of two spans as a fraction of the shorter one (0 when disjoint)."""
    inter = min(a_end, b_end) - max(a_start, b_start)
    if inter <= 0:
        return 0.0
    shorter = min(a_end - a_start, b_end - b_start)
    return inter / shorter if shorter > 0 else 1.0


def num_windows(total: float, window: float, hop: float) -> int:
    """How many windows of ``window`` s, ``hop`` s apart, cover ``total`` s.

    >>> num_windows(61.0, 10.0, 10.0)
    7
    >>> num_windows(5.9, 3, 1)
    4
    """
    import math

    if total <= 0:
        return 0
    n = math.ceil(round(max(total - window, 0) / hop, 8))
    return n + int(round(total - n * hop, 8) > 0)


class Cut:
    """Mixin with the behaviour all cut types share.

    Subclasses provide ``id``, ``duration``, ``start``, ``supervisions`` and
    the ``has_recording``/``has_features``/``sampling_rate``/``frame_shift``
    properties, ``truncate`` and ``to_dict``.
    """

    @classmethod
    def from_dict(cls, data: dict) -> Cut:
        """The cut of whatever type ``data["type"]`` names."""
        return cut_from_dict(data)

    # --- custom fields ------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dataclass_fields__ or name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        if isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)  # raises for read-only properties
            return
        custom = self.__dict__.get("custom")
        if custom is None:
            custom = {}
            object.__setattr__(self, "custom", custom)
        custom[name] = value

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup failed: look in ``custom``.
        if name.startswith("__") or name == "custom":
            raise AttributeError(name)
        custom = self.__dict__.get("custom")
        if custom:
            if name in custom:
                return custom[name]
            if name.startswith("load_") and name[5:] in custom:
                value = custom[name[5:]]
                return lambda: _load_custom(self, name[5:], value)
        raise AttributeError(
            f"{type(self).__name__} {self.__dict__.get('id')!r} has no attribute "
            f"or custom field {name!r}"
        )

    def __delattr__(self, name: str) -> None:
        custom = self.__dict__.get("custom")
        if name not in self.__dataclass_fields__ and custom and name in custom:
            del custom[name]
            return
        object.__delattr__(self, name)

    def has_custom(self, name: str) -> bool:
        custom = self.__dict__.get("custom")
        return bool(custom) and name in custom

    def with_custom(self, name: str, value: Any) -> Cut:
        """A copy with one more custom field."""
        custom = dict(self.__dict__.get("custom") or {})
        custom[name] = value
        return self._copy(custom=custom)

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, state):
        self.__dict__.update(state)

    # --- sizes --------------------------------------------------------------------

    @property
    def end(self) -> float:
        sr = self.sampling_rate
        if sr is None:
            return round(self.start + self.duration, 7)
        return add_durations(self.start, self.duration, sampling_rate=sr)

    @property
    def num_samples(self) -> int | None:
        if not self.has_recording:
            return None
        return compute_num_samples(self.duration, self.sampling_rate)

    @property
    def num_frames(self) -> int | None:
        if not self.has_features:
            return None
        return compute_num_frames(self.duration, self.frame_shift, self.sampling_rate)

    @property
    def trimmed_supervisions(self) -> list:
        """Supervisions clipped to the cut's ``[0, duration]``."""
        return [s.trim(self.duration) for s in self.supervisions]

    @property
    def speakers(self) -> list[str]:
        return sorted({s.speaker for s in self.supervisions if s.speaker is not None})

    def with_id(self, id_: str) -> Cut:
        return self._copy(id=id_)

    def _copy(self, **changes) -> Cut:
        # A shallow copy without going through __init__/__setattr__ (hot in trim/windows).
        new = object.__new__(type(self))
        state = dict(self.__dict__)
        custom = state.get("custom")
        if custom and "custom" not in changes:
            state["custom"] = dict(custom)
        state.update(changes)
        object.__setattr__(new, "__dict__", state)
        return new

    # --- supervisions -------------------------------------------------------------

    def filter_supervisions(self, predicate: Callable[[Any], bool]) -> Cut:
        return self._copy(supervisions=[s for s in self.supervisions if predicate(s)])

    def map_supervisions(self, transform_fn: Callable[[Any], Any]) -> Cut:
        return self._copy(supervisions=[transform_fn(s) for s in self.supervisions])

    def _supervisions_in(
        self,
        offset: float,
        duration: float,
        keep_excessive: bool,
        shift: bool = True,
        index: SupervisionIndex | None = None,
    ) -> list:
        """Supervisions of ``[offset, offset+duration)``, relative to ``offset``.

        With ``keep_excessive`` every supervision that overlaps the span by more
        than 1% of the shorter of the two is kept as is (it may stick out);
        otherwise only those inside the span (1 ms tolerance) are kept, clipped
        to it.
        """
        end = offset + duration
        out = []
        candidates = self.supervisions if index is None else index.candidates(offset, end)
        for s in candidates:
            s_end = s.start + s.duration
            if keep_excessive:
                if overlap_ratio(s.start, s_end, offset, end) <= 0.01:
                    continue
                out.append(s.with_offset(-offset) if shift and offset else s)
            else:
                if not (offset - 1e-3 <= s.start and s_end <= end + 1e-3):
                    continue
                moved = s.with_offset(-offset) if shift and offset else s
                if moved.start < 0 or moved.start + moved.duration > duration:
                    moved = moved.trim(duration)
                out.append(moved)
        if index is None and len(out) > 1:
            out.sort(key=lambda s: s.start)
        return out

    # --- splitting ----------------------------------------------------------------

    def cut_into_windows(
        self, duration: float, hop: float | None = None, keep_excessive_supervisions: bool = True
    ):
        """Windows of ``duration`` s every ``hop`` s (the last may be shorter), ids ``{id}-{i}``."""
        CutSet = provided("CutSet")

        if duration <= 0:
            raise CutError(f"cut {self.id!r}: window duration must be > 0, got {duration}")
        hop = hop or duration
        if hop <= 0:
            raise CutError(f"cut {self.id!r}: hop must be > 0, got {hop}")
        out = []
        index = SupervisionIndex(self.supervisions)
        for i in range(num_windows(self.duration, duration, hop)):
            piece = self.truncate(
                offset=round(hop * i, 8),
                duration=duration,
                keep_excessive_supervisions=keep_excessive_supervisions,
                preserve_id=True,
                _supervisions_index=index,
            )
            object.__setattr__(piece, "id", f"{self.id}-{i}")  # a fresh copy: safe to edit
            out.append(piece)
        return CutSet.from_cuts(out)

    def trim_to_supervisions(
        self,
        keep_overlapping: bool = True,
        min_duration: float | None = None,
        context_direction: str = "center",
        keep_all_channels: bool = False,
        rng: random.Random | None = None,
    ):
        """One cut per supervision, spanning it (extended to ``min_duration`` if given).

        A cut that ends up with one supervision takes that supervision's id.
        Without ``keep_all_channels`` a multi-channel cut is narrowed to the
        supervision's channel(s); overlapping supervisions on other channels
        are then dropped (lhotse raises an error in that case).
        """
        CutSet = provided("CutSet")

        out = []
        index = SupervisionIndex(self.supervisions)
        sr = self.sampling_rate
        fast = sr is not None and hasattr(self, "_truncate_samples")
        if fast:
            bounds = (compute_num_samples(self.start, sr), compute_num_samples(self.duration, sr))
        for sup in self.supervisions:
            start, dur = sup.start, sup.duration
            if min_duration is not None:
                start, dur = extended_span(start, dur, min_duration, context_direction, rng)
            start = max(start, 0.0)
            dur = min(dur, self.duration - start)
            if dur <= 0:
                continue
            if fast:
                lo = compute_num_samples(start, sr)
                trimmed = self._truncate_samples(
                    start,
                    lo,
                    compute_num_samples(dur, sr),
                    sr,
                    keep_overlapping,
                    True,
                    index,
                    bounds,
                )
            else:
                trimmed = self.truncate(
                    offset=start,
                    duration=dur,
                    keep_excessive_supervisions=keep_overlapping,
                    preserve_id=True,
                    _supervisions_index=index,
                )
            # ``trimmed`` is a fresh copy, so it may be edited in place.
            if not keep_overlapping:
                object.__setattr__(
                    trimmed, "supervisions", [s for s in trimmed.supervisions if s.id == sup.id]
                )
            if not keep_all_channels and hasattr(trimmed, "_narrow_to_channel"):
                trimmed = trimmed._narrow_to_channel(sup.channel)
            new_id = sup.id if len(trimmed.supervisions) == 1 else uuid_id(rng)
            object.__setattr__(trimmed, "id", new_id)
            out.append(trimmed)
        return CutSet.from_cuts(out)

    # --- combining ----------------------------------------------------------------

    def pad(
        self,
        duration: float | None = None,
        num_frames: int | None = None,
        num_samples: int | None = None,
        pad_feat_value: float = LOG_EPSILON,
        direction: str = "right",
        preserve_id: bool = False,
        pad_value_dict: dict | None = None,
    ) -> Cut:
        """Extend to ``duration`` (or a frame/sample count) with a :class:`PaddingCut`."""
        return provided("pad_cut")(
            self,
            duration=duration,
            num_frames=num_frames,
            num_samples=num_samples,
            pad_feat_value=pad_feat_value,
            direction=direction,
            preserve_id=preserve_id,
            pad_value_dict=pad_value_dict,
        )

    def mix(
        self,
        other: Cut,
        offset_other_by: float = 0.0,
        allow_padding: bool = False,
        snr: float | None = None,
        preserve_id: str | None = None,
    ) -> Cut:
        """Overlay ``other`` starting ``offset_other_by`` s into this cut, at ``snr`` dB."""
        return provided("mix")(
            self,
            other,
            offset=offset_other_by,
            allow_padding=allow_padding,
            snr=snr,
            preserve_id=preserve_id,
        )

    def append(self, other: Cut, snr: float | None = None, preserve_id: str | None = None) -> Cut:
        """``other`` right after this cut (a :class:`MixedCut`)."""
        return provided("mix")(self, other, offset=self.duration, snr=snr, preserve_id=preserve_id)

    def __add__(self, other: Cut) -> Cut:
        return self.append(other)

    # --- feature extraction -------------------------------------------------------

    def compute_features(self, extractor, augment_fn=None):
        """Features of this cut's audio as a numpy array (nothing is stored)."""
        audio = self.load_audio()
        if augment_fn is not None:
            audio = augment_fn(audio, self.sampling_rate)
        return extractor.extract(audio, self.sampling_rate)

    def compute_and_store_features(self, extractor, storage, augment_fn=None, *args, **kwargs):
        """Compute features, write them to ``storage`` and return a cut that references them."""
        return provided("compute_and_store_cut")(self, extractor, storage, augment_fn=augment_fn)


class SupervisionIndex:
    """Supervisions sorted by start, to find those near a span without scanning all."""

    def __init__(self, supervisions: list):
        self.sups = sorted(supervisions, key=lambda s: s.start)
        self.starts = [s.start for s in self.sups]
        self.max_duration = max((s.duration for s in self.sups), default=0.0)

    def candidates(self, lo: float, hi: float) -> list:
        """Supervisions that may overlap ``[lo, hi)`` (a superset, in start order)."""
        from bisect import bisect_left, bisect_right

        i = bisect_left(self.starts, lo - self.max_duration - 1e-3)
        j = bisect_right(self.starts, hi + 1e-3)
        return self.sups[i:j]


def extended_span(
    start: float,
    duration: float,
    new_duration: float,
    direction: str = "center",
    rng: random.Random | None = None,
) -> tuple[float, float]:
    """Start and duration of a span grown to ``new_duration`` in ``direction``.

    >>> extended_span(2.0, 1.0, 3.0)
    (1.0, 3.0)
    >>> extended_span(2.0, 1.0, 3.0, "right")
    (2.0, 3.0)
    """
    if new_duration <= duration:
        return start, duration
    extra = new_duration - duration
    if direction == "center":
        left = extra / 2
    elif direction == "left":
        left = extra
    elif direction == "right":
        left = 0.0
    elif direction == "random":
        left = (rng or random).uniform(0, extra)
    else:
        raise CutError(
            f"context_direction must be center, left, right or random, got {direction!r}"
        )
    return round(start - left, 8), round(new_duration, 8)


def _load_custom(cut: Cut, name: str, value: Any):
    """Load a custom array field (``Array``/``TemporalArray``) cut to the cut's span."""
    from nuptse.cut.custom import TemporalArray

    if isinstance(value, TemporalArray):
        return value.load(start=cut.start, duration=cut.duration)
    if hasattr(value, "load"):
        return value.load()
    raise AttributeError(f"custom field {name!r} of cut {cut.id!r} is not an array manifest")


def fit_length(array, target: int, axis: int, pad_value: float = 0.0, what: str = "", tol: int = 0):
    """Pad (with ``pad_value``) or cut ``array`` along ``axis`` to exactly ``target`` items.

    ``tol`` bounds how far off the input may be; beyond it a :class:`CutError`
    is raised, since a larger mismatch means the manifest is wrong.
    """
    import numpy as np

    have = array.shape[axis]
    if have == target:
        return array
    if tol and abs(have - target) > tol:
        raise CutError(f"{what}: expected {target} items along axis {axis}, got {have}")
    if have > target:
        index = [slice(None)] * array.ndim
        index[axis] = slice(0, target)
        return array[tuple(index)]
    widths = [(0, 0)] * array.ndim
    widths[axis] = (0, target - have)
    if pad_value == "edge":
        return np.pad(array, widths, mode="edge") if have else np.pad(array, widths)
    return np.pad(array, widths, constant_values=pad_value)


def iterate_supervisions(cuts: Iterable[Cut]):
    for c in cuts:
        yield from c.supervisions
