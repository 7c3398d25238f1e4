"""User-defined fields stored in an item's ``custom`` dict.

:class:`CustomFieldMixin` gives an item read access to ``item.custom[name]``
as ``item.name`` and the helpers ``has_custom``, ``with_custom``,
``drop_custom`` and ``load_custom``.  It has no instance state of its own
(``__slots__ = ()``), so slotted dataclasses keep their small footprint.

Higher layers (audio, features, cuts) store manifests such as a ``Recording``
or a ``TemporalArray`` in ``custom``.  This layer cannot import them, so those
layers register a recogniser with :func:`register_custom_deserializer`; on
loading, every ``custom`` value that is a dict is offered to the recognisers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

#: Functions ``fn(value: dict) -> object | None`` that turn a serialized
#: manifest found in ``custom`` back into an object (None: not theirs).
_CUSTOM_DESERIALIZERS: list[Callable[[dict], Any]] = []


def register_custom_deserializer(fn: Callable[[dict], Any]) -> Callable[[dict], Any]:
    """Register a recogniser for manifests stored inside ``custom`` (usable as a decorator)."""
    if fn not in _CUSTOM_DESERIALIZERS:
        _CUSTOM_DESERIALIZERS.append(fn)
    return fn


def deserialize_custom_field(custom: dict | None) -> dict | None:
    """A copy of ``custom`` whose serialized manifests are turned into objects.

    Values that no registered recogniser claims are kept as they are.

    >>> deserialize_custom_field({"emotion": "happy"})
    {'emotion': 'happy'}
    """
    if not custom:
        return custom
    if not _CUSTOM_DESERIALIZERS:
        if not any(_looks_like_manifest(v) for v in custom.values()):
            return custom
        _load_builtin_deserializers()
    out = None
    for key, value in custom.items():
        if isinstance(value, dict):
            for fn in _CUSTOM_DESERIALIZERS:
                obj = fn(value)
                if obj is not None:
                    if out is None:
                        out = dict(custom)
                    out[key] = obj
                    break
    return custom if out is None else out


def _looks_like_manifest(value: Any) -> bool:
    """A serialized recording or array manifest (as lhotse writes them in ``custom``)."""
    return isinstance(value, dict) and (
        ("sources" in value and "sampling_rate" in value)
        or ("storage_type" in value and "storage_key" in value)
    )


_builtins_loaded = False


def _load_builtin_deserializers() -> None:
    """Import the higher layers once, so that they can register their recognisers."""
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        from nuptse.manifest import _ensure_builtin_types

        _ensure_builtin_types()


def serialize_custom_field(custom: dict) -> dict:
    """A JSON-ready copy of ``custom``: manifests inside become their dicts."""
    out = {}
    for key, value in custom.items():
        to_dict = getattr(value, "to_dict", None)
        if to_dict is not None and not isinstance(value, type):
            value = to_dict()
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)
        out[key] = value
    return out


class CustomFieldMixin:
    """Attribute-style access to the ``custom`` dict of a dataclass item."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails.  Never look into ``custom`` for
        # dunder names (copy/pickle probe them on half-built objects).
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            custom = object.__getattribute__(self, "custom")
        except AttributeError:
            raise AttributeError(name) from None
        if custom is not None:
            if name in custom:
                return custom[name]
            if name.startswith("load_") and name[5:] in custom:
                attr = name[5:]
                return lambda **kwargs: self.load_custom(attr, **kwargs)
        try:  # not getattr(): an item without an ``id`` field would recurse here
            item_id = object.__getattribute__(self, "id")
        except AttributeError:
            item_id = "?"
        raise AttributeError(
            f"{type(self).__name__} {item_id!r} has no attribute or custom field {name!r}"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        # Fields, private names and class attributes (properties) are set
        # normally; any other name becomes a custom field, as in lhotse
        # (``sup.wer = 0.4`` sets ``sup.custom["wer"]``).
        cls = type(self)
        if name in cls.__dataclass_fields__ or name.startswith("_") or hasattr(cls, name):
            object.__setattr__(self, name, value)
            return
        custom = object.__getattribute__(self, "custom")
        if custom is None:
            custom = {}
            object.__setattr__(self, "custom", custom)
        custom[name] = value

    def __delattr__(self, name: str) -> None:
        # ``del item.wer`` removes a custom field; fields and other names as usual.
        custom = object.__getattribute__(self, "custom")
        if name not in type(self).__dataclass_fields__ and custom and name in custom:
            del custom[name]
            return
        object.__delattr__(self, name)

    def has_custom(self, name: str) -> bool:
        """Whether ``custom`` holds a field called ``name``."""
        return self.custom is not None and name in self.custom

    def with_custom(self, name: str, value: Any):
        """A copy with ``custom[name] = value`` (the original is unchanged)."""
        custom = dict(self.custom) if self.custom is not None else {}
        custom[name] = value
        return dataclasses.replace(self, custom=custom)

    def drop_custom(self, name: str):
        """Remove ``custom[name]`` in place; returns self, or None if it was absent."""
        if self.custom is None or name not in self.custom:
            return None
        del self.custom[name]
        return self

    def load_custom(self, name: str, **kwargs):
        """Load the data behind a manifest stored in ``custom[name]``.

        A temporal array is sliced to this item's span; a recording is read for
        this item's span (unless ``custom[name + "_unaligned"]`` is true) from
        the channels in ``custom[name + "_channel_selector"]``; anything else
        with a ``load`` method is loaded whole.
        """
        value = self.custom.get(name) if self.custom is not None else None
        if value is None:
            raise ValueError(f"{type(self).__name__} {self.id!r} has no custom field {name!r}")
        kind = type(value).__name__
        if kind == "TemporalArray":
            return value.load(start=self.start, duration=self.duration, **kwargs)
        if hasattr(value, "load_audio"):
            channels = self.custom.get(f"{name}_channel_selector")
            if channels is None and "channel" in kwargs:
                channels = kwargs.pop("channel")
            if self.custom.get(f"{name}_unaligned", False):
                return value.load_audio(channels=channels, **kwargs)
            return value.load_audio(
                channels=channels, offset=self.start, duration=self.duration, **kwargs
            )
        if hasattr(value, "load"):
            return value.load(**kwargs)
        raise ValueError(
            f"{type(self).__name__} {self.id!r}: custom field {name!r} holds a "
            f"{kind}, which has no data to load (expected an array, image or recording manifest)"
        )
