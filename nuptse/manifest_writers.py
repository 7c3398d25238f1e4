"""Writing manifests item by item: resumable JSON-lines writers and lazy splitting.

:class:`SequentialJsonlWriter` appends items to ``<path>.partial`` and renames
it onto ``path`` when closed, so a crash never leaves a complete-looking file;
it can resume an interrupted run.  :class:`InMemoryWriter` has the same API
and keeps the items.  :func:`split_manifest_lazy` streams any iterable of
items into numbered ``.jsonl.gz`` chunks.  ``ManifestSet.open_writer`` and
``split_lazy`` use these; they are re-exported from :mod:`nuptse.manifest`.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable
from itertools import islice
from pathlib import Path
from typing import Any

from nuptse.serialization import (
    JSONDecodeError,
    ManifestParseError,
    Pathlike,
    UnsupportedFormatError,
    _local,
    detect_format,
    dumps_line,
    exists,
    is_url,
    loads,
    open_best,
)
from nuptse.utils.writer_lock import WriterLock

logger = logging.getLogger(__name__)

__all__ = ["InMemoryWriter", "SequentialJsonlWriter", "split_manifest_lazy"]


class SequentialJsonlWriter:
    """Writes manifest items one at a time to ``.jsonl`` / ``.jsonl.gz``.

    While open, data goes to ``<path>.partial``; :meth:`close` renames it onto
    ``path``, so a crash never leaves a file at ``path`` that looks complete.
    With ``overwrite=False`` the writer resumes: it reads the items already
    written (in ``<path>.partial`` or ``path``), drops a last line that a crash
    cut off (with a warning), and skips items whose id was written before.
    Leaving a ``with`` block through an exception keeps the partial file so the
    next run resumes from it.
    """

    def __init__(self, path: Pathlike, overwrite: bool = True, manifest_cls=None):
        fmt, gz = detect_format(path)
        if fmt != "jsonl":
            raise UnsupportedFormatError(f"{path}: a sequential writer writes .jsonl or .jsonl.gz")
        self.path = path
        self.manifest_cls = manifest_cls
        self.gz = gz
        self.ignore_ids: set[str] = set()
        self._url = is_url(path)
        self.partial = path if self._url else _local(path) + ".partial"
        # A second writer on the same path would interleave with this one: refuse it.
        self._lock = None if self._url else WriterLock(self.partial, str(path)).acquire()
        existing: list[bytes] = []
        if not overwrite:
            try:
                existing = self._recover()
            except BaseException:
                if self._lock is not None:
                    self._lock.release()
                raise
        if self._url:
            self.file = open_best(path, "wb")
        else:
            Path(self.partial).parent.mkdir(parents=True, exist_ok=True)
            self.file = open_best(self.partial, "wb", gz=self.gz)
        for line in existing:
            self.file.write(line)
        self.file.flush()

    def _recover(self) -> list[bytes]:
        """Lines already written by an earlier run, minus a cut-off last line."""
        source = None
        if not self._url and os.path.exists(self.partial):
            source = self.partial
        elif exists(self.path):
            source = self.path
        if source is None:
            return []
        with open_best(source, "rb", gz=False) as f:
            raw = f.read()
        if self.gz:
            raw = _salvage_gzip(raw, source)
        lines = raw.splitlines(keepends=True)
        good: list[bytes] = []
        for n, line in enumerate(lines, start=1):
            try:
                item = loads(line)
                if not line.endswith(b"\n"):
                    line += b"\n"
            except JSONDecodeError:
                if n == len(lines):
                    logger.warning(
                        "%s: dropped line %d, which a crash cut off; it will be rewritten",
                        source,
                        n,
                    )
                    break
                raise ManifestParseError(
                    source, n, "invalid JSON in a manifest being resumed"
                ) from None
            if isinstance(item, dict) and "id" in item:
                self.ignore_ids.add(item["id"])
            elif self.manifest_cls is not None:
                raise ManifestParseError(
                    source,
                    n,
                    "a line without an 'id' field in a manifest being resumed; every "
                    f"{self.manifest_cls.__name__} item has one, so this is not a file this "
                    "writer wrote (pass overwrite=True to start over)",
                )
            good.append(line)
        return good

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.file.close()  # keep the .partial file for resuming
            if self._lock is not None:
                self._lock.release()

    def contains(self, item_id: str | Any) -> bool:
        """Whether an item with this id was already written."""
        return (item_id if isinstance(item_id, str) else item_id.id) in self.ignore_ids

    __contains__ = contains

    def write(self, manifest: Any, flush: bool = False) -> None:
        """Append one item or plain dict (skipped if its id was written before)."""
        if isinstance(manifest, dict):
            key, data = manifest.get("id"), manifest
        else:
            key, data = manifest.id, manifest.to_dict()
        if key is not None and key in self.ignore_ids:
            return
        self.file.write(dumps_line(data))
        if key is not None:
            self.ignore_ids.add(key)
        if flush:
            self.file.flush()

    def close(self) -> None:
        if self.file.closed:
            return
        self.file.close()
        if not self._url:
            os.replace(self.partial, _local(self.path))
            self._lock.release()

    def open_manifest(self):
        """The written manifest, opened lazily (closes the writer first)."""
        self.close()
        if self.manifest_cls is None:
            # the type is recognised by the manifest layer above this module
            return importlib.import_module("nuptse.manifest").load_manifest_lazy(self.path)
        return self.manifest_cls.from_jsonl_lazy(self.path)


def split_manifest_lazy(
    it: Iterable[Any],
    output_dir: Pathlike,
    chunk_size: int,
    prefix: str = "",
    num_digits: int = 8,
    start_idx: int = 0,
    manifest_cls: type | None = None,
) -> list:
    """Write ``it`` in chunks of ``chunk_size`` items, one ``.jsonl.gz`` file each; open them lazily.

    Chunk ``i`` goes to ``{output_dir}/{prefix}.{i:0{num_digits}}.jsonl.gz``
    (``prefix`` defaults to ``"split"``), counting from ``start_idx``.  Items
    are streamed, so a lazily opened input is never held in memory.

    >>> import tempfile
    >>> from nuptse.supervision import SupervisionSegment
    >>> segs = [SupervisionSegment(f"s{i}", "rec", 0.0, 1.0) for i in range(5)]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [len(part) for part in split_manifest_lazy(segs, d, chunk_size=2)]
    [2, 2, 1]
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    prefix = prefix or "split"
    chunks = []
    items = iter(it)
    index = start_idx
    while True:
        batch = list(islice(items, chunk_size))
        if not batch:
            return chunks
        # The index replaces the prefix's last suffix, as lhotse names chunks:
        # prefix "cuts.jsonl" gives cuts.00000000.jsonl.gz.
        path = (output_dir / prefix).with_suffix(f".{str(index).zfill(num_digits)}.jsonl.gz")
        with SequentialJsonlWriter(path, manifest_cls=manifest_cls) as writer:
            for item in batch:
                writer.write(item)
        chunks.append(writer.open_manifest())
        index += 1


