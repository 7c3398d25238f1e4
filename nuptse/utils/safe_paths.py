"""File names derived from manifest content, kept inside the folder they were meant for.

Ids and keys in manifests come from whoever wrote the manifest. When a
command turns one into a file name (``shar import`` writing ``audio/<id>.flac``,
a feature writer storing ``<key>.llc``), an id such as ``../../x/owned`` or
``/etc/x`` must not reach outside the output folder. These helpers map any id
to a plain file name and check that a joined path stays under its base.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Union

__all__ = ["UnsafePathError", "safe_file_name", "contained_path"]

_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.,+=@-]{0,199}$")


class UnsafePathError(ValueError):
    """A name taken from a manifest would place a file outside its output folder."""


def safe_file_name(name: str) -> str:
    """A plain file name for ``name``: unchanged when it is already plain, else sanitised.

    A plain name has no path separator, does not start with a dot and is at
    most 200 characters. Any other name has its unsafe characters replaced by
    ``_`` and an 8-hex-digit digest of the original appended, so two
    different ids never map to the same file name.

    >>> safe_file_name("rec-1_0.5")
    'rec-1_0.5'
    >>> safe_file_name("../../x/owned")
    '_.._x_owned-d0c264e1'
    """
    name = str(name)
    if _PLAIN.match(name):
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    cleaned = re.sub(r"[^A-Za-z0-9_.,+=@-]", "_", name)[:120].lstrip(".") or "_"
    return f"{cleaned}-{digest}"


def contained_path(base: Union[str, os.PathLike], relative: Union[str, os.PathLike]) -> Path:
    """``base / relative``, refusing a result that is not inside ``base``.

    Absolute paths, ``..`` components and symlinks that lead out of ``base``
    raise :class:`UnsafePathError` naming both paths.

    >>> contained_path("/data/out", "audio/a.flac").as_posix()
    '/data/out/audio/a.flac'
    """
    base_path = Path(base)
    rel = os.fspath(relative)
    if "\x00" in rel:
        raise UnsafePathError(f"path {rel!r} contains a NUL byte (base folder {str(base)!r})")
    candidate = base_path / rel
    root = os.path.realpath(base_path)
    real = os.path.realpath(candidate)
    if os.path.isabs(rel) or not (real == root or real.startswith(root.rstrip(os.sep) + os.sep)):
        raise UnsafePathError(
            f"refusing to write {rel!r}: it resolves to {real!r}, outside the output folder "
            f"{str(base)!r}"
        )
    return candidate
