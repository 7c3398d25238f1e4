"""Manifest validation and repair.

:func:`validate` checks every item of a manifest (or a single item) and
collects *all* problems, each with the id of the item at fault, into a
:class:`ValidationReport`; by default it then raises
:class:`ManifestValidationError` if there were any.  :func:`fix_manifests`
makes a recording and a supervision manifest consistent (drops orphans,
trims supervisions to their recording) and can report what it changed.

>>> from nuptse.qa import ValidationReport
>>> ValidationReport(manifest_type="RecordingSet").ok
True
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any, Optional

from nuptse.exports import lazy_exports
from nuptse.timing import (
    compute_num_frames,
    compute_num_samples,
    samples_to_seconds,
    time_diff_samples,
)
from nuptse.utils.field_types import CHANNEL, INT, NUMBER, POSITIVE_INT, field_problems

logger = logging.getLogger(__name__)

# lhotse.qa also exposes the manifest classes and helpers it imports; here they
# resolve on first use, so importing nuptse.qa stays light.
_LHOTSE_QA_NAMES = {
    "Array": "nuptse.array",
    "TemporalArray": "nuptse.array",
    "Cut": "nuptse.cut",
    "CutSet": "nuptse.cut",
    "MixedCut": "nuptse.cut",
    "MonoCut": "nuptse.cut",
    "PaddingCut": "nuptse.cut",
    "FeatureSet": "nuptse.features",
    "Features": "nuptse.features",
    "Recording": "nuptse.audio",
    "RecordingSet": "nuptse.audio",
    "get_audio_duration_mismatch_tolerance": "nuptse.audio",
    "SupervisionSegment": "nuptse.supervision",
    "SupervisionSet": "nuptse.supervision",
    "is_equal_or_contains": "nuptse.utils",
    "overlaps": "nuptse.utils",
}
__getattr__, __dir__ = lazy_exports(__name__, _LHOTSE_QA_NAMES, globals())

#: Seconds by which a supervision or a cut may overrun its recording (about 2 ms).
DEFAULT_TOLERANCE = 2e-3
#: Seconds by which an audio file's length may differ from the manifest's num_samples.
HEADER_TOLERANCE = 0.025
#: Frame counts may differ by this much from what the duration implies.
FRAME_TOLERANCE = 1


@dataclass
class Problem:
    """One thing wrong with one manifest item."""

    kind: str
    id: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind} {self.id!r}: {self.message}"


@dataclass
class ValidationReport:
    """Every problem found in a manifest, with how many items were checked."""

    manifest_type: str = ""
    num_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, item_id: Any, message: str) -> None:
        self.problems.append(Problem(kind, str(item_id), message))

    def extend(self, other: ValidationReport) -> None:
        self.problems.extend(other.problems)
        self.num_checked += other.num_checked

    def summary(self, max_lines: int = 20) -> str:
        """A short human-readable report (at most ``max_lines`` problems listed)."""
        head = (
            f"{self.manifest_type}: {self.num_checked} item(s) checked, "
            f"{len(self.problems)} problem(s)"
        )
        lines = [head] + [f"  - {p}" for p in self.problems[:max_lines]]
        if len(self.problems) > max_lines:
            lines.append(f"  ... and {len(self.problems) - max_lines} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


class ManifestValidationError(ValueError, AssertionError):
    """Raised by :func:`validate` when problems were found; ``.report`` has them all."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(report.summary())


class UnknownManifestTypeError(TypeError, ValueError):
    """:func:`validate` was given an object it has no checks for (lhotse raises ``ValueError``)."""


#: Validators added with :func:`register_validator`, by the type they check.
_USER_VALIDATORS: dict[type, Any] = {}


# --- dispatch ---------------------------------------------------------------------------


