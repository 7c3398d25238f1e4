"""Reading and writing manifest files: JSON, JSON lines and YAML, optionally gzipped.

The format is chosen from the extension (``.json``, ``.jsonl``, ``.yaml``, each
optionally followed by ``.gz``).  Paths may be local or any fsspec URL
(``s3://``, ``memory://``, ...).  JSON goes through msgspec and gzip through
ISA-L, which are several times faster than the standard library.  (msgspec was
picked over orjson by measurement on supervision lines: 5x faster encoding,
10% faster decoding, byte-identical output.)

Files are written atomically: data goes to a temporary name next to the target
and is renamed into place once complete, so a crash never leaves a manifest
that loads as if it were whole.  A manifest that *was* cut off (for instance by
a copy that died) raises :class:`TruncatedManifestError` naming the file and
the last complete line instead of loading partially.

lhotse's IO backends (:mod:`nuptse.iobackends`) are re-exported here: once a
user selects one (``set_current_io_backend``/``io_backend``), every
:func:`open_best` goes through it.  The names lhotse keeps in this module but
nuptse defines in :mod:`nuptse.manifest` (``load_manifest``,
``SequentialJsonlWriter``, ``deserialize_item``, ...) resolve from there on
first use, so ``from nuptse.serialization import load_manifest`` works as in
lhotse without this module importing the manifest layer.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "data.jsonl.gz")
>>> save_to_jsonl([{"id": "a"}, {"id": "b"}], path)
>>> load_jsonl(path)
[{'id': 'a'}, {'id': 'b'}]
"""

from __future__ import annotations

import io
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from nuptse.exports import lazy_exports
from nuptse.iobackends import (
    AIStoreIOBackend,
    BuiltinIOBackend,
    CommandNotAllowedError,
    CompositeIOBackend,
    GzipIOBackend,
    IOBackend,
    MSCIOBackend,
    PipeIOBackend,
    RedirectIOBackend,
    SmartOpenIOBackend,
    StdStreamWrapper,
    TarAsDirBackend,
    available_io_backends,
    get_aistore_client,
    get_current_io_backend,
    get_default_io_backend,
    get_lhotse_msc_backend_forced,
    get_lhotse_msc_override_protocols,
    get_lhotse_msc_profile,
    gzip_open_robust,
    io_backend,
    is_aistore_available,
    set_current_io_backend,
    user_selected_io_backend,
)
from nuptse.utils import (
    Pathlike,
    Pipe,
    SmartOpen,
    is_module_available,
    is_valid_url,
    replace_bucket_with_profile_name,
)

logger = logging.getLogger(__name__)

__all__ = [
    "AIStoreIOBackend",
    "BuiltinIOBackend",
    "CommandNotAllowedError",
    "CompositeIOBackend",
    "GzipIOBackend",
    "IOBackend",
    "InvalidPathExtension",
    "MSCIOBackend",
    "ManifestError",
    "ManifestParseError",
    "NotALhotseManifest",
    "Pipe",
    "PipeIOBackend",
    "RedirectIOBackend",
    "SmartOpen",
    "SmartOpenIOBackend",
    "StdStreamWrapper",
    "TarAsDirBackend",
    "TruncatedManifestError",
    "UnsupportedFormatError",
    "WrongManifestTypeError",
    "available_io_backends",
    "extension_contains",
    "get_aistore_client",
    "get_current_io_backend",
    "get_default_io_backend",
    "get_lhotse_msc_backend_forced",
    "get_lhotse_msc_override_protocols",
    "get_lhotse_msc_profile",
    "grouper",
    "gzip_open_robust",
    "io_backend",
    "is_aistore_available",
    "is_module_available",
    "is_valid_url",
    "load_json",
    "load_jsonl",
    "load_yaml",
    "open_best",
    "replace_bucket_with_profile_name",
    "save_to_json",
    "save_to_jsonl",
    "save_to_yaml",
    "set_current_io_backend",
    "store_manifest",
]

