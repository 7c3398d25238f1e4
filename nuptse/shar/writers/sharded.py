"""What the sharded writers share: a ``%``-pattern for shard names and a shard size."""

from __future__ import annotations

import logging
from typing import Any, Optional

from nuptse.shar.errors import SharError

logger = logging.getLogger(__name__)


class ShardedWriter:
    """Base of :class:`TarWriter` and :class:`JsonlShardWriter`.

    ``pattern`` names the output (``"dir/cuts.%06d.jsonl.gz"``); with a
    ``%``-marker a new shard starts every ``shard_size`` items, numbered from
    ``shard_offset``.  Subclasses implement :meth:`reset`.
    """

    def __init__(self, pattern: Any, shard_size: Optional[int] = 1000, shard_offset: int = 0):
        self.pattern = str(pattern)
        if self.sharding_enabled:
            if shard_size is None or shard_size < 1:
                raise SharError(
                    f"shard_size must be a positive int when the pattern has a shard marker, "
                    f"got {shard_size!r}",
                    shard=self.pattern,
                )
        elif shard_size is not None:
            # (lhotse's wording, which callers' log checks look for)
            logger.warning(
                "Sharding is disabled because `pattern` doesn't contain a formatting marker "
                "(e.g., '%%06d'), but shard_size is not None - ignoring shard_size. (pattern: %s)",
                self.pattern,
            )
            shard_size = None
        self.shard_size = shard_size
        self.initial_shard_offset = int(shard_offset)
        self.gzip = self.pattern.endswith(".gz")
        self.reset()

    @property
    def sharding_enabled(self) -> bool:
        return "%" in self.pattern

    def reset(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