def validate(
    obj: Any,
    read_data: bool = False,
    raise_on_error: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
    progress: bool = False,
) -> ValidationReport:
    """Check a manifest or item; collect every problem.

    ``read_data=True`` also decodes every recording's audio and every feature
    matrix and compares their shapes with the manifest.  Without it, the
    existence of local audio files is still checked.  ``progress`` shows a
    tqdm bar over the items of a set.
    """
    name = type(obj).__name__
    report = ValidationReport(manifest_type=name)
    for registered_type, user_validator in _USER_VALIDATORS.items():
        if isinstance(obj, registered_type):
            user_validator(obj, read_data=read_data)
            report.num_checked = 1
            return report
    checker = _CHECKERS.get(name)
    if checker is None:
        if name.endswith("Cut"):
            checker = _check_cut
        else:
            raise UnknownManifestTypeError(f"validate() does not know how to check a {name}")
    if name.endswith("Set"):
        seen: set[str] = set()
        kind = _item_kind(name)
        items = obj
        if progress:
            from tqdm.auto import tqdm

            items = tqdm(obj, desc=f"Validating {name}", unit="item", leave=False)
        for item in items:
            report.num_checked += 1
            if item.id in seen:
                report.add(kind, item.id, "duplicate id")
            seen.add(item.id)
            checker(item, report, read_data, tolerance)
    else:
        report.num_checked = 1
        checker(obj, report, read_data, tolerance)
    if raise_on_error and not report.ok:
        raise ManifestValidationError(report)
    return report


def _item_kind(set_name: str) -> str:
    return {
        "RecordingSet": "recording",
        "SupervisionSet": "supervision",
        "FeatureSet": "features",
        "CutSet": "cut",
    }.get(set_name, "item")


# --- recordings -------------------------------------------------------------------------


def _wrong_types(kind: str, item_id: Any, fields, report: ValidationReport) -> bool:
    """Report every field of the wrong type; True if there was one (later checks would crash)."""
    problems = field_problems(fields)
    for p in problems:
        report.add(kind, item_id, p)
    return bool(problems)


def _check_recording(r: Any, report: ValidationReport, read_data: bool, tol: float) -> None:
    kind = "recording"
    if not r.id:
        report.add(kind, r.id, "empty id")
    fields = [
        ("sampling_rate", r.sampling_rate, POSITIVE_INT),
        ("num_samples", r.num_samples, INT),
        ("duration", r.duration, NUMBER),
    ]
    fields += [("channels", list(s.channels), CHANNEL) for s in r.sources]
    if _wrong_types(kind, r.id, fields, report):
        return
    if r.sampling_rate is None or r.sampling_rate <= 0:
        report.add(kind, r.id, f"sampling_rate must be positive, got {r.sampling_rate}")
        return
    if r.num_samples is None or r.num_samples <= 0:
        report.add(kind, r.id, f"num_samples must be positive, got {r.num_samples}")
    if r.duration is None or r.duration <= 0:
        report.add(kind, r.id, f"duration must be positive, got {r.duration}")
    elif r.num_samples is not None:
        expected = compute_num_samples(r.duration, r.sampling_rate)
        if abs(expected - r.num_samples) > max(1, compute_num_samples(tol, r.sampling_rate)):
            report.add(
                kind,
                r.id,
                f"duration {r.duration} s is {expected} samples at {r.sampling_rate} Hz, "
                f"but num_samples is {r.num_samples}",
            )
    if not r.sources:
        report.add(kind, r.id, "no audio sources")
    channels = [c for s in r.sources for c in s.channels]
    if len(set(channels)) != len(channels):
        report.add(kind, r.id, f"a channel appears in more than one source: {channels}")
    for s in r.sources:
        if s.type == "file":
            import os

            if not os.path.isfile(str(s.source)):
                report.add(kind, r.id, f"audio file not found: {s.source}")
                return
    if read_data and not r.transforms:
        from nuptse.audio import info

        # Lossy decoders disagree by a few ms, so allow at least 25 ms here.
        limit = compute_num_samples(max(tol, HEADER_TOLERANCE), r.sampling_rate)
        for s in r.sources:
            if s.type != "file":
                continue
            try:
                meta = info(str(s.source))
            except Exception as e:  # noqa: BLE001
                report.add(kind, r.id, f"audio cannot be read: {type(e).__name__}: {e}")
                return
            frames = getattr(meta, "frames", None)
            if meta.samplerate != r.sampling_rate:
                report.add(
                    kind,
                    r.id,
                    f"{s.source} is sampled at {meta.samplerate} Hz but the manifest says "
                    f"{r.sampling_rate} Hz (loading would resample it silently)",
                )
                return
            if frames is not None:
                if abs(frames - r.num_samples) > limit:
                    report.add(
                        kind,
                        r.id,
                        f"{s.source} has {frames} samples but the manifest says {r.num_samples}",
                    )
                    return
    if read_data:
        try:
            audio = r.load_audio()
        except Exception as e:  # noqa: BLE001 - every failure is a finding
            report.add(kind, r.id, f"audio cannot be read: {type(e).__name__}: {e}")
            return
        n = audio.shape[-1]
        limit = compute_num_samples(_audio_tolerance(), r.sampling_rate)
        if abs(n - r.num_samples) > limit:
            report.add(
                kind, r.id, f"the audio has {n} samples but the manifest says {r.num_samples}"
            )
        if audio.ndim == 2 and audio.shape[0] != len(channels) and len(channels) > 0:
            report.add(
                kind, r.id, f"the audio has {audio.shape[0]} channels, manifest {len(channels)}"
            )