# lhotse keeps these here; nuptse defines them in the manifest layer above.
_MANIFEST_NAMES = {
    name: "nuptse.manifest"
    for name in (
        "InMemoryWriter",
        "JsonMixin",
        "JsonlMixin",
        "LazyMixin",
        "SequentialJsonlWriter",
        "Serializable",
        "YamlMixin",
        "deserialize_item",
        "load_manifest",
        "load_manifest_lazy",
        "load_manifest_lazy_or_eager",
        "resolve_manifest_set_class",
    )
}
_MANIFEST_NAMES["deserialize_custom_field"] = "nuptse.supervision.custom"
__getattr__, __dir__ = lazy_exports(__name__, _MANIFEST_NAMES, globals())

#: Extensions understood by :func:`detect_format`, without the optional ``.gz``.
SUPPORTED_FORMATS = ("json", "jsonl", "yaml")
SUPPORTED_EXTENSIONS = tuple(f".{f}{gz}" for f in SUPPORTED_FORMATS for gz in ("", ".gz"))

#: Compression level for ISA-L gzip (0-3).  1 is ~5x faster than zlib's default
#: and within a few percent of its ratio on manifests.
GZIP_LEVEL = 1


class ManifestError(ValueError):
    """Base class for problems with a manifest file or its contents."""


class UnsupportedFormatError(ManifestError):
    """The file extension names no manifest format we know."""


class ManifestParseError(ManifestError):
    """A line or document of a manifest could not be parsed."""

    def __init__(self, path: Any, line: int | None, reason: str):
        self.path = str(path)
        self.line = line
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class TruncatedManifestError(ManifestError):
    """A manifest ends in the middle of an item (or of its gzip stream)."""

    def __init__(self, path: Any, complete_lines: int, reason: str):
        self.path = str(path)
        self.complete_lines = complete_lines
        super().__init__(
            f"{self.path} is truncated after {complete_lines} complete line(s) ({reason}). "
            "It was probably cut off by a crash or an interrupted copy; nothing after "
            "that point was loaded. To keep the complete lines and continue writing, open "
            "it with `open_writer(path, overwrite=False)`."
        )


#: lhotse's name for a path whose extension names no supported format.
InvalidPathExtension = UnsupportedFormatError


class WrongManifestTypeError(ManifestError):
    """An item does not belong to the manifest type that was asked for."""


#: lhotse's name for a file that is not a manifest of the expected (or any) type.
NotALhotseManifest = WrongManifestTypeError


def extension_contains(ext: str, path: Pathlike) -> bool:
    """Whether ``ext`` is one of the suffixes of ``path``'s file name.

    >>> extension_contains(".jsonl", "cuts.jsonl.gz")
    True
    """
    return any(ext == suffix for suffix in Path(str(path)).suffixes)


def grouper(n: int, iterable: Iterable) -> Iterator[tuple]:
    """Consecutive tuples of ``n`` items (the last may be shorter).

    >>> list(grouper(2, "abcde"))
    [('a', 'b'), ('c', 'd'), ('e',)]
    """
    from itertools import islice

    it = iter(iterable)
    while chunk := tuple(islice(it, n)):
        yield chunk


def store_manifest(manifest: Any, path: Pathlike) -> None:
    """Save any manifest set in the format ``path``'s extension names (``manifest.to_file``)."""
    manifest.to_file(path)


def is_url(path: Any) -> bool:
    """Whether ``path`` is an fsspec URL (``scheme://...``) rather than a local path."""
    return isinstance(path, str) and "://" in path and not path.startswith("file://")


def _local(path: Any) -> str:
    path = str(path)
    return path[len("file://") :] if path.startswith("file://") else path


