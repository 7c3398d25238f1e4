"""SharWriter: cuts and their data, written into numbered Shar shards.

A shard ``N`` is ``cuts.N.jsonl.gz`` (cut manifests whose data references are
``"shar"`` placeholders) plus one file per field: ``recording.N.tar``,
``features.N.tar``, ``<custom>.N.tar`` or ``<custom>.N.jsonl.gz``.  Every
field file holds one entry per cut, in the cuts' order (a cut without the
field gets a ``.nodata``/``.nometa`` pair or ``{"cut_id": ...}``).

Crash safety: all data of a cut is loaded and encoded before anything of it
is written, and every file of shard ``N`` is published (renamed from
``.partial``) together when the shard is full, the cut manifest last.  So a
crash leaves complete shards plus, at worst, ``.partial`` leftovers or field
files without their ``cuts`` file, which readers do not take for shards.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Callable
from functools import partial
from io import BytesIO
from typing import Any, Optional

from nuptse.shar._io import join
from nuptse.shar.errors import SharError, SharLayoutError
from nuptse.shar.readers.tar import check_member_name
from nuptse.shar.utils import _kind, is_data_manifest, to_shar_placeholder
from nuptse.shar.writers.array import ArrayTarWriter, encode_array
from nuptse.shar.writers.audio import AUDIO_FORMATS, AudioTarWriter, encode_audio, opus_ready
from nuptse.shar.writers.jsonl import JsonlShardWriter

logger = logging.getLogger(__name__)

WRITER_NAMES = AUDIO_FORMATS + ("original", "lilcom", "numpy", "jsonl")


def resolve_writer(name: str) -> tuple[Callable[..., Any], str]:
    """``(writer factory, file extension)`` for a field's writer name."""
    if name in AUDIO_FORMATS or name == "original":
        return partial(AudioTarWriter, format=name), ".tar"
    if name in ("lilcom", "numpy"):
        return partial(ArrayTarWriter, compression=name), ".tar"
    if name == "jsonl":
        return JsonlShardWriter, ".jsonl.gz"
    raise SharLayoutError(f"unknown Shar field writer {name!r}; expected one of {WRITER_NAMES}")


def validate_fields(fields: dict[str, str]) -> dict[str, str]:
    """Check field names (they become file names) and writer names."""
    if not isinstance(fields, dict):
        raise SharLayoutError(f"fields must be a dict of field -> writer, got {fields!r}")
    for field, wname in fields.items():
        if (
            not isinstance(field, str)
            or not field
            or field == "cuts"
            or any(c in field for c in "/\\.%\0")
            or field.startswith("-")
        ):
            raise SharLayoutError(
                f"invalid Shar field name {field!r}: it becomes a file name, so it must be "
                "non-empty, not 'cuts', and contain no '/', '\\\\', '.' or '%'"
            )
        resolve_writer(wname)
        if field == "recording" and wname not in AUDIO_FORMATS + ("original",):
            raise SharLayoutError(f"field 'recording' needs an audio format, got {wname!r}")
        if field == "features" and wname not in ("lilcom", "numpy"):
            raise SharLayoutError(f"field 'features' needs 'lilcom' or 'numpy', got {wname!r}")
    return dict(fields)


def _aslist(channel: Any) -> list[int]:
    if isinstance(channel, (list, tuple)):
        return [int(c) for c in channel]
    return [int(channel)]


def _with_channels(rec: Any, channels: list[int]) -> Any:
    if list(rec.channel_ids) == channels:
        return rec
    src = rec.sources[0]
    return dataclasses.replace(
        rec,
        sources=[dataclasses.replace(src, channels=list(channels))],
        channel_ids=list(channels),
    )


def _magic_ok(data: bytes, fmt: str) -> bool:
    if fmt == "flac":
        return data[:4] == b"fLaC"
    if fmt == "wav":
        return data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    return False