def _audio_tolerance() -> float:
    try:
        from nuptse.audio import get_audio_duration_mismatch_tolerance

        return get_audio_duration_mismatch_tolerance()
    except ImportError:
        return 0.025


# --- supervisions -----------------------------------------------------------------------


def _check_supervision(s: Any, report: ValidationReport, read_data: bool, tol: float) -> None:
    kind = "supervision"
    fields = [
        ("start", s.start, NUMBER),
        ("duration", s.duration, NUMBER),
        ("channel", s.channel, CHANNEL),
    ]
    if _wrong_types(kind, s.id, fields, report):
        return
    if not s.id:
        report.add(kind, s.id, "empty id")
    if not s.recording_id:
        report.add(kind, s.id, "no recording_id")
    if s.duration is None or s.duration <= 0:
        report.add(kind, s.id, f"duration must be positive, got {s.duration}")
    if s.start is None or s.start < -tol:
        report.add(kind, s.id, f"start must be >= 0, got {s.start}")
    for name, items in (getattr(s, "alignment", None) or {}).items():
        for item in items:
            if item.duration < 0:
                report.add(
                    kind, s.id, f"{name} alignment item {item.symbol!r} has negative duration"
                )
            if (
                item.start < s.start - tol
                or item.start + item.duration > s.start + s.duration + tol
            ):
                report.add(
                    kind,
                    s.id,
                    f"{name} alignment item {item.symbol!r} ({item.start}, {item.duration}) "
                    f"lies outside the segment ({s.start}, {s.duration})",
                )
                break
    _warn_temporal_custom(s, "SupervisionSegment", "supervision", tol)


# --- features ---------------------------------------------------------------------------


