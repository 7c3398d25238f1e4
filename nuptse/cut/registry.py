"""What every cut module shares without importing the others: the cut types by
name, the error type, fresh ids, and a registry through which the modules at the
top of the package (``CutSet``, mixing, feature extraction) lend their functions
to the cut methods below them, so the import graph stays acyclic."""

from __future__ import annotations

import random
from typing import Any

#: Log of the smallest energy in a filterbank; the default feature value of padding.
LOG_EPSILON = -23.025850929940457

#: Concrete cut classes by their serialized ``"type"`` name (filled by each module).
CUT_TYPES: dict[str, type] = {}

_PROVIDED: dict[str, Any] = {}


class CutError(ValueError):
    """A cut operation got arguments that do not fit the cut (the message names the cut)."""


class CutAssertionError(CutError, AssertionError):
    """Arguments that lhotse rejects with an assertion (e.g. an impulse response that does
    not fit the cut); a ``ValueError`` and an ``AssertionError`` at once."""


class MissingFieldError(CutError, KeyError):
    """A custom field the operation needs is not on the cut."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def register_cut_type(cls: type) -> type:
    CUT_TYPES[cls.__name__] = cls
    return cls


def provide(name: str, obj: Any) -> Any:
    """Register ``obj`` under ``name`` for the cut methods of lower modules."""
    _PROVIDED[name] = obj
    return obj


def provided(name: str) -> Any:
    """The object a higher cut module registered under ``name`` (imports ``nuptse.cut``)."""
    if name not in _PROVIDED:
        import importlib

        importlib.import_module("nuptse.cut")
    return _PROVIDED[name]


def uuid_id(rng: random.Random | None = None) -> str:
    """A random UUID4 string (drawn from ``rng`` when given, for reproducible ids)."""
    import uuid

    if rng is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def to_list(channel) -> list:
    """``channel`` as a list (an int becomes a one-item list, None an empty one).

    >>> to_list(3), to_list([0, 1]), to_list(None)
    ([3], [0, 1], [])
    """
    if channel is None:
        return []
    if isinstance(channel, (list, tuple)):
        return list(channel)
    return [channel]