def _encoded_original(cut: Any, fmt: str, channels: list[int]) -> Optional[bytes]:
    """The recording's own file bytes, when they already are exactly the cut's audio."""
    from nuptse.timing import compute_num_samples

    rec = cut.recording
    if fmt not in ("flac", "wav") or rec.transforms or len(rec.sources) != 1:
        return None
    src = rec.sources[0]
    sr = rec.sampling_rate
    if src.type not in ("file", "memory", "url") or list(src.channels) != list(rec.channel_ids):
        return None
    if channels != list(rec.channel_ids) or compute_num_samples(cut.start, sr) != 0:
        return None
    if compute_num_samples(cut.duration, sr) != rec.num_samples:
        return None
    try:
        data = src.read_bytes()
    except Exception:  # noqa: BLE001 - fall back to decoding, which reports properly
        return None
    if not _magic_ok(data, fmt):
        return None
    import soundfile as sf

    try:
        info = sf.info(BytesIO(data))
    except Exception:  # noqa: BLE001
        return None
    if info.frames != rec.num_samples or info.samplerate != sr or info.channels != len(channels):
        return None
    return data


def _load_custom(cut: Any, key: str):
    value = cut.custom[key]
    if _kind(value) == "recording":
        # A custom audio field: the cut's span of it (lhotse's load_custom does the same).
        selector = cut.custom.get(f"{key}_channel_selector")
        kwargs = {} if selector is None else {"channels": selector}
        return value.load_audio(offset=cut.start, duration=cut.duration, **kwargs)
    if hasattr(type(cut), "load_custom"):
        return cut.load_custom(key)
    return getattr(cut, f"load_{key}")()


def _with_shape(manifest: Any, data: Any) -> Any:
    """Make an array/features placeholder describe the stored array's actual shape."""
    kind = _kind(manifest)
    shape = list(getattr(data, "shape", ()))
    if kind == "features" and shape:
        return dataclasses.replace(manifest, num_frames=int(shape[0]))
    if kind == "array":
        return dataclasses.replace(manifest, shape=shape)
    if kind == "temporal_array":
        return dataclasses.replace(manifest, array=dataclasses.replace(manifest.array, shape=shape))
    return manifest