def _check_features(f: Any, report: ValidationReport, read_data: bool, tol: float) -> None:
    kind = "features"
    fid = getattr(f, "recording_id", None) or getattr(f, "storage_key", "?")
    fields = [
        ("num_frames", f.num_frames, INT),
        ("num_features", f.num_features, INT),
        ("frame_shift", f.frame_shift, NUMBER),
        ("sampling_rate", f.sampling_rate, POSITIVE_INT),
        ("start", f.start, NUMBER),
        ("duration", f.duration, NUMBER),
    ]
    if _wrong_types(kind, fid, fields, report):
        return
    if f.num_frames is None or f.num_frames <= 0:
        report.add(kind, fid, f"num_frames must be positive, got {f.num_frames}")
    if f.num_features is None or f.num_features <= 0:
        report.add(kind, fid, f"num_features must be positive, got {f.num_features}")
    if f.frame_shift is None or f.frame_shift <= 0:
        report.add(kind, fid, f"frame_shift must be positive, got {f.frame_shift}")
        return
    if f.duration is None or f.duration <= 0:
        report.add(kind, fid, f"duration must be positive, got {f.duration}")
    elif f.num_frames is not None:
        expected = compute_num_frames(f.duration, f.frame_shift, f.sampling_rate)
        if abs(expected - f.num_frames) > FRAME_TOLERANCE:
            report.add(
                kind,
                fid,
                f"{f.duration} s at frame_shift {f.frame_shift} is {expected} frames, "
                f"but num_frames is {f.num_frames}",
            )
    if read_data:
        try:
            arr = f.load()
        except Exception as e:  # noqa: BLE001
            report.add(kind, fid, f"features cannot be read: {type(e).__name__}: {e}")
            return
        if arr.shape[0] != f.num_frames or (arr.ndim > 1 and arr.shape[1] != f.num_features):
            report.add(
                kind,
                fid,
                f"stored array has shape {tuple(arr.shape)}, manifest says "
                f"({f.num_frames}, {f.num_features})",
            )


# --- cuts -------------------------------------------------------------------------------


def _check_cut(c: Any, report: ValidationReport, read_data: bool, tol: float) -> None:
    name = type(c).__name__
    kind = "cut"
    fields = [("duration", c.duration, NUMBER)]
    if name != "MixedCut":
        fields.append(("start", getattr(c, "start", None), NUMBER))
    if _wrong_types(kind, c.id, fields, report):
        return
    if c.duration is None or c.duration <= 0:
        report.add(kind, c.id, f"duration must be positive, got {c.duration}")
    if name == "MixedCut":
        for i, track in enumerate(c.tracks):
            if track.offset < 0:
                report.add(kind, c.id, f"track {i} has negative offset {track.offset}")
            sub = ValidationReport()
            _check_cut(track.cut, sub, read_data, tol)
            for p in sub.problems:
                report.add(kind, c.id, f"track {i}: {p}")
        return
    if name == "PaddingCut":
        return
    recording = getattr(c, "recording", None)
    if c.start is None or c.start < -tol:
        report.add(kind, c.id, f"start must be >= 0, got {c.start}")
    if recording is not None:
        if c.start + c.duration > recording.duration + tol:
            report.add(
                kind,
                c.id,
                f"cut ends at {c.start + c.duration} s, after its recording "
                f"{recording.id!r} ({recording.duration} s)",
            )
        sub = ValidationReport()
        _check_recording(recording, sub, False, tol)
        for p in sub.problems:
            report.add(kind, c.id, str(p))
    for s in getattr(c, "supervisions", None) or []:
        if recording is not None and s.recording_id != recording.id:
            report.add(
                kind,
                c.id,
                f"supervision {s.id!r} belongs to recording {s.recording_id!r}, "
                f"not {recording.id!r}",
            )
        if s.duration <= 0:
            report.add(kind, c.id, f"supervision {s.id!r} has duration {s.duration}")
    feats = getattr(c, "features", None)
    if feats is not None:
        if recording is not None and feats.recording_id not in (None, recording.id):
            report.add(
                kind,
                c.id,
                f"features belong to recording {feats.recording_id!r}, not {recording.id!r}",
            )
        if c.start < feats.start - tol or c.start + c.duration > feats.start + feats.duration + tol:
            report.add(
                kind,
                c.id,
                f"cut span ({c.start}, {c.duration}) is not inside its features' span "
                f"({feats.start}, {feats.duration})",
            )
    _warn_temporal_custom(c, "MonoCut", "cut", tol)
    if read_data:
        try:
            if recording is not None:
                audio = c.load_audio()
                n = audio.shape[-1]
                expected = compute_num_samples(c.duration, recording.sampling_rate)
                if abs(n - expected) > compute_num_samples(
                    _audio_tolerance(), recording.sampling_rate
                ):
                    report.add(kind, c.id, f"audio has {n} samples, expected {expected}")
            if feats is not None:
                arr = c.load_features()
                expected = compute_num_frames(c.duration, feats.frame_shift, feats.sampling_rate)
                if abs(arr.shape[0] - expected) > FRAME_TOLERANCE:
                    report.add(
                        kind, c.id, f"features have {arr.shape[0]} frames, expected {expected}"
                    )
        except Exception as e:  # noqa: BLE001
            report.add(kind, c.id, f"data cannot be loaded: {type(e).__name__}: {e}")