def detect_format(path: Pathlike) -> tuple[str, bool]:
    """Return ``(format, gzipped)`` for a manifest path.

    >>> detect_format("cuts.jsonl.gz")
    ('jsonl', True)
    >>> detect_format("s3://bucket/recs.yaml")
    ('yaml', False)
    """
    name = str(path).rsplit("/", 1)[-1]
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if ext not in SUPPORTED_FORMATS:
        raise UnsupportedFormatError(
            f"{path}: unknown manifest extension; supported: {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    return ext, gz


# --- opening files -------------------------------------------------------------------


def _open_binary(path: Pathlike, mode: str):
    if is_url(path):
        import fsspec

        return fsspec.open(str(path), mode).open()
    return open(_local(path), mode)


def open_best(path: Pathlike, mode: str = "r", gz: bool | None = None):
    """Open a local path or fsspec URL, transparently (de)compressing ``.gz``.

    ``mode`` is ``r``, ``rb``, ``w``, ``wb`` or ``a``/``ab``; text modes use UTF-8.
    ``gz`` overrides the choice made from the extension.  ``-`` is standard
    input/output and ``pipe:CMD`` a shell pipe (with permission, see
    :class:`~nuptse.iobackends.PipeIOBackend`); when the user selected an IO
    backend, every path goes through it.
    """
    if isinstance(path, str) and (path == "-" or path.startswith("pipe:")):
        return get_current_io_backend().open(path, mode)
    if gz is None and user_selected_io_backend():
        return get_current_io_backend().open(path, mode)
    binary = "b" in mode
    raw_mode = mode.replace("t", "").replace("b", "") + "b"
    if gz is None:
        gz = str(path).endswith(".gz")
    if gz:
        from isal import igzip

        if is_url(path):
            f = igzip.IGzipFile(fileobj=_open_binary(path, raw_mode), mode=raw_mode)
        else:
            kwargs = {"compresslevel": GZIP_LEVEL} if "r" not in raw_mode else {}
            f = igzip.open(_local(path), raw_mode, **kwargs)
    else:
        f = _open_binary(path, raw_mode)
    if binary:
        return f
    return io.TextIOWrapper(f, encoding="utf-8", newline="\n")


def exists(path: Pathlike) -> bool:
    if is_url(path):
        import fsspec

        fs, p = fsspec.core.url_to_fs(str(path))
        return fs.exists(p)
    return os.path.exists(_local(path))


@contextmanager
def atomic_output(path: Pathlike, mode: str = "w"):
    """Write to a temporary name and rename onto ``path`` only on success.

    For fsspec URLs the object store's own write (which is atomic on upload
    for object stores) is used directly.
    """
    if is_url(path):
        with open_best(path, mode) as f:
            yield f
        return
    target = Path(_local(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    # Keep the real extension last so that .gz detection works on the temp name.
    tmp = tmp.with_name(tmp.name + ("" if not target.name.endswith(".gz") else ".gz"))
    try:
        with open_best(tmp, mode) as f:
            yield f
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


# --- JSON ----------------------------------------------------------------------------

#: Raised by :func:`loads` for malformed JSON (a ``ValueError``).
JSONDecodeError = msgspec.DecodeError


def _to_builtin(obj: Any) -> Any:
    """JSON form of values msgspec does not know: numpy arrays and scalars, paths."""
    if hasattr(obj, "tolist"):  # numpy arrays and numpy scalars
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"cannot serialize {type(obj).__name__} to JSON: {obj!r}")


_ENCODER = msgspec.json.Encoder(enc_hook=_to_builtin)
_DECODER = msgspec.json.Decoder()


def loads(data: bytes | str) -> Any:
    """Parse one JSON document (raises :data:`JSONDecodeError`)."""
    return _DECODER.decode(data)


def dumps(data: Any) -> bytes:
    """Compact JSON bytes for ``data`` (numpy values become lists/numbers)."""
    return _ENCODER.encode(data)


def dumps_line(data: Any) -> bytes:
    """One JSON line (with the trailing newline) for a dict."""
    return _ENCODER.encode(data) + b"\n"


def _error_byte(e: Exception) -> int | None:
    m = re.search(r"byte (\d+)", str(e))
    return int(m.group(1)) if m else None


def iter_line_blocks(f: BinaryIO, size: int = 1 << 22) -> Iterator[bytes]:
    """Blocks of whole lines read from a binary file, about ``size`` bytes each.

    Every block ends with a newline except possibly the last, which holds a
    final line that has none.
    """
    rest = b""
    while True:
        block = f.read(size)
        if not block:
            break
        buf = rest + block
        end = buf.rfind(b"\n") + 1
        rest = buf[end:]
        if end:
            yield buf[:end]
    if rest:
        yield rest


_TOO_DEEP = "the JSON is nested too deeply to be a manifest item"
_BOM = b"\xef\xbb\xbf"


def _check_start(path: Pathlike, head: bytes, gz: bool) -> None:
    """Name the usual reasons a manifest's first bytes are not JSON text."""
    if head.startswith(_BOM):
        raise ManifestParseError(
            path, 1, "the file starts with a UTF-8 byte-order mark (BOM); save it without one"
        )
    if not gz and head.startswith(b"\x1f\x8b"):
        raise ManifestParseError(
            path,
            None,
            "the file holds gzip-compressed data but its name does not end in .gz; "
            "rename it (e.g. to .jsonl.gz)",
        )


def _not_utf8(path: Pathlike, e: UnicodeDecodeError) -> ManifestParseError:
    return ManifestParseError(
        path,
        None,
        f"not UTF-8 text (byte {e.start} is {e.object[e.start : e.start + 1]!r}); "
        "manifests must be UTF-8 encoded",
    )


def iter_jsonl(path: Pathlike, block_decoder: Callable[[bytes], list] | None = None) -> Iterator:
    """Yield the dicts of a JSON-lines file one by one.

    Raises :class:`ManifestParseError` (with the 1-based line number) on a bad
    line and :class:`TruncatedManifestError` if the file ends mid-item.

    With ``block_decoder`` (say a typed ``msgspec`` decoder's
    ``decode_lines``), each block of whole lines is first given to it and its
    records are yielded instead of dicts; a block it rejects (by raising a
    ``msgspec`` error) is decoded line by line as without it, so the records
    are then dicts and errors name their line.
    """
    gz = str(path).endswith(".gz")
    n = 0
    decode = _DECODER.decode
    try:
        with open_best(path, "rb") as f:
            for block in iter_line_blocks(f):
                if n == 0:
                    _check_start(path, block, gz)
                if block_decoder is not None:
                    try:
                        records = block_decoder(block)
                    except (msgspec.MsgspecError, RecursionError):
                        pass
                    else:
                        n += block.count(b"\n") + (not block.endswith(b"\n"))
                        yield from records
                        continue
                lines = block.split(b"\n")
                rest = lines.pop()
                for line in lines:
                    n += 1
                    try:
                        yield decode(line)
                    except JSONDecodeError as e:
                        if line.strip():
                            raise ManifestParseError(path, n, f"invalid JSON: {e}") from None
                    except RecursionError:
                        raise ManifestParseError(path, n, _TOO_DEEP) from None
                if rest.strip():
                    # The last line has no newline: fine if it is valid JSON (a
                    # file written by hand), a truncation otherwise.
                    n += 1
                    try:
                        obj = decode(rest)
                    except JSONDecodeError:
                        raise TruncatedManifestError(
                            path, n - 1, "the last line is incomplete"
                        ) from None
                    yield obj
    except (EOFError, zlib.error) as e:
        complete = max(n, _salvageable_lines(path))
        raise TruncatedManifestError(path, complete, f"gzip stream: {e}") from None
    except OSError as e:
        if gz and "not a gzipped file" in str(e).lower():
            raise ManifestParseError(path, None, "not a gzip file despite its .gz name") from None
        if gz and ("gzip" in str(e).lower() or "compressed" in str(e).lower()):
            raise TruncatedManifestError(path, n, f"gzip stream: {e}") from None
        raise


def count_jsonl_lines(path: Pathlike) -> int:
    """Number of items in a JSON-lines file, without parsing them."""
    n = 0
    try:
        with open_best(path, "rb") as f:
            while True:
                block = f.read(1 << 20)
                if not block:
                    break
                n += block.count(b"\n")
                last = block
            if n and not last.endswith(b"\n"):
                n += 1
    except (EOFError, zlib.error) as e:
        complete = max(n, _salvageable_lines(path))
        raise TruncatedManifestError(path, complete, f"gzip stream: {e}") from None
    return n


def _salvageable_lines(path: Pathlike) -> int:
    """Complete lines in the readable part of a cut-off gzip file (for error messages)."""
    if is_url(path):
        return 0
    d = zlib.decompressobj(wbits=31)
    n = 0
    try:
        with open(_local(path), "rb") as f:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                n += d.decompress(chunk).count(b"\n")
                while d.eof and d.unused_data:  # a multi-member stream
                    rest = d.unused_data
                    d = zlib.decompressobj(wbits=31)
                    n += d.decompress(rest).count(b"\n")
    except (OSError, zlib.error):
        pass
    return n


def save_to_jsonl(data: Iterable[dict], path: Pathlike) -> None:
    """Write dicts as JSON lines (gzipped for ``.gz``), atomically."""
    with atomic_output(path, "wb") as f:
        buf = bytearray()
        for item in data:
            buf += dumps_line(item)
            if len(buf) > 1 << 20:
                f.write(buf)
                buf.clear()
        f.write(buf)


def load_jsonl(path: Pathlike) -> list[dict]:
    return list(iter_jsonl(path))


# --- JSON and YAML -------------------------------------------------------------------


def save_to_json(data: Any, path: Pathlike) -> None:
    with atomic_output(path, "wb") as f:
        f.write(msgspec.json.format(dumps(data), indent=2))


def load_json(path: Pathlike) -> Any:
    try:
        with open_best(path, "rb") as f:
            raw = f.read()
    except (EOFError, zlib.error) as e:
        raise TruncatedManifestError(path, 0, f"gzip stream: {e}") from None
    _check_start(path, raw[:4], str(path).endswith(".gz"))
    try:
        return loads(raw)
    except RecursionError:
        raise ManifestParseError(path, None, _TOO_DEEP) from None
    except JSONDecodeError as e:
        pos = _error_byte(e)
        line = raw[:pos].count(b"\n") + 1 if pos is not None else None
        raise ManifestParseError(path, line, f"invalid JSON: {e}") from None


def save_to_yaml(data: Any, path: Pathlike) -> None:
    import yaml

    with atomic_output(path, "w") as f:
        yaml.safe_dump(data, f, sort_keys=False, allow_unicode=True)


def load_yaml(path: Pathlike) -> Any:
    import yaml

    try:
        with open_best(path, "r") as f:
            return yaml.safe_load(f)
    except (EOFError, zlib.error) as e:
        raise TruncatedManifestError(path, 0, f"gzip stream: {e}") from None
    except UnicodeDecodeError as e:
        raise _not_utf8(path, e) from None
    except RecursionError:
        raise ManifestParseError(path, None, "the YAML is nested too deeply") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ManifestParseError(path, line, f"invalid YAML: {e}") from None


def load_dicts(path: Pathlike, fmt: str | None = None) -> Iterable[dict]:
    """All item dicts of a manifest file in any supported format.

    ``fmt`` (``"json"``, ``"jsonl"`` or ``"yaml"``) overrides the extension.
    """
    if fmt is None:
        fmt, _ = detect_format(path)
    if fmt == "jsonl":
        return iter_jsonl(path)
    data = load_json(path) if fmt == "json" else load_yaml(path)
    if not isinstance(data, list):
        raise ManifestParseError(path, None, f"expected a list of items, got {type(data).__name__}")
    return data


def save_dicts(data: Iterable[dict], path: Pathlike, fmt: str | None = None) -> None:
    """Write item dicts to ``path`` in the format its extension names (or ``fmt``)."""
    if fmt is None:
        fmt, _ = detect_format(path)
    if fmt == "jsonl":
        save_to_jsonl(data, path)
    elif fmt == "json":
        save_to_json(list(data), path)
    else:
        save_to_yaml(list(data), path)
