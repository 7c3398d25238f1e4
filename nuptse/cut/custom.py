"""Custom cut fields: plain values, array manifests and recordings kept in ``cut.custom``.

lhotse stores extra per-cut data in ``cut.custom`` and exposes it as
attributes (``cut.speaker_emb``).  Arrays are manifests (:class:`Array`,
:class:`TemporalArray`) that name a storage backend, path and key; a
:class:`~nuptse.audio.Recording` may be a custom field too (e.g. a target
signal).  ``cut.load_<name>()`` reads the field's data; a temporal array or a
recording is read for the cut's own span.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from nuptse.cut.registry import CutError
from nuptse.features.array import Array, TemporalArray


def _recording_cls():
    from nuptse.audio import Recording

    return Recording


def _value_from_dict(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "array" in value and "temporal_dim" in value:
        return TemporalArray.from_dict(value)
    if {"storage_type", "storage_path", "storage_key", "shape"} <= value.keys():
        return Array.from_dict(value)
    if "sources" in value and "sampling_rate" in value:
        return _recording_cls().from_dict(value)
    return value


def custom_from_dict(custom: dict) -> dict:
    """Deserialize the manifests held in a ``custom`` dict (other values stay as they are)."""
    return {k: _value_from_dict(v) for k, v in custom.items()}


def custom_to_dict(custom: dict) -> dict:
    """Serialize a ``custom`` dict, turning manifests into dicts."""
    return {k: (v.to_dict() if hasattr(v, "to_dict") else v) for k, v in custom.items()}


def is_data_manifest(value: Any) -> bool:
    """Whether a custom value is a manifest of data (array, recording, features)."""
    return (
        isinstance(value, (Array, TemporalArray))
        or (hasattr(value, "load_audio") and hasattr(value, "sources"))
        or (hasattr(value, "storage_type") and hasattr(value, "num_frames"))
    )


class CustomFieldsMixin:
    """Attribute access to ``self.custom`` (for dataclass cuts with a ``custom`` field).

    Setting an unknown attribute stores it in ``custom`` (``None`` removes it);
    reading one looks it up there; ``load_<name>()`` calls :meth:`load_custom`.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dataclass_fields__ or name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        if isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)  # raises for read-only properties
            return
        custom = self.__dict__.get("custom")
        if value is None:
            if custom:
                custom.pop(name, None)
            return
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
                return partial(self.load_custom, name[5:])
        raise AttributeError(
            f"{type(self).__name__} {self.__dict__.get('id')!r} has no attribute "
            f"or custom field {name!r}"
        )

    def __delattr__(self, name: str) -> None:
        custom = self.__dict__.get("custom")
        if name not in self.__dataclass_fields__ and custom and name in custom:
            del custom[name]
            return
        if name in self.__dataclass_fields__:
            object.__delattr__(self, name)
            return
        raise AttributeError(
            f"{type(self).__name__} {self.__dict__.get('id')!r} has no custom field {name!r}"
        )

    def _copy(self, **changes):
        import dataclasses

        return dataclasses.replace(self, **changes)

    def has_custom(self, name: str) -> bool:
        """Whether ``custom`` holds ``name``."""
        custom = self.__dict__.get("custom")
        return bool(custom) and name in custom

    def with_custom(self, name: str, value: Any):
        """A copy with one more custom field."""
        custom = dict(self.__dict__.get("custom") or {})
        custom[name] = value
        return self._copy(custom=custom)

    def drop_custom(self, name: str | None = None):
        """Without a name: a copy without custom fields.  With a name: remove that field
        from this cut in place and return it (``None`` when there was no such field)."""
        custom = self.__dict__.get("custom")
        if name is None:
            return self._copy(custom=None)
        if not custom or name not in custom:
            return None
        del custom[name]
        return self

    def load_custom(self, name: str, **kwargs) -> Any:
        """The data of custom field ``name``: an array (a temporal one cut to this cut's
        span) or a recording's samples for this cut's span."""
        custom = self.__dict__.get("custom") or {}
        if name not in custom:
            raise CutError(
                f"{type(self).__name__} {self.__dict__.get('id')!r} has no custom field "
                f"{name!r} to load"
            )
        return load_custom_value(self, name, custom[name], **kwargs)

    def attach_tensor(
        self,
        name: str,
        data: Any,
        frame_shift: float | None = None,
        temporal_dim: int | None = None,
        compressed: bool = False,
    ):
        """A copy holding ``data`` in memory as custom field ``name`` (an array manifest).

        With ``frame_shift`` and ``temporal_dim`` it is a :class:`TemporalArray`
        that follows truncation and padding; ``compressed`` stores it with lilcom.
        """
        import numpy as np

        from nuptse.features.io.memory import MemoryLilcomWriter, MemoryRawWriter

        if hasattr(data, "detach"):
            data = data.detach().cpu().numpy()
        writer = MemoryLilcomWriter() if compressed else MemoryRawWriter()
        with writer:
            manifest = writer.store_array(
                key=self.id,
                value=np.asarray(data),
                frame_shift=frame_shift,
                temporal_dim=temporal_dim,
                start=self.start,
            )
        return self.with_custom(name, manifest)


def load_custom_value(cut: Any, name: str, value: Any, **kwargs) -> Any:
    """Load one custom value for ``cut``'s span (see :meth:`CustomFieldsMixin.load_custom`)."""
    if isinstance(value, TemporalArray):
        return value.load(start=cut.start, duration=cut.duration, **kwargs)
    if isinstance(value, Array):
        return value.load(**kwargs)
    if hasattr(value, "load_audio") and hasattr(value, "sources"):
        custom = cut.custom or {}
        channels = custom.get(f"{name}_channel_selector")
        if channels is None and "channel" in kwargs:
            channels = kwargs.pop("channel")
        if custom.get(f"{name}_unaligned", False):
            return value.load_audio(channels=channels, **kwargs)
        return value.load_audio(
            channels=channels, offset=cut.start, duration=cut.duration, **kwargs
        )
    if hasattr(value, "load") and callable(value.load):
        return value.load(**kwargs)
    raise CutError(
        f"custom field {name!r} of cut {cut.id!r} is not an array, image or recording "
        f"manifest, so there is nothing to load"
    )


def to_placeholder(manifest: Any) -> Any:
    """The metadata-only stand-in of an in-memory manifest (Shar's placeholder).

    The placeholder format belongs to :mod:`nuptse.shar` (a higher layer),
    so it is looked up at call time.
    """
    import importlib

    return importlib.import_module("nuptse.shar.utils").to_shar_placeholder(manifest)
