"""``kaldiio``: Kaldi feature archives (``feats.ark`` + ``feats.scp``) through kaldiio.

For reading, ``storage_path`` is either a Kaldi rxspecifier such as
``"feats.ark:20"`` (the ``storage_key``, the utterance id, is then only
used in messages) or a ``.scp`` file, in which case the key is looked up in
it. Relative paths are resolved against the working directory, as Kaldi
does.  :class:`KaldiWriter` writes a directory's ``feats.ark``/``feats.scp``
pair (Kaldi's compressed matrices by default), which any Kaldi tool and
lhotse read.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Optional

import numpy as np

from ._paths import path_str
from .base import FeaturesReader, FeaturesWriter, register_reader, register_writer
from .errors import CorruptedFeaturesError, FeaturesKeyError, check_offsets, missing_file

_scp_cache: dict[str, tuple[tuple, Any, dict[str, str]]] = {}
_scp_lock = threading.Lock()


def _kaldiio():
    try:
        import kaldiio
    except ImportError as e:  # pragma: no cover - kaldiio is a hard dependency
        raise ImportError("Kaldi feature reading needs 'pip install kaldiio'") from e
    return kaldiio


def _is_pipeline(rxspec: Any) -> bool:
    """Kaldi runs an rxspecifier ending in ``|`` as a shell command."""
    return isinstance(rxspec, str) and rxspec.rstrip().endswith("|")


def _refuse_command(rxspec: str, path: str, key: Any) -> None:
    """Run shell pipelines only with the same opt-in as ``command`` audio sources."""
    from nuptse.audio.errors import CommandNotAllowedError
    from nuptse.audio.source import ALLOW_COMMANDS_ENV, commands_allowed

    if not commands_allowed():
        raise CommandNotAllowedError(
            f"Refusing to run the shell command {rxspec!r} that the Kaldi features entry for "
            f"{key!r} in {path!r} names; it executes arbitrary code. To allow it, wrap the call "
            f"in `with nuptse.audio.allow_commands():` or set {ALLOW_COMMANDS_ENV}=1."
        )


def _scp_entries(path: str) -> dict[str, str]:
    """``key -> rxspecifier`` as written in an scp file (to see pipelines before kaldiio runs them)."""
    entries: dict[str, str] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.strip().split(None, 1)
            if parts:
                entries[parts[0]] = parts[1] if len(parts) > 1 else ""
    return entries


def _load_scp(path: str, key: Any):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise missing_file(path, key) from None
    sig = (st.st_ino, st.st_size, st.st_mtime_ns)
    with _scp_lock:
        cached = _scp_cache.get(path)
        if cached is None or cached[0] != sig:
            try:
                cached = (sig, _kaldiio().load_scp(path), _scp_entries(path))
            except Exception as e:
                raise CorruptedFeaturesError(f"cannot parse scp file: {e}", path, key) from e
            _scp_cache[path] = cached
        if _is_pipeline(cached[2].get(key)):
            _refuse_command(cached[2][key], path, key)
        return cached[1]


def _ark_file(rxspec: str) -> str:
    """The file part of ``"feats.ark:123"`` (or of a path with no offset)."""
    head, sep, tail = rxspec.rpartition(":")
    return head if sep and tail.split("[")[0].isdigit() else rxspec


@register_reader
class KaldiReader(FeaturesReader):
    """Reads a matrix from a Kaldi ark (``"file.ark:offset"``) or through a ``.scp`` file."""

    name = "kaldiio"

    def __init__(self, storage_path: Any, *args, **kwargs) -> None:
        self.storage_path = path_str(storage_path)

    def read(
        self, key: str, left_offset_frames: int = 0, right_offset_frames: Optional[int] = None
    ) -> np.ndarray:
        path = self.storage_path
        check_offsets(left_offset_frames, right_offset_frames, path, key)
        if path.endswith(".scp"):
            table = _load_scp(path, key)
            if key not in table:
                raise FeaturesKeyError("utterance id not found in the scp file", path, key)
            loader = lambda: table[key]  # noqa: E731
        else:
            if _is_pipeline(path):
                _refuse_command(path, path, key)
            elif not os.path.exists(_ark_file(path)):
                raise missing_file(path, key)
            loader = lambda: _kaldiio().load_mat(path)  # noqa: E731
        try:
            arr = np.asarray(loader())
        except FileNotFoundError as e:
            raise missing_file(getattr(e, "filename", None) or path, key) from e
        except Exception as e:
            raise CorruptedFeaturesError(
                f"kaldiio could not read the matrix: {e}", path, key
            ) from e
        return arr[left_offset_frames:right_offset_frames]


@register_writer
class KaldiWriter(FeaturesWriter):
    """Writes ``feats.ark`` and ``feats.scp`` into the directory ``storage_path``.

    The ``storage_key`` is the utterance id and the manifest's
    ``storage_path`` the ``feats.scp`` file.  ``compression_method`` is
    Kaldi's (1 = automatic, 2 = speech features, 3/4 = two bytes, 5/6/7 =
    one byte; ``None`` or 0 stores plain float matrices); compression applies to 2-D arrays.

    >>> import numpy as np, tempfile
    >>> data = np.arange(12, dtype=np.float32).reshape(4, 3)
    >>> with KaldiWriter(tempfile.mkdtemp(), compression_method=None) as w:
    ...     key = w.write("utt1", data)
    >>> KaldiReader(w.storage_path).read(key).tolist() == data.tolist()
    True
    """

    name = "kaldiio"

    def __init__(
        self, storage_path: Any, compression_method: Optional[int] = 1, *args, **kwargs
    ) -> None:
        self.storage_dir = path_str(storage_path)
        os.makedirs(self.storage_dir, exist_ok=True)
        self.storage_path_ = os.path.join(self.storage_dir, "feats.scp")
        self.compression_method = compression_method or None
        ark = os.path.join(self.storage_dir, "feats.ark")
        self._helper = _kaldiio().WriteHelper(
            f"ark,scp:{ark},{self.storage_path_}", compression_method=self.compression_method
        )

    @property
    def storage_path(self) -> str:
        return self.storage_path_

    def write(self, key: str, value: np.ndarray) -> str:
        if any(ch.isspace() for ch in str(key)) or not str(key):
            raise ValueError(
                f"Kaldi utterance ids cannot be empty or contain whitespace: {key!r} "
                f"(writing to {self.storage_path_})"
            )
        arr = np.asarray(value)
        if self.compression_method is not None and arr.ndim != 2:
            raise ValueError(
                f"Kaldi compression (compression_method={self.compression_method}) applies to "
                f"2-D matrices; {key!r} has shape {arr.shape} (use compression_method=None)"
            )
        self._helper(str(key), arr)
        self._helper.fark.flush()
        if self._helper.fscp is not None:
            self._helper.fscp.flush()
        return str(key)

    def close(self) -> None:
        self._helper.close()
