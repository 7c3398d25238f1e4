"""JSON-lines output split into numbered shards (``cuts.000000.jsonl.gz``...).

Each shard is buffered in memory (a shard of cut manifests is small) and
written in one go under a temporary name, then renamed: a shard file is
either complete or absent.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from nuptse.serialization import dumps_line
from nuptse.shar._io import AtomicShardFile
from nuptse.shar.errors import SharError
from nuptse.shar.writers.sharded import ShardedWriter

logger = logging.getLogger(__name__)


def _dumps(item: Any) -> bytes:
    return dumps_line(item if isinstance(item, dict) else item.to_dict())


class JsonlShardWriter(ShardedWriter):
    """Write cuts (or dicts) into ``pattern % shard_index`` JSON-lines files.

    ``.gz`` patterns are gzip-compressed.  Like :class:`TarWriter`, a shard
    is published only when complete, and an exception inside the ``with``
    block discards the unfinished one.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> with JsonlShardWriter(os.path.join(d, "c.%06d.jsonl"), shard_size=2) as w:
    ...     for i in range(3):
    ...         w.write({"id": str(i)})
    >>> sorted(os.listdir(d))
    ['c.000000.jsonl', 'c.000001.jsonl']
    """

    def reset(self) -> None:
        self.fname: Optional[str] = None
        self._lines: Optional[list[bytes]] = None
        self.num_shards = self.initial_shard_offset
        self.num_items = 0
        self.num_items_total = 0
        self._written: list[str] = []

    def __enter__(self):
        self.reset()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    @property
    def output_paths(self) -> list[str]:
        return list(self._written)

    def close(self) -> None:
        self.commit_current()

    def abort(self) -> None:
        self._lines = None

    def commit_current(self) -> None:
        if self._lines is None:
            return
        payload = b"".join(self._lines)
        if self.gzip:
            from isal import isal_zlib

            comp = isal_zlib.compressobj(1, isal_zlib.DEFLATED, 16 + 15)
            payload = comp.compress(payload) + comp.flush()
        out = AtomicShardFile(self.fname)
        try:
            out.write(payload)
        except BaseException:
            out.abort()
            raise
        out.commit()
        self._written.append(self.fname)
        self._lines = None

    def _open_next(self) -> None:
        self.commit_current()
        if self.sharding_enabled:
            self.fname = self.pattern % self.num_shards
            self.num_shards += 1
        else:
            if self._written:
                raise SharError(
                    "a JsonlShardWriter without a shard marker writes a single file; it was "
                    "already closed",
                    shard=self.pattern,
                )
            self.fname = self.pattern
        self._lines = []
        self.num_items = 0

    def write(self, data: Any, flush: bool = False) -> None:
        """Append a cut (anything with ``to_dict``) or a dict."""
        if self._lines is None or (self.sharding_enabled and self.num_items >= self.shard_size):
            self._open_next()
        self._lines.append(_dumps(data))
        self.num_items += 1
        self.num_items_total += 1

    def write_placeholder(self, cut_id: str, flush: bool = False) -> None:
        """Record that cut ``cut_id`` has no value for this field."""
        self.write({"cut_id": cut_id}, flush=flush)
