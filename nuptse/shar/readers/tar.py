"""Streaming, validating reader for Shar tar shards.

:func:`iter_tar_members` parses the tar format itself, one member at a time,
without seeking and without ever touching the filesystem: a member's bytes
are only returned to the caller.  It rejects what a Shar shard never holds
(absolute names, ``..`` components, links, devices), verifies header
checksums, and reports a shard that ends early, naming the shard and member.

:class:`TarIterator` pairs each data member with the manifest member that
follows it, as Shar writes them, and returns the manifest with the data
attached (``memory`` audio, ``memory_lilcom``/``memory_npy`` arrays).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any, NamedTuple, Optional

from nuptse.serialization import JSONDecodeError, loads
from nuptse.shar._io import open_input
from nuptse.shar.errors import (
    CorruptShardError,
    SharMismatchError,
    TruncatedShardError,
    UnsafeMemberError,
)
from nuptse.shar.writers.tar import CHECKSUM_KEY

BLOCK = 512
_ZERO_BLOCK = bytes(BLOCK)
_GZIP_MAGIC = b"\x1f\x8b"
_REGULAR = (b"0", b"\0", b"7")
_NO_DATA_EXTS = (".nodata", ".nometa")


class TarMember(NamedTuple):
    name: str
    data: bytes


def _parse_octal(field: bytes, shard: Any, what: str, name: str) -> int:
    if field and field[0] & 0x80:  # GNU base-256 for big numbers
        value = int.from_bytes(field[1:], "big")
        return -value if field[0] & 0x40 else value
    text = field.split(b"\0", 1)[0].strip(b" ")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise CorruptShardError(
            f"invalid {what} field {bytes(field)!r} in a tar header", shard, name or None
        ) from None


def _checksum_ok(header: bytes, stored: int) -> bool:
    unsigned = sum(header) - sum(header[148:156]) + 8 * 32
    if unsigned == stored:
        return True
    signed = sum((b - 256 if b > 127 else b) for b in header[:148] + header[156:]) + 256
    return signed == stored


def check_member_name(name: str, shard: Any) -> str:
    """Reject names that would escape a directory if anyone extracted them."""
    if not name:
        raise UnsafeMemberError("a tar member has an empty name", shard, name)
    if "\\" in name or "\0" in name:
        raise UnsafeMemberError("a tar member name contains '\\' or NUL", shard, name)
    if name[0] == "/" or (len(name) > 1 and name[1] == ":"):
        raise UnsafeMemberError("a tar member has an absolute name", shard, name)
    if ".." in name and ".." in name.split("/"):
        raise UnsafeMemberError("a tar member name contains a '..' component", shard, name)
    return name


#: extended headers (pax records, GNU long names) hold a few names and numbers
MAX_EXTENDED_HEADER = 1 << 20
MAX_MEMBER_ENV = "NUPTSE_SHAR_MAX_MEMBER_BYTES"


def max_member_size() -> int:
    """Largest member a Shar tar may declare (4 GiB, or ``NUPTSE_SHAR_MAX_MEMBER_BYTES``):
    a damaged or crafted size must fail by name, not by exhausting memory."""
    raw = os.environ.get(MAX_MEMBER_ENV, "").strip()
    return int(raw) if raw.isdigit() else 4 << 30


def _parse_pax(data: bytes, shard: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        sp = data.find(b" ", pos)
        if sp < 0:
            break
        try:
            length = int(data[pos:sp])
        except ValueError:
            raise CorruptShardError("malformed pax extended header", shard) from None
        if length <= 0 or pos + length > len(data):
            raise CorruptShardError("malformed pax extended header length", shard)
        record = data[sp + 1 : pos + length - 1]  # without the trailing newline
        key, _, value = record.partition(b"=")
        out[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


class _Reader:
    """Exact-size reads from a stream, reporting early ends."""

    def __init__(self, f, shard: Any):
        self.f = f
        self.shard = shard

    def read(self, n: int) -> bytes:
        data = self.f.read(n)
        if len(data) == n or not data:
            return data
        parts = [data]
        got = len(data)
        while got < n:
            more = self.f.read(n - got)
            if not more:
                break
            parts.append(more)
            got += len(more)
        return b"".join(parts)


def _open_maybe_gzip(f, shard: Any):
    """Wrap ``f`` in a gzip decoder if it starts with the gzip magic."""
    head = f.read(2)
    if head == _GZIP_MAGIC:
        from isal import igzip

        return igzip.IGzipFile(fileobj=_Prefixed(head, f), mode="rb"), True
    return _Prefixed(head, f), False


class _Prefixed(io.RawIOBase):
    """A stream with some already-read bytes put back in front."""

    def __init__(self, head: bytes, f):
        self.head = head
        self.f = f

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = len(b)
        if self.head:
            k = min(n, len(self.head))
            b[:k] = self.head[:k]
            self.head = self.head[k:]
            return k
        data = self.f.read(n)
        b[: len(data)] = data
        return len(data)

    def read(self, n: int = -1) -> bytes:
        if not self.head:
            return self.f.read(n)
        if n is None or n < 0:
            data = self.head + self.f.read()
            self.head = b""
            return data
        if n <= len(self.head):
            data, self.head = self.head[:n], self.head[n:]
            return data
        data = self.head + self.f.read(n - len(self.head))
        self.head = b""
        return data

    def close(self) -> None:
        super().close()
        self.f.close()


def iter_tar_members(f, shard: Any = None) -> Iterator[TarMember]:
    """Yield the regular file members of a tar stream as ``(name, data)``.

    ``f`` is a binary file object read sequentially (gzip is detected).  Raises
    a :class:`~nuptse.shar.errors.SharError` subclass naming ``shard`` and the
    member for unsafe names, links, bad checksums and truncation.
    """
    stream, gz = _open_maybe_gzip(f, shard)
    r = _Reader(stream, shard)
    pax: dict[str, str] = {}
    long_name: Optional[str] = None
    last = None
    try:
        while True:
            header = r.read(BLOCK)
            if not header:
                raise TruncatedShardError(
                    "the tar ends without its end-of-archive marker (it was cut off"
                    + (f" after member {last!r})" if last else ")"),
                    shard,
                    last,
                )
            if len(header) < BLOCK:
                raise TruncatedShardError(
                    f"the tar ends inside a member header ({len(header)} of {BLOCK} bytes"
                    + (f", after member {last!r})" if last else ")"),
                    shard,
                    last,
                )
            if header == _ZERO_BLOCK:
                return  # end-of-archive marker
            raw_name = header[:100].split(b"\0", 1)[0]
            prefix = header[345:500].split(b"\0", 1)[0] if header[257:262] == b"ustar" else b""
            name = (prefix + b"/" + raw_name if prefix else raw_name).decode(
                "utf-8", "surrogateescape"
            )
            stored = _parse_octal(header[148:156], shard, "checksum", name)
            if not _checksum_ok(header, stored):
                raise CorruptShardError(
                    "a tar header fails its checksum (the shard is damaged or not a tar)",
                    shard,
                    name or last,
                )
            size = _parse_octal(header[124:136], shard, "size", name)
            kind = header[156:157]
            if size < 0:
                raise CorruptShardError(f"negative member size {size}", shard, name)
            if kind in (b"x", b"g", b"L", b"K"):
                if size > MAX_EXTENDED_HEADER:
                    raise CorruptShardError(
                        f"an extended tar header declares {size} bytes (more than "
                        f"{MAX_EXTENDED_HEADER}); the shard is damaged or crafted",
                        shard,
                        name or last,
                    )
                data = r.read(size)
                if len(data) < size:
                    raise TruncatedShardError(
                        "the tar ends inside an extended header", shard, name or last
                    )
                r.read(-size % BLOCK)
                if kind == b"x":
                    pax = _parse_pax(data, shard)
                elif kind == b"L":
                    long_name = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
                continue
            if "path" in pax:
                name = pax["path"]
            elif long_name is not None:
                name = long_name
            if "size" in pax:
                try:
                    size = int(pax["size"])
                except ValueError:
                    raise CorruptShardError("invalid pax size", shard, name) from None
            digest = pax.get(CHECKSUM_KEY)
            pax, long_name = {}, None
            limit = max_member_size()
            if size < 0 or size > limit:
                raise CorruptShardError(
                    f"the member declares {size} bytes, outside 0..{limit} (a damaged or crafted "
                    f"header; raise {MAX_MEMBER_ENV} for larger members)",
                    shard,
                    name,
                )
            check_member_name(name, shard)
            if kind not in _REGULAR:
                what = {b"1": "a hard link", b"2": "a symbolic link", b"5": "a directory"}.get(
                    kind, f"a special member (type {kind!r})"
                )
                raise UnsafeMemberError(
                    f"a Shar tar holds only regular files, found {what}", shard, name
                )
            data = r.read(size)
            if len(data) < size:
                raise TruncatedShardError(
                    f"the tar ends inside member data ({len(data)} of {size} bytes)",
                    shard,
                    name,
                )
            if digest is not None and hashlib.sha256(data).hexdigest() != digest:
                raise CorruptShardError(
                    "the member's data fails its SHA-256 checksum (the shard is damaged)",
                    shard,
                    name,
                )
            pad = -size % BLOCK
            if pad and len(r.read(pad)) < pad:
                raise TruncatedShardError("the tar ends inside member padding", shard, name)
            last = name
            yield TarMember(name, data)
    except (EOFError, OSError) as e:
        if not gz:
            raise
        raise TruncatedShardError(
            f"the gzip-compressed tar is damaged or cut off: {e}", shard, last
        ) from e


def split_member_name(name: str) -> tuple[str, str]:
    """``"a/b.c.flac" -> ("a/b.c", ".flac")``: the key and the extension."""
    dot = name.rfind(".")
    slash = name.rfind("/")
    if dot <= slash:
        return name, ""
    return name[:dot], name[dot:]


def iter_tar_pairs(
    source: Any, allow_pipe: bool = False
) -> Iterator[tuple[str, str, Optional[bytes], Optional[bytes]]]:
    """Yield ``(key, data_ext, data, meta)`` for each (data, ``.json``) member pair.

    A cut without this field is stored as ``<key>.nodata`` + ``<key>.nometa``;
    both ``data`` and ``meta`` are None then.
    """
    with open_input(source, allow_pipe=allow_pipe) as f:
        pending: Optional[TarMember] = None
        for member in iter_tar_members(f, shard=source):
            if pending is None:
                pending = member
                continue
            key, ext = split_member_name(pending.name)
            meta_key, meta_ext = split_member_name(member.name)
            if meta_key != key:
                raise SharMismatchError(
                    f"expected the manifest member of {pending.name!r} next, found another key",
                    source,
                    member.name,
                )
            if ext == ".nodata":
                if meta_ext != ".nometa":
                    raise SharMismatchError(
                        "a '.nodata' member must be followed by '.nometa'", source, member.name
                    )
                yield key, ext, None, None
            else:
                if meta_ext != ".json":
                    raise SharMismatchError(
                        f"the data member {pending.name!r} must be followed by its '.json' "
                        "manifest",
                        source,
                        member.name,
                    )
                if ext in _NO_DATA_EXTS or ext == ".json":
                    raise SharMismatchError(
                        "expected a data member before the '.json' manifest",
                        source,
                        pending.name,
                    )
                yield key, ext, pending.data, member.data
            pending = None
        if pending is not None:
            raise SharMismatchError(
                "odd number of tar members: the last data member has no manifest member",
                source,
                pending.name,
            )


class TarIterator:
    """Iterate a Shar tar shard as ``(manifest or None, member path)``.

    The manifest is the Recording/Features/Array/TemporalArray of the item's
    ``.json`` member with the data member's bytes attached in memory; it is
    None for a cut that has no value for this field.  Member names are only
    compared, never used as filesystem paths.
    """

    def __init__(self, source: Any, allow_pipe: bool = False):
        self.source = source
        self.allow_pipe = allow_pipe

    def __iter__(self):
        from nuptse.shar.utils import fill_placeholder_dict, manifest_from_dict

        for key, ext, data, meta in iter_tar_pairs(self.source, allow_pipe=self.allow_pipe):
            path = PurePosixPath(key + ext)
            if meta is None:
                yield None, path
                continue
            try:
                d = loads(meta)
            except JSONDecodeError as e:
                raise CorruptShardError(
                    f"invalid JSON in a manifest member: {e}", self.source, key + ".json"
                ) from None
            kind, d = fill_placeholder_dict(d, data, ext, where=self.source)
            yield manifest_from_dict(kind, d), path
