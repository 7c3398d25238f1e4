"""Pluggable ways of opening paths and URLs (lhotse's IO backends).

:func:`nuptse.serialization.open_best` opens local files, ``.gz`` files and
fsspec URLs itself.  These backends let a user route every open through a
chosen mechanism instead (an object-store client, ``smart_open``, a tar
archive read as a folder), exactly as lhotse's ``IOBackend`` classes do:

>>> from nuptse.serialization import io_backend, get_current_io_backend
>>> with io_backend("BuiltinIOBackend") as backend:
...     type(get_current_io_backend()).__name__
'BuiltinIOBackend'

Subclasses of :class:`IOBackend` register themselves under their class name.
Shell pipes (``pipe:CMD``) execute code, so :class:`PipeIOBackend` runs only
with the same opt-in as command audio sources (``NUPTSE_ALLOW_COMMANDS=1``) or
when it is selected explicitly with :func:`set_current_io_backend`.
"""

from __future__ import annotations

import gzip
import logging
import os
import sys
from collections.abc import Generator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Optional, Union

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
    "MSCIOBackend",
    "PipeIOBackend",
    "RedirectIOBackend",
    "SmartOpenIOBackend",
    "StdStreamWrapper",
    "TarAsDirBackend",
    "available_io_backends",
    "get_aistore_client",
    "get_current_io_backend",
    "get_default_io_backend",
    "get_lhotse_msc_backend_forced",
    "get_lhotse_msc_override_protocols",
    "get_lhotse_msc_profile",
    "gzip_open_robust",
    "io_backend",
    "is_aistore_available",
    "set_current_io_backend",
]

ALLOW_COMMANDS_ENV = "NUPTSE_ALLOW_COMMANDS"
AIS_ENDPOINT_ENVVAR = "AIS_ENDPOINT"
MSC_PREFIX = "msc"
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tar.bz2", ".tar.xz")


class CommandNotAllowedError(PermissionError):
    """A ``pipe:`` path would run a shell command without the user's permission."""


def _env(name: str, default: Optional[str] = None) -> Optional[str]:
    """``NUPTSE_<name>``, else lhotse's ``LHOTSE_<name>``, else ``default``."""
    value = os.environ.get(f"NUPTSE_{name}")
    if value is None:
        value = os.environ.get(f"LHOTSE_{name}", default)
    return value


def gzip_open_robust(filename: Any, mode: str = "rb", **kwargs: Any):
    """``gzip.open`` under lhotse's name.

    A gzip stream that was cut off raises ``EOFError`` (nuptse does not
    silently keep part of a truncated file).
    """
    return gzip.open(filename, mode, **kwargs)