def _salvage_gzip(raw: bytes, source: Any) -> bytes:
    """Decompress every complete part of a (possibly multi-member, cut-off) gzip stream."""
    import zlib

    out = bytearray()
    while raw:
        d = zlib.decompressobj(wbits=31)
        try:
            out += d.decompress(raw)
        except zlib.error as e:
            logger.warning("%s: corrupt gzip data (%s); keeping what came before", source, e)
            break
        if not d.eof:
            logger.warning("%s: the gzip stream was cut off; keeping complete lines", source)
            break
        raw = d.unused_data
    return bytes(out)


class InMemoryWriter:
    """The :class:`SequentialJsonlWriter` API, keeping items in memory."""

    def __init__(self, manifest_cls=None):
        self.manifest_cls = manifest_cls
        self.items: list = []
        self.ignore_ids: set[str] = set()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def contains(self, item_id) -> bool:
        return (item_id if isinstance(item_id, str) else item_id.id) in self.ignore_ids

    __contains__ = contains

    def write(self, manifest: Any, flush: bool = False) -> None:
        if manifest.id in self.ignore_ids:
            return
        self.items.append(manifest)
        self.ignore_ids.add(manifest.id)

    def close(self) -> None:
        pass

    def open_manifest(self):
        if self.manifest_cls is None:
            raise TypeError("an InMemoryWriter without a manifest class cannot build a set")
        return self.manifest_cls.from_items(self.items)
