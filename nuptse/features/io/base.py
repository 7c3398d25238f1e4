"""The writer/reader interfaces and the name -> class registry.

A storage backend is a pair of classes sharing a ``name`` (the
``storage_type`` written into manifests): a :class:`FeaturesWriter` that
stores arrays and hands back a ``storage_key``, and a :class:`FeaturesReader`
that turns ``(storage_path, storage_key)`` back into the array.
"""

from __future__ import annotations

import logging
import os
import sys
from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from typing import Any, NamedTuple, Optional

import numpy as np

from nuptse.utils import is_module_available

logger = logging.getLogger(__name__)

READER_BACKENDS: dict[str, type[FeaturesReader]] = {}
WRITER_BACKENDS: dict[str, type[FeaturesWriter]] = {}

# Backends and the optional modules each one needs at run time.
_REQUIREMENTS = {
    "lilcom_chunky": ("lilcom",),
    "lilcom_files": ("lilcom",),
    "lilcom_url": ("lilcom", "fsspec"),
    "lilcom_hdf5": ("h5py", "lilcom"),
    "chunked_lilcom_hdf5": ("h5py", "lilcom"),
    "numpy_hdf5": ("h5py",),
    "memory_lilcom": ("lilcom",),
    "kaldiio": ("kaldiio",),
}

DEFAULT_STORAGE_BACKEND = "lilcom_chunky"
STORAGE_BACKEND_ENV = "NUPTSE_FEATURES_STORAGE_BACKEND"


class FeaturesWriter(metaclass=ABCMeta):
    """Stores numpy arrays under keys and returns the key to read each back.

    Subclasses set ``name`` (the manifest's ``storage_type``), implement
    :meth:`write` and :attr:`storage_path`, and release resources in
    :meth:`close`. Writers are context managers. A key is returned only once
    its bytes have been handed to the operating system, so a crash never
    leaves a manifest pointing at data that was not written.
    """

    name: str = ""

    @property
    @abstractmethod
    def storage_path(self) -> Optional[str]: ...

    @abstractmethod
    def write(self, key: str, value: np.ndarray) -> Any:
        """Store ``value`` and return the ``storage_key`` that reads it back."""

    def store_array(
        self,
        key: str,
        value: np.ndarray,
        frame_shift: Optional[float] = None,
        temporal_dim: Optional[int] = None,
        start: float = 0,
    ):
        """Store ``value`` and describe it with an ``Array`` manifest.

        With both ``frame_shift`` and ``temporal_dim`` the result is a
        ``TemporalArray`` (which supports partial reads and padding); with
        neither it is a plain ``Array``. Giving only one of them is an error.
        """
        if (frame_shift is None) != (temporal_dim is None):
            raise ValueError(
                "frame_shift and temporal_dim must be given together or not at all, got "
                f"frame_shift={frame_shift!r}, temporal_dim={temporal_dim!r} (key={key!r})"
            )
        from nuptse.features.array import Array, TemporalArray

        storage_key = self.write(key, value)
        array = Array(
            storage_type=self.name,
            storage_path=self.storage_path,
            storage_key=storage_key,
            shape=list(value.shape),
        )
        if frame_shift is None:
            return array
        return TemporalArray(
            array=array, temporal_dim=temporal_dim, frame_shift=frame_shift, start=start
        )

    def encoder(self) -> Optional[Callable[[str, np.ndarray], Any]]:
        """A picklable ``f(key, array)`` doing the costly part of :meth:`write`, or None.

        Writers that compress (``lilcom_chunky``) return one so that another
        process can encode arrays and hand the result to :meth:`write_encoded`;
        ``write(key, a)`` and ``write_encoded(key, encoder()(key, a))`` store
        the same bytes.  Writers without such a split return None.
        """
        return None

    def write_encoded(self, key: str, encoded: Any) -> Any:
        """Store what :meth:`encoder` made of an array; return its ``storage_key``."""
        raise NotImplementedError(f"{type(self).__name__} has no encoder")

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Flush and release whatever the writer holds open."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        self.close()