def _warn_temporal_custom(item: Any, kind: str, noun: str, tol: float) -> None:
    """Log (not report) custom temporal arrays whose span differs from the item's duration.

    Frame-level labels often cover a slightly different span than the audio,
    so this is a hint, as in lhotse, not a validation problem.
    """
    for key, value in (getattr(item, "custom", None) or {}).items():
        if type(value).__name__ != "TemporalArray":
            continue
        if abs(value.duration - item.duration) > tol:
            logger.warning(
                "%s %s: possibly mismatched duration between %s (%ss) and temporal array "
                "in custom field %r (num_frames=%s * frame_shift=%s == duration=%s)",
                kind,
                item.id,
                noun,
                item.duration,
                key,
                value.num_frames,
                value.frame_shift,
                value.duration,
            )


def _check_array(a: Any, report: ValidationReport, read_data: bool, tol: float) -> None:
    kind = type(a).__name__
    aid = getattr(a, "storage_key", None) or getattr(getattr(a, "array", None), "storage_key", "?")
    if kind == "TemporalArray":
        ndim = len(a.shape)
        if not 0 <= a.temporal_dim < ndim:
            report.add(
                kind, aid, f"temporal_dim {a.temporal_dim} is not an axis of a {ndim}-D array"
            )
        if a.frame_shift is None or a.frame_shift <= 0:
            report.add(kind, aid, f"frame_shift must be positive, got {a.frame_shift}")
        if a.start is None or a.start < 0:
            report.add(kind, aid, f"start must be non-negative, got {a.start}")
    if read_data:
        try:
            data = a.load()
        except Exception as e:  # noqa: BLE001
            report.add(kind, aid, f"data cannot be loaded: {type(e).__name__}: {e}")
            return
        if list(data.shape) != list(a.shape):
            report.add(
                kind,
                aid,
                f"stored array has shape {list(data.shape)}, manifest says {list(a.shape)}",
            )


_CHECKERS = {
    "Array": _check_array,
    "TemporalArray": _check_array,
    "Recording": _check_recording,
    "RecordingSet": _check_recording,
    "SupervisionSegment": _check_supervision,
    "SupervisionSet": _check_supervision,
    "Features": _check_features,
    "FeatureSet": _check_features,
    "CutSet": _check_cut,
}


# --- recordings + supervisions -----------------------------------------------------------


def validate_recordings_and_supervisions(
    recordings: Any,
    supervisions: Any,
    read_data: bool = False,
    raise_on_error: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ValidationReport:
    """Validate both manifests and that every supervision fits its recording.

    Checks that each supervision's recording exists, that it lies within the
    recording's bounds (``tolerance`` seconds of slack) and uses one of its
    channels.
    """
    report = ValidationReport(manifest_type="RecordingSet+SupervisionSet")
    report.extend(
        validate(recordings, read_data=read_data, raise_on_error=False, tolerance=tolerance)
    )
    report.extend(validate(supervisions, raise_on_error=False, tolerance=tolerance))
    recs = recordings if not getattr(recordings, "is_lazy", False) else recordings.to_eager()
    for s in supervisions:
        if s.recording_id not in recs:
            report.add("supervision", s.id, f"its recording {s.recording_id!r} is missing")
            continue
        r = recs[s.recording_id]
        if s.start + s.duration > r.duration + tolerance:
            report.add(
                "supervision",
                s.id,
                f"ends at {s.start + s.duration} s, after its recording {r.id!r} ({r.duration} s)",
            )
        chans = {c for src in r.sources for c in src.channels}
        for ch in s.channel if isinstance(s.channel, (list, tuple)) else [s.channel]:
            if ch not in chans:
                report.add("supervision", s.id, f"channel {ch} is not in recording {r.id!r}")
    if raise_on_error and not report.ok:
        raise ManifestValidationError(report)
    return report


# --- fixing -----------------------------------------------------------------------------


@dataclass
class FixReport:
    """What :func:`fix_manifests` changed."""

    removed_recordings: list[str] = field(default_factory=list)
    removed_supervisions: list[str] = field(default_factory=list)
    trimmed_supervisions: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.removed_recordings or self.removed_supervisions or self.trimmed_supervisions
        )

    def summary(self) -> str:
        return (
            f"removed {len(self.removed_recordings)} recording(s) without supervisions, "
            f"removed {len(self.removed_supervisions)} supervision(s), "
            f"trimmed {len(self.trimmed_supervisions)} supervision(s) to their recording"
        )