class SharWriter:
    """Write cuts and the ``fields`` of their data into Shar shards under ``output_dir``.

    ``fields`` maps a field to its writer: ``wav``/``flac``/``mp3``/``opus``
    (or ``original``) for ``recording`` and custom Recordings,
    ``lilcom``/``numpy`` for ``features`` and custom arrays, ``jsonl`` for
    custom fields holding plain values.  ``shard_size=None`` writes one
    unnumbered shard.  With ``include_cuts=False`` only the field files are
    written (to extend an existing Shar directory with new fields).

    When a cut spans a whole single-file FLAC/WAV recording and the field
    format is the same, its file bytes are stored as they are
    (``copy_encoded_audio=True``), which decodes to the same samples as
    re-encoding would, without the cost.

    >>> import tempfile
    >>> from nuptse.cut import CutSet  # doctest: +SKIP
    >>> with SharWriter(tempfile.mkdtemp(), fields={"recording": "flac"}) as w:  # doctest: +SKIP
    ...     for cut in cuts:
    ...         w.write(cut)
    """

    def __init__(
        self,
        output_dir: Any,
        fields: dict[str, str],
        shard_size: Optional[int] = 1000,
        warn_unused_fields: bool = True,
        include_cuts: bool = True,
        shard_suffix: Optional[str] = None,
        shard_offset: int = 0,
        copy_encoded_audio: bool = True,
    ):
        self.output_dir = str(output_dir)
        self.fields = validate_fields(fields)
        self.shard_size = shard_size
        self.warn_unused_fields = warn_unused_fields
        self.include_cuts = include_cuts
        self.copy_encoded_audio = copy_encoded_audio
        if self.sharding_enabled:
            if shard_suffix is not None:
                raise SharLayoutError(
                    f"shard_suffix must be None when shard_size is set, got {shard_suffix!r}"
                )
            suffix = ".%06d"
        else:
            if shard_size is not None and shard_size <= 0:
                raise SharLayoutError(f"shard_size must be positive or None, got {shard_size}")
            suffix = (shard_suffix or "").replace("%", "%%")
            if any(c in suffix for c in "/\\"):
                raise SharLayoutError(f"invalid shard_suffix {shard_suffix!r}")
        self.shard_suffix = suffix
        self.initial_shard_offset = int(shard_offset)
        base = self.output_dir.replace("%", "%%")
        size = shard_size if self.sharding_enabled else None
        self.writers: dict[str, Any] = {}
        for field, wname in self.fields.items():
            factory, ext = resolve_writer(wname)
            self.writers[field] = factory(
                join(base, f"{field}{suffix}{ext}"), shard_size=size, shard_offset=shard_offset
            )
        if include_cuts:
            self.writers["cuts"] = JsonlShardWriter(
                join(base, f"cuts{suffix}.jsonl.gz"), shard_size=size, shard_offset=shard_offset
            )
        self._in_shard = 0
        self._warned: set[str] = set()

    @property
    def sharding_enabled(self) -> bool:
        return self.shard_size is not None and self.shard_size > 0

    @property
    def output_paths(self) -> dict[str, list[str]]:
        return {k: w.output_paths for k, w in self.writers.items()}

    def __enter__(self):
        self._in_shard = 0
        for w in self.writers.values():
            w.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def close(self) -> None:
        """Publish the last shard (the cut manifest after the field files)."""
        self._commit_shard()

    def abort(self) -> None:
        """Discard the unfinished shard; finished shards stay."""
        for w in self.writers.values():
            w.abort()

    def _commit_shard(self) -> None:
        for field, w in self.writers.items():
            if field != "cuts":
                w.commit_current()
        if "cuts" in self.writers:
            self.writers["cuts"].commit_current()
        self._in_shard = 0

    def _warn_unused(self, field: str) -> None:
        if self.warn_unused_fields and field not in self._warned:
            self._warned.add(field)
            warnings.warn(
                f"cuts have a {field!r} field that is not among the Shar fields "
                f"{sorted(self.fields)}; it is not saved",
                stacklevel=4,
            )

    # --- preparing one cut --------------------------------------------------------

    def _prepare(self, cut: Any) -> tuple[Any, list[tuple[str, tuple]]]:
        """Load and encode everything of ``cut``; return the new cut and the members."""
        if not hasattr(cut, "recording") or not hasattr(cut, "features"):
            raise SharError(
                f"cut {cut.id!r} is a {type(cut).__name__}; Shar stores cuts of one recording "
                "(MonoCut/MultiCut)"
            )
        check_member_name(f"{cut.id}.json", shard=self.output_dir)
        ops: list[tuple[str, tuple]] = []
        changes: dict[str, Any] = {}

        if "recording" in self.fields:
            if cut.has_recording:
                writer = self.writers["recording"]
                channels = _aslist(cut.channel)
                rec = _with_channels(to_shar_placeholder(cut.recording, cut), channels)
                fmt = writer.resolve_format(
                    cut.recording.source_format if writer.format == "original" else None
                )
                data = _encoded_original(cut, fmt, channels) if self.copy_encoded_audio else None
                if data is None:
                    samples = cut.load_audio()
                    if fmt == "opus":
                        samples, rec = opus_ready(samples, rec, cut.duration)
                    data = encode_audio(samples, rec.sampling_rate, fmt)
                ops.append(("recording", ("audio", data, rec, fmt)))
                changes["recording"] = rec
            else:
                ops.append(("recording", ("placeholder",)))
        elif getattr(cut, "has_recording", False):
            self._warn_unused("recording")

        if "features" in self.fields:
            if cut.has_features:
                writer = self.writers["features"]
                values = cut.load_features()
                feats = _with_shape(to_shar_placeholder(cut.features, cut), values)
                data, ext = self._encode_array(writer, cut.id, values)
                ops.append(("features", ("array", data, ext, feats)))
                changes["features"] = feats
            else:
                ops.append(("features", ("placeholder",)))
        elif getattr(cut, "has_features", False):
            self._warn_unused("features")

        custom = dict(cut.custom) if cut.custom else None
        for key, wname in self.fields.items():
            if key in ("recording", "features"):
                continue
            writer = self.writers[key]
            if not (custom and key in custom):
                ops.append((key, ("placeholder",)))
                continue
            value = custom[key]
            if not is_data_manifest(value):
                if wname != "jsonl":
                    raise SharLayoutError(
                        f"cut {cut.id!r}: custom field {key!r} holds a plain value, which needs "
                        f"the 'jsonl' writer (got {wname!r})"
                    )
                ops.append((key, ("jsonl", {"cut_id": cut.id, key: value})))
                continue
            if wname == "jsonl":
                raise SharLayoutError(
                    f"cut {cut.id!r}: custom field {key!r} holds a {type(value).__name__}, "
                    f"which needs an audio or array writer, not 'jsonl'"
                )
            values = _load_custom(cut, key)
            placeholder = to_shar_placeholder(value, cut)
            if _kind(value) == "recording":
                if not isinstance(writer, AudioTarWriter):
                    raise SharLayoutError(
                        f"custom field {key!r} is a Recording; it needs an audio writer, "
                        f"got {wname!r}"
                    )
                selector = custom.pop(f"{key}_channel_selector", None)
                if selector is not None:
                    placeholder = _with_channels(placeholder, _aslist(selector))
                fmt = writer.resolve_format(
                    value.source_format if writer.format == "original" else None
                )
                if fmt == "opus":
                    values, placeholder = opus_ready(values, placeholder, cut.duration)
                data = encode_audio(values, placeholder.sampling_rate, fmt)
                ops.append((key, ("audio", data, placeholder, fmt)))
            else:
                if not isinstance(writer, ArrayTarWriter):
                    raise SharLayoutError(
                        f"custom field {key!r} is an array; it needs 'lilcom' or 'numpy', "
                        f"got {wname!r}"
                    )
                placeholder = _with_shape(placeholder, values)
                data, ext = self._encode_array(writer, cut.id, values)
                ops.append((key, ("array", data, ext, placeholder)))
            custom[key] = placeholder

        if custom:
            for key, value in custom.items():
                if key not in self.fields and is_data_manifest(value):
                    self._warn_unused(key)
        if custom is not None:
            changes["custom"] = custom
        changes["start"] = 0
        return dataclasses.replace(cut, **changes), ops

    def _encode_array(self, writer: ArrayTarWriter, key: str, values: Any) -> tuple[bytes, str]:
        import numpy as np

        if hasattr(values, "numpy") and not isinstance(values, np.ndarray):
            values = values.numpy()
        try:
            return encode_array(np.asarray(values), writer.compression, writer.lilcom_tick_power)
        except SharError as e:
            raise SharError(e.reason, shard=writer.tar_writer.pattern, member=key) from None

    # --- writing --------------------------------------------------------------------

    def write(self, cut: Any) -> None:
        """Add one cut and its fields (nothing is written if loading its data fails)."""
        new_cut, ops = self._prepare(cut)
        if self.sharding_enabled and self._in_shard >= self.shard_size:
            self._commit_shard()
        key = cut.id
        for field, op in ops:
            w = self.writers[field]
            kind = op[0]
            if kind == "placeholder":
                w.write_placeholder(key)
            elif kind == "audio":
                _, data, manifest, fmt = op
                w.write_encoded(key, data, manifest, fmt)
            elif kind == "array":
                _, data, ext, manifest = op
                w.write_encoded(key, data, ext, manifest)
            else:
                w.write(op[1])
        if "cuts" in self.writers:
            self.writers["cuts"].write(new_cut)
        self._in_shard += 1
