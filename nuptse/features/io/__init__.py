"""Feature array storage: writers and readers chosen by ``storage_type`` name.

The backends and their on-disk layouts match lhotse 1.33's
``lhotse.features.io``, so archives and manifests move between the two
libraries in both directions:

* ``lilcom_chunky`` (default): one ``.lca`` archive of 500-frame lilcom chunks;
* ``lilcom_files`` / ``numpy_files`` (and ``lilcom_url``): one file per array;
* ``numpy_hdf5`` / ``lilcom_hdf5`` / ``chunked_lilcom_hdf5``: one HDF5 file;
* ``memory_lilcom`` / ``memory_raw`` (and the reader ``memory_npy``): the key
  is the serialized array;
* ``kaldiio``: Kaldi ``feats.ark``/``feats.scp`` archives.

>>> import numpy as np, tempfile
>>> path = tempfile.mkdtemp() + "/feats"
>>> with get_writer("lilcom_chunky")(path) as writer:
...     key = writer.write("utt1", np.full((10, 3), 0.25, dtype=np.float32))
>>> get_reader("lilcom_chunky")(writer.storage_path).read(key, 2, 4).tolist()
[[0.25, 0.25, 0.25], [0.25, 0.25, 0.25]]
"""

from nuptse.features.array import Array, TemporalArray
from nuptse.serialization import open_best
from nuptse.utils import SmartOpen, is_module_available, is_valid_url, pairwise

from ._lilcom import DEFAULT_TICK_POWER, max_lilcom_error
from .base import (
    READER_BACKENDS,
    WRITER_BACKENDS,
    FeaturesReader,
    FeaturesWriter,
    StorageBackendInfo,
    available_storage_backends,
    default_features_storage_backend,
    default_features_storage_backend_name,
    get_memory_writer,
    get_reader,
    get_writer,
    is_in_memory,
    register_reader,
    register_writer,
    storage_backend_statuses,
)
from .compat import (
    check_h5py_installed,
    check_kaldi_native_io_installed,
    check_lilcom_installed,
    get_lilcom_module,
    lookup_cache_or_open,
    lookup_chunk_size,
    lookup_reader_cache_or_open,
)
from .errors import (
    CorruptedFeaturesError,
    FeaturesKeyError,
    FeaturesStorageError,
    SharPlaceholderFeaturesError,
)
from .files import (
    FileIO,
    LilcomFilesReader,
    LilcomFilesWriter,
    LilcomURLReader,
    LilcomURLWriter,
    NumpyFilesReader,
    NumpyFilesWriter,
)
from .hdf5 import (
    CHUNK_SIZE_KEY,
    ChunkedLilcomHdf5Reader,
    ChunkedLilcomHdf5Writer,
    LilcomHdf5Reader,
    LilcomHdf5Writer,
    NumpyHdf5Reader,
    NumpyHdf5Writer,
    close_cached_file_handles,
)
from .kaldi import KaldiReader, KaldiWriter
from .lilcom_chunky import (
    CHUNKY_FORMAT_CHUNK_SIZE,
    LilcomChunkyReader,
    LilcomChunkyWriter,
    parse_chunky_key,
)
from .memory import (
    MemoryLilcomReader,
    MemoryLilcomWriter,
    MemoryNpyReader,
    MemoryRawReader,
    MemoryRawWriter,
)
from .placeholder import DummySharReader

__all__ = [
    # names lhotse.features.io also offers (defined elsewhere in nuptse)
    "Array",
    "TemporalArray",
    "SmartOpen",
    "is_module_available",
    "is_valid_url",
    "open_best",
    "pairwise",
    "CHUNKY_FORMAT_CHUNK_SIZE",
    "CHUNK_SIZE_KEY",
    "DEFAULT_TICK_POWER",
    "READER_BACKENDS",
    "WRITER_BACKENDS",
    "ChunkedLilcomHdf5Reader",
    "ChunkedLilcomHdf5Writer",
    "CorruptedFeaturesError",
    "DummySharReader",
    "FeaturesKeyError",
    "FeaturesReader",
    "FeaturesStorageError",
    "FeaturesWriter",
    "FileIO",
    "KaldiReader",
    "KaldiWriter",
    "LilcomChunkyReader",
    "LilcomChunkyWriter",
    "LilcomFilesReader",
    "LilcomFilesWriter",
    "LilcomHdf5Reader",
    "LilcomHdf5Writer",
    "LilcomURLReader",
    "LilcomURLWriter",
    "MemoryLilcomReader",
    "MemoryLilcomWriter",
    "MemoryNpyReader",
    "MemoryRawReader",
    "MemoryRawWriter",
    "NumpyFilesReader",
    "NumpyFilesWriter",
    "NumpyHdf5Reader",
    "NumpyHdf5Writer",
    "SharPlaceholderFeaturesError",
    "StorageBackendInfo",
    "available_storage_backends",
    "check_h5py_installed",
    "check_kaldi_native_io_installed",
    "check_lilcom_installed",
    "get_lilcom_module",
    "lookup_cache_or_open",
    "lookup_chunk_size",
    "lookup_reader_cache_or_open",
    "close_cached_file_handles",
    "default_features_storage_backend",
    "default_features_storage_backend_name",
    "get_memory_writer",
    "get_reader",
    "get_writer",
    "is_in_memory",
    "max_lilcom_error",
    "parse_chunky_key",
    "register_reader",
    "register_writer",
    "storage_backend_statuses",
]