def remove_missing_recordings_and_supervisions(
    recordings: Any, supervisions: Any, report: Optional[FixReport] = None
) -> tuple[Any, Any]:
    """Drop recordings that no supervision uses and supervisions without a recording."""
    report = report if report is not None else FixReport()
    rec_ids = set(recordings.ids)
    used = {s.recording_id for s in supervisions}
    keep_recs = recordings.filter(lambda r: r.id in used)
    report.removed_recordings.extend(r for r in rec_ids if r not in used)
    report.removed_supervisions.extend(s.id for s in supervisions if s.recording_id not in rec_ids)
    keep_sups = supervisions.filter(lambda s: s.recording_id in rec_ids)
    return keep_recs, keep_sups


def trim_supervisions_to_recordings(
    recordings: Any, supervisions: Any, report: Optional[FixReport] = None
) -> Any:
    """Clip supervisions to their recording's span; drop those left empty."""
    report = report if report is not None else FixReport()
    out = []
    for s in supervisions:
        if s.recording_id not in recordings:
            out.append(s)
            continue
        r = recordings[s.recording_id]
        sr = r.sampling_rate
        start, end = s.start, s.start + s.duration
        changed = False
        if start < 0:
            start, changed = 0.0, True
        if end > r.duration:
            end, changed = r.duration, True
        if not changed:
            out.append(s)
            continue
        n = time_diff_samples(end, start, sr)
        if n <= 0:
            report.removed_supervisions.append(s.id)
            logger.warning("supervision %r lies outside recording %r: removed", s.id, r.id)
            continue
        report.trimmed_supervisions.append(s.id)
        logger.warning("supervision %r trimmed to the bounds of recording %r", s.id, r.id)
        out.append(dataclasses.replace(s, start=start, duration=samples_to_seconds(n, sr)))
    return type(supervisions).from_items(out)


def fix_manifests(
    recordings: Any, supervisions: Any, return_report: bool = False
) -> tuple[Any, ...]:
    """Make recordings and supervisions consistent.

    Removes recordings without supervisions, supervisions without recordings
    or with non-positive duration, and trims supervisions that run past their
    recording.  Returns ``(recordings, supervisions)``, plus a
    :class:`FixReport` when ``return_report``.
    """
    report = FixReport()
    bad = [s.id for s in supervisions if s.duration is None or s.duration <= 0]
    if bad:
        report.removed_supervisions.extend(bad)
        bad_set = set(bad)
        supervisions = supervisions.filter(lambda s: s.id not in bad_set)
    if getattr(recordings, "is_lazy", False):
        recordings = recordings.to_eager()
    supervisions = trim_supervisions_to_recordings(recordings, supervisions, report)
    recordings, supervisions = remove_missing_recordings_and_supervisions(
        recordings, supervisions, report
    )
    if report.changed:
        logger.warning("fix_manifests: %s", report.summary())
    if return_report:
        return recordings, supervisions, report
    return recordings, supervisions


# --- lhotse's per-type validators ------------------------------------------------------


