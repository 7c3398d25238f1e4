"""Exceptions raised while writing or reading Lhotse Shar data.

Every error is a :class:`SharError` (itself a ``ValueError``) and names the
shard file and, where there is one, the tar member or cut it is about.
"""

from __future__ import annotations

from typing import Any, Optional


class SharError(ValueError):
    """Base class: a Shar directory, shard or member is unusable as given."""

    def __init__(self, message: str, shard: Any = None, member: Optional[str] = None):
        self.shard = None if shard is None else str(shard)
        self.member = member
        self.reason = message
        where = []
        if self.shard is not None:
            where.append(f"shard {self.shard!r}")
        if member is not None:
            where.append(f"member {member!r}")
        suffix = f" [{', '.join(where)}]" if where else ""
        super().__init__(f"{message}{suffix}")


class UnsafeMemberError(SharError):
    """A tar member has an absolute name, a ``..`` component, or is not a plain file."""


class TruncatedShardError(SharError):
    """A tar shard ends in the middle of a member or lacks its end-of-archive marker."""


class CorruptShardError(SharError):
    """A tar header fails its checksum or cannot be parsed."""


class SharMismatchError(SharError):
    """Tar members do not line up with the cuts of the shard's manifest."""


class SharLayoutError(SharError):
    """A Shar directory or ``fields`` dict is incomplete or inconsistent."""


class IncompatibleOptionsError(SharError, AssertionError):
    """Reader options that cannot work together (an ``AssertionError`` too, as in lhotse)."""


class PipeNotAllowedError(SharError, PermissionError):
    """A ``pipe:`` shard source would run a shell command without permission."""

    __str__ = ValueError.__str__


__all__ = [
    "SharError",
    "IncompatibleOptionsError",
    "UnsafeMemberError",
    "TruncatedShardError",
    "CorruptShardError",
    "SharMismatchError",
    "SharLayoutError",
    "PipeNotAllowedError",
]
