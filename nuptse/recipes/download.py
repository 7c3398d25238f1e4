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
from pathlib import Path

from nuptse.serialization import Pathlike
from nuptse.utils import (
    DownloadError,
    UnsafeArchiveError,
    resumable_download,
    safe_extract,
    safe_extract_zip,
)

logger = logging.getLogger(__name__)


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
