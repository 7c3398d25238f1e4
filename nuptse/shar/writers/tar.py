"""Sequential tar output, split into numbered shards, each written atomically.

Members are POSIX ustar entries with mode 0644, uid/gid 0, empty owner names
and mtime 0, so the same input always gives byte-identical tars.  Names too
long for ustar get a pax ``path`` record, as Python's ``tarfile`` would write.
Nothing is ever written outside the shard file itself.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tarfile
from io import BytesIO
from typing import Optional, Union

from nuptse.shar._io import AtomicShardFile
from nuptse.shar.errors import SharError
from nuptse.shar.writers.sharded import ShardedWriter

logger = logging.getLogger(__name__)

BLOCK = 512
#: tar archives are padded to a multiple of this many bytes (20 blocks).
RECORD = 20 * BLOCK
_ZEROS = bytes(RECORD)

Data = Union[bytes, bytearray, memoryview, BytesIO]

#: pax record holding a member's SHA-256 (written with NUPTSE_SHAR_CHECKSUMS=1; other tar
#: readers, lhotse's included, ignore unknown pax records)
CHECKSUM_KEY = "NUPTSE.sha256"
CHECKSUMS_ENV = "NUPTSE_SHAR_CHECKSUMS"


def checksums_enabled() -> bool:
    """Whether Shar members get a SHA-256 pax record (``NUPTSE_SHAR_CHECKSUMS=1``)."""
    return os.environ.get(CHECKSUMS_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _slow_header(name: str, size: int, pax: Optional[dict] = None) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if pax:
        info.pax_headers = dict(pax)
    return info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")


#: tarfile's header for an empty member named "x"; the common case only fills in
#: the name, size and checksum, giving the same bytes as tarfile much faster.
_TEMPLATE = bytearray(_slow_header("x", 0))
_TEMPLATE[148:156] = b" " * 8
_TEMPLATE[0:100] = bytes(100)
_TEMPLATE[124:136] = bytes(12)


def member_header(name: str, size: int) -> bytes:
    """The (ustar, or pax for long/non-ASCII names) header blocks of a file member."""
    raw = name.encode("ascii", "ignore") if name.isascii() else b""
    if not raw or len(raw) > 100 or size >= 8**11:
        return _slow_header(name, size)
    header = bytearray(_TEMPLATE)
    header[0 : len(raw)] = raw
    header[124:136] = b"%011o\0" % size
    header[148:155] = b"%06o\0" % sum(header)
    return bytes(header)


def _as_bytes(data: Data) -> bytes | bytearray | memoryview:
    if isinstance(data, BytesIO):
        return data.getbuffer()
    return data


class TarWriter(ShardedWriter):
    """Write named binary blobs into ``pattern % shard_index`` tar files.

    ``pattern`` holds a ``%``-marker (e.g. ``"dir/data.%06d.tar"``) to start a
    new shard every ``shard_size`` counted items; without a marker one tar is
    written and ``shard_size`` must be None.  A shard appears under its name
    only once it is complete: leaving a ``with`` block through an exception
    deletes the unfinished shard.  ``.tar.gz`` patterns are gzip-compressed.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> with TarWriter(os.path.join(d, "x.%06d.tar"), shard_size=1) as w:
    ...     w.write("a.txt", b"hello")
    ...     w.write("b.txt", b"world")
    >>> sorted(os.listdir(d))
    ['x.000000.tar', 'x.000001.tar']
    """

    def reset(self) -> None:
        self._out: Optional[AtomicShardFile] = None
        self._stream = None
        self._pos = 0
        self.fname: Optional[str] = None
        self.num_shards = self.initial_shard_offset
        self.num_items = 0
        self.num_items_total = 0
        self._written: list[str] = []

    # --- context management -------------------------------------------------------

    def __enter__(self):
        self.reset()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def close(self) -> None:
        """Finish and publish the current shard."""
        self.commit_current()

    def abort(self) -> None:
        """Drop the unfinished shard; shards finished earlier stay."""
        if self._out is not None:
            if self._stream is not None and self._stream is not self._out:
                try:
                    self._stream.close()
                except Exception:  # noqa: BLE001 - we are discarding it anyway
                    pass
            self._out.abort()
            self._out = self._stream = None

    @property
    def output_paths(self) -> list[str]:
        """The shards published so far."""
        return list(self._written)

    # --- shards -------------------------------------------------------------------

    def commit_current(self) -> None:
        """Terminate the open shard (end-of-archive blocks) and publish it."""
        if self._out is None:
            return
        # Two zero blocks end the archive; pad to a whole record like tar(1).
        end = self._pos + 2 * BLOCK
        end += -end % RECORD
        self._stream.write(_ZEROS[: end - self._pos])
        self._pos = end
        if self._stream is not self._out:
            self._stream.close()
        self._out.commit()
        self._written.append(self._out.path)
        self._out = self._stream = None

    def _open_next(self) -> None:
        self.commit_current()
        if self.sharding_enabled:
            self.fname = self.pattern % self.num_shards
            self.num_shards += 1
        else:
            if self._written:
                raise SharError(
                    "a TarWriter without a shard marker writes a single tar; it was already closed",
                    shard=self.pattern,
                )
            self.fname = self.pattern
        self._out = AtomicShardFile(self.fname)
        if self.gzip:
            from isal import igzip

            self._stream = igzip.IGzipFile(fileobj=self._out.file, mode="wb", compresslevel=1)
        else:
            self._stream = self._out
        self._pos = 0
        self.num_items = 0

    def _needs_new_shard(self) -> bool:
        if self._out is None:
            return True
        return self.sharding_enabled and self.num_items >= self.shard_size

    # --- writing ------------------------------------------------------------------

    def write(self, key: str, data: Data, count: bool = True) -> None:
        """Add member ``key`` holding ``data``.

        ``count=False`` attaches the member to the previous counted item (it
        never starts a new shard), as the ``.json`` sidecar of a data member.
        """
        if count and self._needs_new_shard():
            self._open_next()
        elif self._out is None:
            raise SharError(
                f"cannot write the uncounted member {key!r} before any counted member",
                shard=self.pattern,
            )
        payload = _as_bytes(data)
        size = len(payload) if not isinstance(payload, memoryview) else payload.nbytes
        if checksums_enabled():  # opt-in: a pax record the reader verifies
            header = _slow_header(key, size, {CHECKSUM_KEY: hashlib.sha256(payload).hexdigest()})
        else:
            header = member_header(key, size)
        stream = self._stream
        stream.write(header)
        stream.write(payload)
        pad = -size % BLOCK
        if pad:
            stream.write(_ZEROS[:pad])
        self._pos += len(header) + size + pad
        if count:
            self.num_items += 1
            self.num_items_total += 1


class FieldTarWriter:
    """Base of the per-field writers (audio, arrays): one :class:`TarWriter`
    underneath, a data member plus a ``.json`` manifest member per cut, and a
    ``.nodata``/``.nometa`` pair for a cut without the field."""

    tar_writer: TarWriter

    def __enter__(self):
        self.tar_writer.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.tar_writer.__exit__(exc_type, exc, tb)

    def close(self) -> None:
        self.tar_writer.close()

    def abort(self) -> None:
        self.tar_writer.abort()

    def commit_current(self) -> None:
        self.tar_writer.commit_current()

    @property
    def output_paths(self) -> list[str]:
        return self.tar_writer.output_paths

    def write_placeholder(self, key: str) -> None:
        """Record that the cut ``key`` has no data for this field."""
        self.tar_writer.write(f"{key}.nodata", b"")
        self.tar_writer.write(f"{key}.nometa", b"", count=False)