class FeaturesReader(metaclass=ABCMeta):
    """Reads arrays stored by the writer of the same ``name``.

    ``read(key, left_offset_frames, right_offset_frames)`` returns the frames
    ``[left, right)`` along the first axis (``right=None``: to the end).
    Backends that can avoid reading the rest of the array do so.
    """

    name: str = ""

    @abstractmethod
    def read(
        self,
        key: Any,
        left_offset_frames: int = 0,
        right_offset_frames: Optional[int] = None,
    ) -> np.ndarray: ...


def register_reader(cls):
    """Class decorator adding a reader to the registry under ``cls.name``."""
    READER_BACKENDS[cls.name] = cls
    return cls


def register_writer(cls):
    """Class decorator adding a writer to the registry under ``cls.name``."""
    WRITER_BACKENDS[cls.name] = cls
    return cls


def _unknown(kind: str, name: str, known) -> ValueError:
    return ValueError(
        f"Unknown feature storage {kind} {name!r}; known names: {', '.join(sorted(known))}"
    )


def get_reader(name: str) -> type[FeaturesReader]:
    """The reader class registered as ``name``.

    >>> get_reader("lilcom_chunky").__name__
    'LilcomChunkyReader'
    """
    try:
        return READER_BACKENDS[name]
    except KeyError:
        raise _unknown("reader", name, READER_BACKENDS) from None


def get_writer(name: str) -> type[FeaturesWriter]:
    """The writer class registered as ``name``.

    >>> get_writer("numpy_files").__name__
    'NumpyFilesWriter'
    """
    try:
        return WRITER_BACKENDS[name]
    except KeyError:
        raise _unknown("writer", name, WRITER_BACKENDS) from None


def _missing_modules(name: str) -> list[str]:
    # Looked up on the package at each call, so that patching
    # nuptse.features.io.is_module_available (as lhotse's tests do) takes effect;
    # through sys.modules (the package imports this module, not the reverse).
    package = sys.modules.get(__name__.rpartition(".")[0])
    available = getattr(package, "is_module_available", None) or is_module_available
    return [m for m in _REQUIREMENTS.get(name, ()) if not available(m)]


class StorageBackendInfo(NamedTuple):
    name: str
    available: bool
    install_hint: Optional[str] = None


def storage_backend_statuses() -> list[StorageBackendInfo]:
    """Every backend with both a reader and a writer, and whether it can run here."""
    out = []
    for name in sorted(set(READER_BACKENDS) & set(WRITER_BACKENDS)):
        missing = _missing_modules(name)
        hint = f"pip install {' '.join(missing)}" if missing else None
        out.append(StorageBackendInfo(name, not missing, hint))
    return out


def available_storage_backends() -> list[str]:
    """Names of the backends that can both write and read in this environment.

    >>> "lilcom_chunky" in available_storage_backends()
    True
    """
    return [info.name for info in storage_backend_statuses() if info.available]


def default_features_storage_backend_name() -> str:
    """``lilcom_chunky``, unless ``NUPTSE_FEATURES_STORAGE_BACKEND`` names another."""
    name = os.environ.get(STORAGE_BACKEND_ENV)
    if name is None:
        return DEFAULT_STORAGE_BACKEND
    available = available_storage_backends()
    if name not in available:
        raise ValueError(
            f"{STORAGE_BACKEND_ENV}={name!r} is not an available storage backend; "
            f"choose one of {available}"
        )
    return name


def default_features_storage_backend() -> type[FeaturesWriter]:
    return get_writer(default_features_storage_backend_name())


def is_in_memory(storage_type: str) -> bool:
    """True for the backends whose ``storage_key`` holds the data itself."""
    return "memory" in storage_type


def get_memory_writer(name: str) -> type[FeaturesWriter]:
    if not is_in_memory(name):
        raise ValueError(f"{name!r} is not an in-memory storage backend")
    return get_writer(name)


def warn_unused(cls_name: str, args: tuple, kwargs: dict) -> None:
    """Writers accept (and ignore) extra arguments as lhotse's do; say so in the log."""
    if args or kwargs:
        logger.warning(
            "%s ignores unexpected arguments: args=%r kwargs=%r", cls_name, args, sorted(kwargs)
        )
