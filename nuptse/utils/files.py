"""Paths and URLs, archives, downloads, shell pipes and the ``smart_open`` wrapper."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlparse, urlunparse

from nuptse.utils.types import Pathlike

logger = logging.getLogger(__name__)

_DOWNLOAD_CHUNK = 1 << 20


def is_valid_url(value: str) -> bool:
    """Whether ``value`` parses as a URL with both a scheme and a host.

    >>> is_valid_url("s3://bucket/key"), is_valid_url("/local/path")
    (True, False)
    """
    try:
        parsed = urlparse(value)
    except (AttributeError, TypeError, ValueError):
        return False
    return bool(parsed.scheme) and bool(parsed.netloc)


def replace_bucket_with_profile_name(identifier: str, profile_name: str) -> str:
    """``identifier`` with its URL host (bucket) replaced by ``profile_name``.

    >>> replace_bucket_with_profile_name("msc://bucket/a/b.jsonl", "profile")
    'msc://profile/a/b.jsonl'
    """
    return urlunparse(urlparse(identifier)._replace(netloc=profile_name))


class SmartOpen:
    """Opens URLs (S3, GCS, HTTP, ...) with the optional ``smart_open`` package.

    ``SmartOpen.setup(transport_params=...)`` sets parameters shared by every
    later call (e.g. one reused S3 client, which is much faster than a client
    per file); :meth:`open` calls it on first use.
    """

    transport_params: Optional[dict] = None
    smart_open: Optional[Callable] = None
    import_err_msg = (
        "Opening URLs needs the smart_open package: 'pip install smart_open' "
        "(or 'pip install smart_open[s3]', smart_open[gcs], ... for cloud storage)."
    )

    @classmethod
    def setup(cls, transport_params: Optional[dict] = None) -> None:
        try:
            from smart_open import open as smart_open_fn
        except ImportError as e:
            raise ImportError(cls.import_err_msg) from e
        if cls.transport_params is not None and cls.transport_params != transport_params:
            logger.warning(
                "SmartOpen.setup called again: replacing transport_params %r with %r",
                cls.transport_params,
                transport_params,
            )
        cls.transport_params = transport_params
        cls.smart_open = smart_open_fn

    @classmethod
    def open(cls, uri: Any, mode: str = "rb", transport_params: Optional[dict] = None, **kwargs):
        if cls.smart_open is None:
            cls.setup(transport_params=transport_params)
        return cls.smart_open(
            uri, mode=mode, transport_params=transport_params or cls.transport_params, **kwargs
        )


class DownloadError(OSError):
    """A download could not be completed; the message names the URL."""


class UnsafeArchiveError(ValueError):
    """An archive member would be written outside the extraction folder."""


def resumable_download(
    url: str,
    filename: Pathlike,
    force_download: bool = False,
    completed_file_size: Optional[int] = None,
    missing_ok: bool = False,
    ssl_context: Any = None,
    additional_headers: Optional[dict[str, str]] = None,
) -> None:
    """Download ``url`` to ``filename``, continuing a partial file where the server allows it.

    A file of ``completed_file_size`` bytes is taken as done.  With
    ``missing_ok``, a 404 is logged and skipped instead of raised.
    """
    import urllib.error
    import urllib.request

    filename = Path(filename)
    filename.parent.mkdir(parents=True, exist_ok=True)
    if force_download and filename.exists():
        filename.unlink()
    have = filename.stat().st_size if filename.exists() else 0
    if completed_file_size is not None and have == completed_file_size:
        return
    headers = {"User-Agent": "nuptse-recipes"}
    if have:
        headers["Range"] = f"bytes={have}-"
    headers.update(additional_headers or {})
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, context=ssl_context)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # nothing left to fetch: the file is complete
            return
        if e.code == 404 and missing_ok:
            logger.warning("%s: not found (404); skipped", url)
            return
        raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from e
    except urllib.error.URLError as e:
        raise DownloadError(f"{url}: {e.reason}") from e
    with response:
        status = getattr(response, "status", None)
        resumed = have > 0 and status == 206
        length = response.headers.get("Content-Length")
        total = (int(length) + (have if resumed else 0)) if length else None
        from tqdm.auto import tqdm

        with (
            open(filename, "ab" if resumed else "wb") as out,
            tqdm(
                total=total,
                initial=have if resumed else 0,
                unit="B",
                unit_scale=True,
                desc=filename.name,
                disable=None,
            ) as bar,
        ):
            while True:
                chunk = response.read(_DOWNLOAD_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                bar.update(len(chunk))
    if total is not None and filename.stat().st_size != total:
        raise DownloadError(
            f"{url}: got {filename.stat().st_size} bytes of {total}; run again to resume"
        )


def _inside(root: Path, target: Path) -> bool:
    root = root.resolve()
    try:
        target.resolve().relative_to(root)
        return True
    except ValueError:
        return False


def safe_extract(
    tar: Any,
    path: Pathlike = ".",
    members: Optional[list] = None,
    *,
    numeric_owner: bool = False,
) -> None:
    """Extract an open ``tarfile.TarFile`` into ``path``, refusing path traversal."""
    root = Path(path)
    for member in tar.getmembers():
        if not _inside(root, root / member.name):
            raise UnsafeArchiveError(f"{tar.name}: member {member.name!r} is outside {root}")
        if (member.issym() or member.islnk()) and not _inside(
            root, (root / member.name).parent / member.linkname
        ):
            raise UnsafeArchiveError(
                f"{tar.name}: link {member.name!r} -> {member.linkname!r} points outside {root}"
            )
    tar.extractall(root, members, numeric_owner=numeric_owner)


def safe_extract_rar(rar: Any, path: Pathlike = ".", members: Optional[list] = None) -> None:
    """Extract an open ``rarfile.RarFile`` into ``path``, refusing path traversal."""
    root = Path(path)
    for member in rar.infolist():
        if not _inside(root, root / member.filename):
            raise UnsafeArchiveError(
                f"{getattr(rar, 'filename', 'rar')}: member {member.filename!r} is outside {root}"
            )
    rar.extractall(root, members)


def safe_extract_zip(zf: Any, path: Pathlike = ".") -> None:
    """Extract an open ``zipfile.ZipFile`` into ``path``, refusing path traversal."""
    root = Path(path)
    for name in zf.namelist():
        if not _inside(root, root / name):
            raise UnsafeArchiveError(f"{zf.filename}: member {name!r} is outside {root}")
    zf.extractall(root)


class Pipe:
    """A file-like stream connected to a subprocess's stdin or stdout.

    ``mode`` ``"r"``/``"rb"`` reads the command's output, ``"w"``/``"wb"``
    writes its input.  Closing waits for the process and raises when it exits
    with a status outside ``[0, 141] + ignore_status`` (141: broken pipe),
    unless ``ignore_errors``.  Other arguments go to ``subprocess.Popen``.
    """

    def __init__(
        self,
        *args: Any,
        mode: str,
        timeout: float = 7200.0,
        ignore_errors: bool = False,
        ignore_status: Optional[list] = None,
        **kw: Any,
    ):
        from subprocess import PIPE, Popen

        self.ignore_errors = ignore_errors
        self.ignore_status = [0, 141] + list(ignore_status or [])
        self.timeout = timeout
        self.args = (args, kw)
        text = "b" not in mode
        if mode.startswith("r"):
            self.proc = Popen(*args, stdout=PIPE, text=text, **kw)
            self.stream = self.proc.stdout
        elif mode.startswith("w"):
            self.proc = Popen(*args, stdin=PIPE, text=text, **kw)
            self.stream = self.proc.stdin
        else:
            raise ValueError(f"Pipe mode must start with 'r' or 'w', got {mode!r}")
        if self.stream is None:
            raise ValueError(f"Could not open a pipe to {args}")
        self.status: Optional[int] = None

    def __str__(self) -> str:
        return f"<Pipe {self.args}>"

    def check_status(self) -> None:
        if self.proc.poll() is not None:
            self.wait_for_child()

    def is_running(self) -> bool:
        return self.proc.poll() is None

    def wait_for_child(self) -> None:
        if self.status is not None:
            return
        self.status = self.proc.wait()
        if self.status not in self.ignore_status and not self.ignore_errors:
            raise OSError(f"{self.args}: command exited with status {self.status}")

    def read(self, *args: Any, **kw: Any):
        result = self.stream.read(*args, **kw)
        self.check_status()
        return result

    def write(self, *args: Any, **kw: Any):
        result = self.stream.write(*args, **kw)
        self.check_status()
        return result

    def readline(self, *args: Any, **kw: Any):
        result = self.stream.readline(*args, **kw)
        self.check_status()
        return result

    def close(self) -> None:
        self.stream.close()
        self.proc.wait(self.timeout)
        self.wait_for_child()

    def __iter__(self):
        while line := self.readline():
            yield line

    def __enter__(self) -> Pipe:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
