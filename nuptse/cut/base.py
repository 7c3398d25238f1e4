"""Behaviour shared by every cut type.

A *cut* is a span of a recording (or of a mix of recordings) with the
supervisions that fall inside it and, optionally, precomputed features.  The
concrete types live in their own modules (:mod:`.mono`, :mod:`.multi`,
:mod:`.padding`, :mod:`.mixed`); this module holds what they share: derived
sizes, padding/appending/mixing, saving audio and dispatch from serialized
dicts to the right class.  Custom fields (:mod:`.custom`), masks
(:mod:`.masks`) and splitting into windows or pieces (:mod:`.windows`) come
from mixins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from nuptse.cut.custom import CustomFieldsMixin
from nuptse.cut.masks import MasksMixin
from nuptse.cut.plotting import PlotsMixin
from nuptse.cut.registry import (
    CUT_TYPES,
    LOG_EPSILON,
    CutError,
    provide,
    provided,
    register_cut_type,
    uuid_id,
)
from nuptse.cut.windows import (
    SupervisionIndex,
    WindowsMixin,
    extended_span,
    num_windows,
    overlap_ratio,
)
from nuptse.timing import (
    add_durations,
    compute_num_frames,
    compute_num_samples,
)

__all__ = [
    "CUT_TYPES",
    "LOG_EPSILON",
    "Cut",
    "CutError",
    "SupervisionIndex",
    "cut_from_dict",
    "extended_span",
    "fit_length",
    "num_windows",
    "overlap_ratio",
    "provide",
    "provided",
    "register_cut_type",
    "uuid_id",
]


def cut_from_dict(data: dict) -> Cut:
    """Build the cut a serialized dict describes, dispatching on its ``"type"``."""
    kind = data.get("type")
    if kind is None:
        # Old manifests without a type: guess from the keys.
        kind = "MixedCut" if "tracks" in data else "MonoCut"
        if kind == "MonoCut" and isinstance(data.get("channel"), list):
            kind = "MultiCut"
    elif kind == "Cut":
        # Very old lhotse manifests name the single-channel cut "Cut".
        kind = "MonoCut"
    cls = CUT_TYPES.get(kind)
    if cls is None:
        raise CutError(f"unknown cut type {kind!r} in item {data.get('id')!r}")
    return cls.from_dict(data)


class Cut(CustomFieldsMixin, MasksMixin, WindowsMixin, PlotsMixin):
    """Mixin with the behaviour all cut types share.

    Subclasses provide ``id``, ``duration``, ``start``, ``supervisions`` and
    the ``has_recording``/``has_features``/``sampling_rate``/``frame_shift``
    properties, ``truncate`` and ``to_dict``.
    """

    @classmethod
    def from_dict(cls, data: dict) -> Cut:
        """The cut of whatever type ``data["type"]`` names."""
        return cut_from_dict(data)

    def to_dict(self) -> dict:  # pragma: no cover - every concrete type overrides it
        raise NotImplementedError

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
    def has_overlapping_supervisions(self) -> bool:
        """Whether any two supervisions overlap in time."""
        sups = sorted(self.supervisions, key=lambda s: s.start)
        return any(b.start < a.end and a.start < b.end for a, b in zip(sups, sups[1:]))

    @property
    def speakers(self) -> list[str]:
        return sorted({s.speaker for s in self.supervisions if s.speaker is not None})

    @property
    def is_in_memory(self) -> bool:
        """Whether any of the cut's data manifests holds its data in memory."""
        return any(getattr(v, "is_in_memory", False) for _, v in self.iter_data())

    def iter_data(self):
        """``(name, manifest)`` for the recording, the features and each custom data manifest."""
        from nuptse.cut.custom import is_data_manifest

        if self.has_recording and getattr(self, "recording", None) is not None:
            yield "recording", self.recording
        if self.has_features and getattr(self, "features", None) is not None:
            yield "features", self.features
        for k, v in (self.custom or {}).items():
            if is_data_manifest(v):
                yield k, v

    def has(self, field: str) -> bool:
        """Whether the cut has ``field``: recording, features, video or a custom field."""
        if field == "recording":
            return self.has_recording
        if field == "features":
            return self.has_features
        if field == "video":
            return self.has_video
        return self.has_custom(field)

    def with_id(self, id_: str) -> Cut:
        """A copy with another id."""
        return self._copy(id=id_)

    def copy(self, **replace_attrs) -> Cut:
        """A shallow copy with some fields replaced (e.g. ``cut.copy(id="new")``)."""
        return self._copy(**replace_attrs)

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

    def unmix(self, tag: str | None = None) -> list:
        """This cut as a one-item list (a :class:`MixedCut` returns its tracks)."""
        return [self]

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
        otherwise only those inside the span (1 ms tolerance) are kept.
        """
        end = offset + duration
        out = []
        if isinstance(index, dict):
            index = index.get(self.id)
        candidates = self.supervisions if index is None else index.candidates(offset, end)
        for s in candidates:
            s_end = s.start + s.duration
            if keep_excessive:
                if overlap_ratio(s.start, s_end, offset, end) <= 0.01:
                    continue
            elif not (offset - 1e-3 <= s.start and s_end <= end + 1e-3):
                continue
            out.append(s.with_offset(-offset) if shift and offset else s)
        if index is None and len(out) > 1:
            out.sort(key=lambda s: s.start)
        return out

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
        tag: str | None = None,
    ) -> Cut:
        """Overlay ``other`` starting ``offset_other_by`` s into this cut, at ``snr`` dB.

        ``tag`` names ``other``'s track(s), so that :meth:`MixedCut.unmix` can find them.
        """
        return provided("mix")(
            self,
            other,
            offset=offset_other_by,
            allow_padding=allow_padding,
            snr=snr,
            preserve_id=preserve_id,
            tag=tag,
        )

    def append(
        self,
        other: Cut,
        snr: float | None = None,
        preserve_id: str | None = None,
        tag: str | None = None,
    ) -> Cut:
        """``other`` right after this cut (a :class:`MixedCut`)."""
        return provided("mix")(
            self, other, offset=self.duration, snr=snr, preserve_id=preserve_id, tag=tag
        )

    def __add__(self, other: Cut) -> Cut:
        return self.append(other)

    # --- audio and features -------------------------------------------------------

    def save_audio(
        self,
        storage_path,
        format: str | None = None,
        encoding: str | None = None,
        augment_fn: Callable | None = None,
        **kwargs,
    ) -> Cut:
        """Write this cut's audio to ``storage_path`` and return a cut of that file.

        The new cut keeps this cut's id, supervisions, custom fields and
        features; its recording is the written file (id: the file's stem).
        ``kwargs`` go to ``load_audio`` (e.g. ``mono_downmix=True`` for a mix).
        """
        from pathlib import Path

        from nuptse.audio import AudioSource, Recording
        from nuptse.audio.backend import save_audio

        path = Path(storage_path)
        samples = self.load_audio(**kwargs)
        if augment_fn is not None:
            samples = augment_fn(samples, self.sampling_rate)
        sr = self.sampling_rate
        save_audio(path, samples, sampling_rate=sr, format=format, encoding=encoding)
        rec = Recording(
            id=path.stem,
            sources=[
                AudioSource(type="file", channels=list(range(samples.shape[0])), source=str(path))
            ],
            sampling_rate=sr,
            num_samples=samples.shape[1],
            duration=samples.shape[1] / sr,
        )
        return provided("recording_to_cut")(
            rec,
            id=self.id,
            supervisions=list(self.supervisions),
            custom=self.custom,
            features=getattr(self, "features", None) if self.has_features else None,
        )

    def compute_features(self, extractor, augment_fn: Callable | None = None):
        """Features of this cut's audio as a numpy array (nothing is stored)."""
        audio = self.load_audio()
        if augment_fn is not None:
            audio = augment_fn(audio, self.sampling_rate)
        return extractor.extract(audio, self.sampling_rate)

    def compute_and_store_features(
        self, extractor, storage, augment_fn: Callable | None = None
    ) -> Cut:
        """Compute features, write them to ``storage`` and return a cut that references them."""
        return provided("compute_and_store_cut")(self, extractor, storage, augment_fn=augment_fn)


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
