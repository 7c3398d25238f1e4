"""lhotse's helper functions of ``lhotse.features.io``, for code that imports them.

They map onto nuptse's own machinery: the HDF5 readers' shared handles
(:func:`~nuptse.features.io.hdf5.open_cached`), the scp cache of
:class:`~nuptse.features.io.kaldi.KaldiReader`, and the lilcom module loader.
"""

from __future__ import annotations

from typing import Any

from nuptse.utils import is_module_available

from ._lilcom import _lilcom
from .hdf5 import CHUNK_SIZE_KEY, open_cached
from .kaldi import _load_scp

__all__ = [
    "check_h5py_installed",
    "check_kaldi_native_io_installed",
    "check_lilcom_installed",
    "get_lilcom_module",
    "lookup_cache_or_open",
    "lookup_chunk_size",
    "lookup_reader_cache_or_open",
]


def check_lilcom_installed() -> None:
    """Raise ImportError when lilcom (needed by the lilcom backends) is missing."""
    if not is_module_available("lilcom"):
        raise ImportError("lilcom-compressed feature storage needs 'pip install lilcom'")


def get_lilcom_module():
    """The ``lilcom`` module (imported once)."""
    return _lilcom()


def check_h5py_installed() -> None:
    """Raise ValueError (as lhotse) when h5py (needed by the HDF5 backends) is missing."""
    if not is_module_available("h5py"):
        raise ValueError("HDF5 feature storage needs 'pip install h5py'")


def check_kaldi_native_io_installed() -> None:
    """Kaldi archives are read and written through kaldiio here; this checks for kaldiio."""
    if not is_module_available("kaldiio"):
        raise ValueError("Kaldi feature archives need 'pip install kaldiio'")


def lookup_cache_or_open(storage_path: str):
    """A read-only ``h5py.File`` shared by this process's readers (see :func:`close_cached_file_handles`)."""
    return open_cached(str(storage_path))


def lookup_chunk_size(h5_file_handle: Any) -> int:
    """The chunk size stored in a ``chunked_lilcom_hdf5`` file."""
    return int(h5_file_handle[CHUNK_SIZE_KEY][()])


def lookup_reader_cache_or_open(storage_path: str):
    """The ``utterance id -> matrix`` table of a ``feats.scp`` file, cached while it is unchanged."""
    return _load_scp(str(storage_path), None)
