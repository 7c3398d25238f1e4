"""Which resampler ``Resample`` transforms use: ``"default"`` or ``"sox"``.

``"default"`` is nuptse's Kaiser-windowed polyphase filter
(:func:`nuptse.audio.resampling.polyphase_resample`).  ``"sox"`` calls
libsox's ``rate`` effect through :mod:`nuptse.tools.libsox`; choosing it
works without libsox, but resampling then raises ``RuntimeError``.  The
choice is process-wide: :func:`set_current_resampling_backend`, the
:func:`resampling_backend` context manager, or the environment variable
``NUPTSE_RESAMPLING_BACKEND`` (``LHOTSE_RESAMPLING_BACKEND`` too).
"""

from __future__ import annotations

import os
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, Optional

ResamplingBackend = Literal["default", "sox"]
CURRENT_RESAMPLING_BACKEND: Optional[str] = None
_ENV = ("NUPTSE_RESAMPLING_BACKEND", "LHOTSE_RESAMPLING_BACKEND")


def available_resampling_backends() -> list[str]:
    """The backend names.

    >>> available_resampling_backends()
    ['default', 'sox']
    """
    return list(typing.get_args(ResamplingBackend))


def set_current_resampling_backend(backend: str) -> None:
    """Use ``backend`` for every ``Resample`` from now on."""
    global CURRENT_RESAMPLING_BACKEND
    if backend not in available_resampling_backends():
        raise ValueError(
            f"Unknown resampling backend {backend!r}; choose one of "
            f"{available_resampling_backends()}"
        )
    CURRENT_RESAMPLING_BACKEND = backend


def get_current_resampling_backend() -> str:
    """The backend in use: set explicitly, else from the environment, else ``"default"``."""
    if CURRENT_RESAMPLING_BACKEND is not None:
        return CURRENT_RESAMPLING_BACKEND
    for var in _ENV:
        name = os.environ.get(var)
        if name:
            try:
                set_current_resampling_backend(name)
            except ValueError as e:
                raise ValueError(f"{var}={name!r}: {e}") from None
            return name
    set_current_resampling_backend("default")
    return "default"


@contextmanager
def resampling_backend(backend: str) -> Iterator[None]:
    """Use ``backend`` inside the block, then restore the previous choice."""
    previous = get_current_resampling_backend()
    set_current_resampling_backend(backend)
    try:
        yield
    finally:
        set_current_resampling_backend(previous)


__all__ = [
    "ResamplingBackend",
    "available_resampling_backends",
    "get_current_resampling_backend",
    "resampling_backend",
    "set_current_resampling_backend",
]
