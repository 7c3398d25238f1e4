"""Shar placeholders: manifests whose data lives in a tar member, and filling them.

In a Shar directory the cut manifests and the ``.json`` tar members hold
manifests with their storage replaced by a ``"shar"`` placeholder (an
AudioSource ``{"type": "shar", "source": ""}``, a features/array
``storage_type "shar"``).  Reading fills the placeholder with the member's
bytes: a ``memory`` AudioSource, or ``memory_lilcom``/``memory_npy`` storage,
so ``load_audio()``/``load_features()`` work without touching any file.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

from nuptse.serialization import dumps_line
from nuptse.shar.errors import SharError

#: Storage type of an array/features member, by the member's extension.
MEMORY_STORAGE = {".llc": "memory_lilcom", ".npy": "memory_npy"}


def array_classes() -> tuple[type, type]:
    """``(Array, TemporalArray)``, the array manifest classes."""
    from nuptse.features.array import Array, TemporalArray

    return Array, TemporalArray


def features_class() -> type:
    """The ``Features`` manifest class."""
    from nuptse.features.manifest import Features

    return Features


def _kind(manifest: Any) -> str:
    """``recording``, ``features``, ``array`` or ``temporal_array``."""
    if hasattr(manifest, "sources") and hasattr(manifest, "sampling_rate"):
        return "recording"
    if hasattr(manifest, "array") and hasattr(manifest, "temporal_dim"):
        return "temporal_array"
    if hasattr(manifest, "num_features") and hasattr(manifest, "frame_shift"):
        return "features"
    if hasattr(manifest, "storage_type") and hasattr(manifest, "shape"):
        return "array"
    raise SharError(f"cannot store a {type(manifest).__name__} in Shar: {manifest!r}")


def is_data_manifest(value: Any) -> bool:
    """Whether a (custom field) value is a manifest whose data Shar stores in a tar."""
    try:
        _kind(value)
    except SharError:
        return False
    return not isinstance(value, (dict, list, str, bytes, int, float))


def kind_of_dict(d: dict) -> str:
    """The manifest kind a serialized ``.json`` member describes."""
    if "sources" in d:
        return "recording"
    if "array" in d:
        return "temporal_array"
    if "num_features" in d:
        return "features"
    if "shape" in d and "storage_type" in d:
        return "array"
    raise SharError(f"unrecognised manifest in a Shar member: keys {sorted(d)}")


def to_shar_placeholder(manifest: Any, cut: Any = None) -> Any:
    """A copy of ``manifest`` whose storage is the ``"shar"`` placeholder.

    With ``cut``, a Recording or Features is also resized to the cut (Shar
    stores only the cut's span, starting at 0).
    """
    from nuptse.timing import compute_num_samples

    kind = _kind(manifest)
    if kind == "recording":
        from nuptse.audio import AudioSource

        sources = [AudioSource(type="shar", channels=list(manifest.channel_ids), source="")]
        if cut is None:
            return dataclasses.replace(manifest, sources=sources, transforms=None)
        return dataclasses.replace(
            manifest,
            sources=sources,
            transforms=None,
            duration=cut.duration,
            num_samples=compute_num_samples(cut.duration, manifest.sampling_rate),
        )
    empty = {"storage_type": "shar", "storage_path": "", "storage_key": ""}
    if kind == "array":
        return dataclasses.replace(manifest, **empty)
    if kind == "features":
        duration = cut.duration if cut is not None else manifest.duration
        return dataclasses.replace(manifest, start=0, duration=duration, **empty)
    return dataclasses.replace(
        manifest, start=0, array=dataclasses.replace(manifest.array, **empty)
    )


def manifest_json_bytes(manifest: Any) -> bytes:
    """The ``.json`` member text of a placeholder manifest (one line)."""
    return dumps_line(manifest.to_dict())


def fill_placeholder_dict(d: dict, data: bytes, ext: str, where: Any = None) -> tuple[str, dict]:
    """Put member bytes into a serialized placeholder; return ``(kind, dict)``."""
    kind = kind_of_dict(d)
    if kind == "recording":
        sources = d.get("sources") or []
        if len(sources) != 1:
            raise SharError(
                f"a Shar recording manifest must have one placeholder source, got {len(sources)}",
                shard=where,
            )
        src = dict(sources[0])
        src["type"] = "memory"
        src["source"] = data
        d["sources"] = [src]
        d.pop("transforms", None)
        return kind, d
    storage = MEMORY_STORAGE.get(ext)
    if storage is None:
        raise SharError(
            f"unknown array member extension {ext!r} (expected .llc or .npy)", shard=where
        )
    target = dict(d["array"]) if kind == "temporal_array" else d
    target["storage_type"] = storage
    target["storage_path"] = ""
    target["storage_key"] = data
    if kind == "temporal_array":
        d["array"] = target
    return kind, d


def manifest_from_dict(kind: str, d: dict) -> Any:
    """Build the manifest object of a serialized ``.json`` member."""
    if kind == "recording":
        from nuptse.audio import Recording

        return Recording.from_dict(d)
    if kind == "features":
        return features_class().from_dict(d)
    array_cls, temporal_cls = array_classes()
    if kind == "array":
        return array_cls.from_dict(d)
    return temporal_cls.from_dict(d)


def fill_shar_placeholder(manifest: Any, data: bytes, tarpath: Any, field: Optional[str] = None):
    """Return a copy of ``manifest`` (or of ``cut.<field>``) holding ``data`` in memory.

    ``tarpath`` is the member name; its extension tells how arrays are encoded.
    """
    if field is not None and hasattr(manifest, "supervisions"):
        manifest = getattr(manifest, field)
    name = str(tarpath)
    ext = name[name.rfind(".") :] if "." in name else ""
    kind, d = fill_placeholder_dict(manifest.to_dict(), data, ext, where=name)
    return manifest_from_dict(kind, d)