def register_validator(fn: Any) -> Any:
    """Decorator: make :func:`validate` call ``fn(obj, read_data=...)`` for objects of
    the type annotated on ``fn``'s first parameter (instead of the built-in checks)."""
    annotations = list(getattr(fn, "__annotations__", {}).values())
    if not annotations or not isinstance(annotations[0], type):
        raise TypeError(
            f"register_validator: {getattr(fn, '__name__', fn)!r} needs a class annotation "
            "on its first parameter"
        )
    _USER_VALIDATORS[annotations[0]] = fn
    return fn


def validate_recording(r: Any, read_data: bool = False) -> None:
    """:func:`validate` for one recording (raises :class:`ManifestValidationError`)."""
    validate(r, read_data=read_data)


def validate_supervision(s: Any, recording: Any = None, cut: Any = None) -> None:
    """:func:`validate` for one supervision; with ``recording`` or ``cut``, also that
    it lies within it (and, for a recording, that its channel exists)."""
    report = validate(s, raise_on_error=False)
    container = recording if recording is not None else cut
    if container is not None:
        end = s.start + s.duration
        if s.start < -DEFAULT_TOLERANCE or end > container.duration + DEFAULT_TOLERANCE:
            report.add(
                "supervision",
                s.id,
                f"spans {s.start}-{end} s, outside its {type(container).__name__} "
                f"{container.id!r} of {container.duration} s",
            )
        channels = getattr(recording, "channel_ids", None)
        wanted = s.channel if isinstance(s.channel, list) else [s.channel]
        if channels is not None and not set(wanted).issubset(channels):
            report.add(
                "supervision", s.id, f"channel {s.channel} not in recording channels {channels}"
            )
    if not report.ok:
        raise ManifestValidationError(report)


def validate_features(f: Any, read_data: bool = False, feats_data: Any = None) -> None:
    """:func:`validate` for one features manifest, with lhotse's exact frame count.

    ``num_frames`` must equal the count its duration gives (lhotse's check;
    :func:`validate` allows one frame of slack for Kaldi's edge conventions).
    ``feats_data``, an already loaded matrix, is checked against the manifest's shape.
    """
    report = validate(f, read_data=read_data, raise_on_error=False)
    fid = getattr(f, "recording_id", None) or f.storage_key
    if report.ok and f.frame_shift and f.duration and f.duration > 0:
        expected = compute_num_frames(f.duration, f.frame_shift, f.sampling_rate)
        if expected != f.num_frames:
            report.add(
                "features",
                fid,
                f"{f.duration} s at frame_shift {f.frame_shift} is {expected} frames, "
                f"but num_frames is {f.num_frames}",
            )
    if feats_data is not None:
        shape = tuple(feats_data.shape)
        if shape[0] != f.num_frames or (len(shape) > 1 and shape[1] != f.num_features):
            report.add(
                "features",
                fid,
                f"given data has shape {shape}, manifest says ({f.num_frames}, {f.num_features})",
            )
    if not report.ok:
        raise ManifestValidationError(report)


def validate_array(arr: Any, read_data: bool = False) -> None:
    """:func:`validate` for an array manifest."""
    validate(arr, read_data=read_data)


def validate_temporal_array(arr: Any, read_data: bool = False) -> None:
    """:func:`validate` for a temporal array manifest."""
    validate(arr, read_data=read_data)


def validate_cut(c: Any, read_data: bool = False) -> None:
    """:func:`validate` for one cut."""
    validate(c, read_data=read_data)


def validate_recording_set(recordings: Any, read_data: bool = False) -> None:
    """:func:`validate` for a recording set."""
    validate(recordings, read_data=read_data)


def validate_supervision_set(supervisions: Any, read_data: bool = False) -> None:
    """:func:`validate` for a supervision set."""
    validate(supervisions, read_data=read_data)


def validate_feature_set(features: Any, read_data: bool = False) -> None:
    """:func:`validate` for a feature set."""
    validate(features, read_data=read_data)


def validate_cut_set(cuts: Any, read_data: bool = False) -> None:
    """:func:`validate` for a cut set."""
    validate(cuts, read_data=read_data)