class StdStreamWrapper:
    """Wraps ``sys.stdin``/``sys.stdout`` so that closing it leaves the stream open."""

    def __init__(self, stream: Any):
        self.stream = stream

    def close(self) -> None:
        pass

    def __enter__(self) -> Any:
        return self.stream

    def __exit__(self, *exc: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class IOBackend:
    """Base class: a way to ``open(identifier, mode)`` paths, URLs or special names.

    A subclass implements :meth:`open`; :meth:`is_applicable` says whether it
    can open an identifier, :meth:`handles_special_case` whether it *must* be
    the one to open it (e.g. ``pipe:`` commands), and :meth:`is_available`
    whether its optional dependency is installed.  Subclasses register
    themselves by class name (see :func:`available_io_backends`).
    """

    KNOWN_BACKENDS: dict[str, type] = {}

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        IOBackend.KNOWN_BACKENDS.setdefault(cls.__name__, cls)

    @classmethod
    def new(cls, name: str) -> IOBackend:
        """An instance of the registered backend called ``name``."""
        if name not in cls.KNOWN_BACKENDS:
            raise ValueError(
                f"Unknown IO backend {name!r}; known: {', '.join(sorted(cls.KNOWN_BACKENDS))}"
            )
        return cls.KNOWN_BACKENDS[name]()

    def open(self, identifier: Pathlike, mode: str):
        raise NotImplementedError

    @classmethod
    def is_available(cls) -> bool:
        return True

    def handles_special_case(self, identifier: Pathlike) -> bool:
        return False

    def is_applicable(self, identifier: Pathlike) -> bool:
        return True


class BuiltinIOBackend(IOBackend):
    """Python's built-in ``open`` for local paths."""

    def open(self, identifier: Pathlike, mode: str):
        return open(identifier, mode=mode)

    def is_applicable(self, identifier: Pathlike) -> bool:
        return not is_valid_url(str(identifier))


class RedirectIOBackend(IOBackend):
    """``-`` means standard input (mode ``r``) or standard output (mode ``w``)."""

    def open(self, identifier: Pathlike, mode: str):
        if mode == "r":
            return StdStreamWrapper(sys.stdin)
        if mode == "w":
            return StdStreamWrapper(sys.stdout)
        raise ValueError(f"'-' opens only with mode 'r' or 'w', not {mode!r}")

    def handles_special_case(self, identifier: Pathlike) -> bool:
        return identifier == "-"

    def is_applicable(self, identifier: Pathlike) -> bool:
        return self.handles_special_case(identifier)


def commands_allowed_by_env() -> bool:
    """Whether ``NUPTSE_ALLOW_COMMANDS`` grants permission to run commands."""
    value = os.environ.get(ALLOW_COMMANDS_ENV, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


class PipeIOBackend(IOBackend):
    """``pipe:CMD`` runs ``CMD`` in a shell and reads its output (or writes its input).

    Running commands named in a data file is a code-execution risk, so by
    default this backend refuses unless ``allow_commands`` is true,
    ``NUPTSE_ALLOW_COMMANDS=1`` is set, or the user selected this backend
    explicitly with :func:`set_current_io_backend`.
    """

    def __init__(self, allow_commands: Optional[bool] = None):
        self.allow_commands = allow_commands

    def open(self, identifier: Pathlike, mode: str):
        command = str(identifier)[len("pipe:") :]
        allowed = self.allow_commands
        if allowed is None:
            allowed = commands_allowed_by_env() or get_current_io_backend() is self
        if not allowed:
            raise CommandNotAllowedError(
                f"Refusing to run the shell command in {str(identifier)!r}: it executes "
                f"arbitrary code. Set {ALLOW_COMMANDS_ENV}=1, or select the backend "
                "explicitly: nuptse.serialization.set_current_io_backend(PipeIOBackend())."
            )
        return Pipe(command, mode=mode, shell=True, bufsize=8092)

    def handles_special_case(self, identifier: Pathlike) -> bool:
        return str(identifier).startswith("pipe:")

    def is_applicable(self, identifier: Pathlike) -> bool:
        return self.handles_special_case(identifier)


class GzipIOBackend(IOBackend):
    """``gzip.open`` for local ``.gz`` files (text mode unless ``b`` is asked for)."""

    def open(self, identifier: Pathlike, mode: str):
        if "t" not in mode and "b" not in mode:
            mode += "t"
        return gzip_open_robust(identifier, mode)

    def handles_special_case(self, identifier: Pathlike) -> bool:
        identifier = str(identifier)
        return identifier.endswith(".gz") and not is_valid_url(identifier)

    def is_applicable(self, identifier: Pathlike) -> bool:
        return self.handles_special_case(identifier)


class SmartOpenIOBackend(IOBackend):
    """The optional ``smart_open`` package (S3, GCS, HTTP, ...)."""

    def open(self, identifier: Pathlike, mode: str):
        return SmartOpen.open(identifier, mode)

    @classmethod
    def is_available(cls) -> bool:
        return is_module_available("smart_open")


def is_aistore_available() -> bool:
    """Whether the ``aistore`` client is installed and ``AIS_ENDPOINT`` names a URL."""
    endpoint = os.environ.get(AIS_ENDPOINT_ENVVAR)
    return is_module_available("aistore") and endpoint is not None and is_valid_url(endpoint)


@lru_cache(maxsize=1)
def get_aistore_client() -> tuple[Any, Any]:
    """``(client, sdk_version)`` for the AIStore cluster at ``AIS_ENDPOINT``."""
    if not is_module_available("aistore"):
        raise ImportError("AIStore access needs the aistore package: pip install aistore")
    if not is_aistore_available():
        raise ValueError(f"Set {AIS_ENDPOINT_ENVVAR} to the URL of the AIStore cluster.")
    import aistore
    from packaging.version import parse as parse_version

    return aistore.Client(os.environ[AIS_ENDPOINT_ENVVAR]), parse_version(aistore.__version__)


class AIStoreIOBackend(IOBackend):
    """Objects in AIStore, through its Python client (needs ``AIS_ENDPOINT``)."""

    def open(self, identifier: str, mode: str):
        from packaging.version import parse as parse_version

        client, version = get_aistore_client()
        getter = getattr(client, "get_object_from_url", None) or client.fetch_object_by_url
        obj = getter(identifier)
        if "r" in mode:
            request = obj.get_reader() if hasattr(obj, "get_reader") else obj.get()
            f = request.as_file() if version >= parse_version("1.9.1") else request.raw()
            return gzip_open_robust(f) if identifier.endswith(".gz") else f
        if version < parse_version("1.10.0"):
            raise RuntimeError(f"Writing to AIStore needs aistore >= 1.10.0 (found {version})")
        return obj.get_writer().as_file()

    @classmethod
    def is_available(cls) -> bool:
        return is_aistore_available()

    def handles_special_case(self, identifier: Pathlike) -> bool:
        return str(identifier).startswith("ais://")

    def is_applicable(self, identifier: Pathlike) -> bool:
        return is_valid_url(str(identifier))


def get_lhotse_msc_override_protocols() -> Optional[str]:
    """Comma-separated URL schemes to open through MSC (``*_MSC_OVERRIDE_PROTOCOLS``)."""
    return _env("MSC_OVERRIDE_PROTOCOLS")


def get_lhotse_msc_profile() -> Optional[str]:
    """MSC profile that replaces the bucket of rewritten URLs (``*_MSC_PROFILE``)."""
    return _env("MSC_PROFILE")


def get_lhotse_msc_backend_forced() -> bool:
    """Whether every URL goes through MSC (``*_MSC_BACKEND_FORCED=true``)."""
    return (_env("MSC_BACKEND_FORCED", "false") or "").lower() == "true"


class MSCIOBackend(IOBackend):
    """NVIDIA's Multi-Storage Client (``multistorageclient``) for ``msc://`` URLs.

    Other URLs are rewritten to ``msc://`` when their scheme is listed in
    ``NUPTSE_MSC_OVERRIDE_PROTOCOLS`` (or lhotse's ``LHOTSE_...``), with the
    bucket replaced by ``*_MSC_PROFILE`` when set; ``*_MSC_BACKEND_FORCED=true``
    makes the backend applicable to every URL.
    """

    def open(self, identifier: str, mode: str):
        if not is_module_available("multistorageclient"):
            raise ImportError("MSCIOBackend needs: pip install multistorageclient")
        import multistorageclient as msc

        if self.is_msc_url(identifier):
            return msc.open(identifier, mode)
        protocols = get_lhotse_msc_override_protocols()
        for protocol in protocols.split(",") if protocols else []:
            if identifier.startswith(protocol):
                identifier = MSC_PREFIX + identifier[len(protocol) :]
                break
        profile = get_lhotse_msc_profile()
        if profile:
            identifier = replace_bucket_with_profile_name(identifier, profile)
        return msc.open(identifier, mode)

    @classmethod
    def is_available(cls) -> bool:
        return is_module_available("multistorageclient")

    def handles_special_case(self, identifier: Pathlike) -> bool:
        return self.is_msc_url(identifier)

    def is_applicable(self, identifier: Pathlike) -> bool:
        return self.is_available() and (
            self.is_msc_url(identifier)
            or (get_lhotse_msc_backend_forced() and is_valid_url(str(identifier)))
        )

    @staticmethod
    def is_msc_url(identifier: Any) -> bool:
        return str(identifier).startswith(f"{MSC_PREFIX}://")


def _split_tar_path(identifier: Pathlike) -> Optional[tuple[str, str]]:
    text = str(identifier)
    for suffix in _TAR_SUFFIXES:
        marker = suffix + "/"
        if marker in text:
            archive, member = text.split(marker, 1)
            return archive + suffix, member
    return None


class TarAsDirBackend(IOBackend):
    """Reads ``/path/archive.tar/inner/file.txt`` as the member ``inner/file.txt`` of the archive.

    Also ``.tar.gz``, ``.tar.bz2`` and ``.tar.xz``.  A missing archive or
    member raises ``FileNotFoundError`` naming both.
    """

    def open(self, file: Pathlike, mode: str = "r", **kwargs: Any):
        import io
        import tarfile

        parts = _split_tar_path(file)
        if parts is None:
            return open(file, mode, **kwargs)
        archive, member = parts
        if not os.path.exists(archive):
            raise FileNotFoundError(f"Tar file {archive!r} not found (opening {str(file)!r})")
        try:
            with tarfile.open(archive, "r") as tar:
                data = tar.extractfile(member)
                if data is None:
                    raise KeyError(member)
                payload = data.read()
        except (tarfile.TarError, KeyError) as e:
            raise FileNotFoundError(f"File {member!r} not found in {archive!r}: {e}") from None
        stream = io.BytesIO(payload)
        return stream if "b" in mode else io.TextIOWrapper(stream, encoding="utf-8")

    def handles_special_case(self, identifier: Pathlike) -> bool:
        return _split_tar_path(identifier) is not None

    def is_applicable(self, identifier: Pathlike) -> bool:
        return self.handles_special_case(identifier)


class CompositeIOBackend(IOBackend):
    """Tries several backends: the first that handles an identifier as a special
    case wins, else the first that is applicable to it."""

    def __init__(self, backends: list[IOBackend]):
        self.backends = backends

    def open(self, identifier: Pathlike, mode: str):
        for backend in self.backends:
            if backend.handles_special_case(identifier):
                return backend.open(identifier, mode)
        for backend in self.backends:
            if backend.is_applicable(identifier):
                return backend.open(identifier, mode)
        raise ValueError(f"No IO backend can open {str(identifier)!r}")

    def handles_special_case(self, identifier: Pathlike) -> bool:
        return any(b.handles_special_case(identifier) for b in self.backends)

    def is_applicable(self, identifier: Pathlike) -> bool:
        return any(b.is_applicable(identifier) for b in self.backends)


_current: Optional[IOBackend] = None


def available_io_backends() -> list[str]:
    """``"default"`` and the names of the registered backends usable here."""
    return ["default"] + sorted(
        name for name, cls in IOBackend.KNOWN_BACKENDS.items() if cls.is_available()
    )


@lru_cache(maxsize=1)
def get_default_io_backend() -> IOBackend:
    """The composite backend lhotse uses by default: special cases (``-``,
    ``pipe:``, tar members, MSC, AIStore), then ``smart_open``, gzip and ``open``."""
    backends: list[IOBackend] = [RedirectIOBackend(), PipeIOBackend(), TarAsDirBackend()]
    if MSCIOBackend.is_available():
        backends.append(MSCIOBackend())
    if AIStoreIOBackend.is_available():
        backends.append(AIStoreIOBackend())
    if SmartOpenIOBackend.is_available():
        backends.append(SmartOpenIOBackend())
    backends += [GzipIOBackend(), BuiltinIOBackend()]
    return CompositeIOBackend(backends)


def get_current_io_backend() -> IOBackend:
    """The backend set by the user, else the one ``NUPTSE_IO_BACKEND`` (or
    ``LHOTSE_IO_BACKEND``) names, else the default."""
    if _current is not None:
        return _current
    name = _env("IO_BACKEND")
    return set_current_io_backend(name if name is not None else "default")


def user_selected_io_backend() -> bool:
    """Whether a backend other than the default was chosen (by call or environment)."""
    return get_current_io_backend() is not get_default_io_backend()


def set_current_io_backend(backend: Union[IOBackend, type, str]) -> IOBackend:
    """Open every path through ``backend`` (an instance, a class, a registered
    name, or ``"default"``) from now on; returns the backend instance."""
    global _current
    if isinstance(backend, str):
        backend = get_default_io_backend() if backend == "default" else IOBackend.new(backend)
    elif isinstance(backend, type):
        backend = backend()
    if not isinstance(backend, IOBackend):
        raise TypeError(f"Expected an IOBackend, its class or its name, got {backend!r}")
    _current = backend
    return backend


@contextmanager
def io_backend(backend: Union[IOBackend, type, str]) -> Generator[IOBackend, None, None]:
    """Use ``backend`` inside a ``with`` block, then restore the previous one."""
    previous = _current
    try:
        yield set_current_io_backend(backend)
    finally:
        globals()["_current"] = previous
