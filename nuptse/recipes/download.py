"""Fetching and unpacking corpus archives for the ``download_X`` recipes.

:func:`resumable_download` continues a partial file with an HTTP ``Range``
request (starting over when the server ignores it) and understands
``file://`` URLs, so recipes can be pointed at a local mirror.
:func:`safe_extract` and :func:`safe_extract_zip` refuse archive members that
would land outside the target folder (``../`` names, absolute paths, links
pointing out).
"""

from __future__ import annotations

import logging
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any, Optional

from nuptse.serialization import Pathlike

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20


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
                chunk = response.read(_CHUNK)
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
    """Extract an open :class:`tarfile.TarFile` into ``path``, refusing path traversal."""
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


def safe_extract_zip(zf: zipfile.ZipFile, path: Pathlike = ".") -> None:
    """Extract an open :class:`zipfile.ZipFile` into ``path``, refusing path traversal."""
    root = Path(path)
    for name in zf.namelist():
        if not _inside(root, root / name):
            raise UnsafeArchiveError(f"{zf.filename}: member {name!r} is outside {root}")
    zf.extractall(root)


def download_and_untar(
    url: str,
    target_dir: Pathlike,
    archive_name: str,
    extracted: Pathlike,
    force_download: bool = False,
) -> Path:
    """Fetch a tarball into ``target_dir`` and unpack it once.

    ``extracted`` is the folder the archive creates; a ``.completed`` marker in
    it makes later calls return at once.  An unpacked copy without the marker
    (an interrupted run) is removed and unpacked again.
    """
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    extracted = Path(extracted)
    marker = extracted / ".completed"
    if marker.is_file() and not force_download:
        logger.info("%s is already unpacked (%s exists)", archive_name, marker)
        return extracted
    archive = target_dir / archive_name
    resumable_download(url, archive, force_download=force_download)
    shutil.rmtree(extracted, ignore_errors=True)
    with tarfile.open(archive) as tar:
        safe_extract(tar, target_dir)
    extracted.mkdir(parents=True, exist_ok=True)
    marker.touch()
    return extracted


def file_url(path: Pathlike) -> str:
    """``file://`` URL of a local path (for pointing a recipe at a local mirror)."""
    return Path(os.path.abspath(path)).as_uri()


__all__ = [
    "DownloadError",
    "UnsafeArchiveError",
    "download_and_untar",
    "file_url",
    "resumable_download",
    "safe_extract",
    "safe_extract_zip",
]
