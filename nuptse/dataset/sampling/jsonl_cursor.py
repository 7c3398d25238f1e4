"""A cursor over a plain JSON-lines manifest whose positions are byte offsets.

Lines are read in blocks with ``os.pread`` (no shared file position, so
re-reading an earlier line by its offset does not disturb the sequential
read), and a position is simply the offset of the next line.  In light mode
each line is decoded only for its top-level ``duration`` (msgspec skips the
rest), and the full item is decoded when the sampler fetches it by offset.
Gzipped and remote files are not seekable this way and are read through the
generic cursor instead.
"""

from __future__ import annotations

import os
from collections import deque
from itertools import accumulate
from typing import Any

import msgspec

from nuptse.dataset.sampling.cursor import Cursor, Stub
from nuptse.serialization import ManifestParseError, is_url, loads

_BLOCK = 1 << 20
#: keys of one fetch that lie within this many bytes are read with a single pread
_SPAN = 2 << 20


_LIGHT = msgspec.json.Decoder(Stub)


class JsonlCursor(Cursor):
    """Lines of a local, uncompressed JSON-lines file; keys are line offsets."""

    def __init__(self, path: str, item_type: type, light: bool = False):
        self.path = path
        self.from_dict = item_type.from_dict
        # a fast typed decoder for blocks of lines, where the item type has one
        self.block_decoder = getattr(item_type, "jsonl_block_decoder", None)
        self.light = light
        self.read_pos = 0
        self.queue: deque = deque()
        self._fd: int | None = None

    # pickling drops the open descriptor (reopened on first use)
    def __getstate__(self):
        state = dict(self.__dict__)
        state["_fd"] = None
        return state

    def __del__(self):
        fd = self.__dict__.get("_fd")
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    @property
    def fd(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        return self._fd

    def _decode(self, line: bytes, offset: int, light: bool) -> Any:
        if light:
            try:
                stub = _LIGHT.decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError):
                stub = None
            if stub is not None and stub.duration is not None:
                return stub
        try:
            return self.from_dict(loads(line))
        except (msgspec.DecodeError, KeyError, TypeError, ValueError) as e:
            raise ManifestParseError(
                self.path, None, f"item at byte {offset}: {type(e).__name__}: {e}"
            ) from None

    def _fill(self) -> None:
        fd, pos = self.fd, self.read_pos
        block = os.pread(fd, _BLOCK, pos)
        if not block:
            raise StopIteration
        end = block.rfind(b"\n") + 1
        while end == 0:  # a line longer than a block, or a last line without newline
            more = os.pread(fd, max(len(block), _BLOCK), pos + len(block))
            if not more:
                end = len(block)
                break
            block += more
            end = block.rfind(b"\n") + 1
        lines = block[:end].split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        starts = accumulate((len(line) + 1 for line in lines), initial=pos)
        light, decode, queue = self.light, self._decode, self.queue
        if light:
            try:
                stubs = _LIGHT.decode_lines(block[:end])
            except (msgspec.DecodeError, msgspec.ValidationError):
                stubs = []
            if len(stubs) == len(lines):  # no blank lines were skipped: aligned with starts
                queue.extend(zip(starts, stubs))
                if any(s.duration is None for s in stubs):  # e.g. mixed cuts: decode fully
                    for i in range(len(queue) - len(stubs), len(queue)):
                        start, stub = queue[i]
                        if stub.duration is None:
                            queue[i] = (start, decode(block_line(block, start - pos), start, False))
            else:
                for start, line in zip(starts, lines):
                    if line.strip():
                        queue.append((start, decode(line, start, True)))
        else:
            starts = list(starts)
            items = self._decode_many(lines, starts)
            queue.extend((s, x) for s, x in zip(starts, items) if x is not None)
        self.read_pos = pos + end

    def next(self):
        queue = self.queue
        while not queue:
            self._fill()
        return queue.popleft()

    def tell(self):
        return self.queue[0][0] if self.queue else self.read_pos

    def seek(self, pos):
        self.queue.clear()
        self.read_pos = pos

    def _line_at(self, offset: int) -> bytes:
        size = 4096
        while True:
            chunk = os.pread(self.fd, size, offset)
            end = chunk.find(b"\n")
            if end >= 0:
                return chunk[:end]
            if len(chunk) < size:
                return chunk
            size *= 4

    def _decode_many(self, lines: list[bytes], starts: list[int]) -> list:
        """Full items of ``lines`` (None for blank lines), a block at a time where possible."""
        if self.block_decoder is not None and all(line.strip() for line in lines):
            try:
                records = self.block_decoder(b"\n".join(lines) + b"\n")
            except msgspec.MsgspecError:
                records = None
            if records is not None and len(records) == len(lines):
                from_dict = self.from_dict
                return [from_dict(r) for r in records]
        return [
            self._decode(line, s, False) if line.strip() else None for s, line in zip(starts, lines)
        ]

    def _lines_at(self, keys: list[int]) -> list[bytes]:
        """The lines starting at ``keys``; one read covers keys that lie close together."""
        if len(keys) < 2:
            return [self._line_at(k) for k in keys]
        lo, hi = min(keys), max(keys)
        if hi - lo > _SPAN:
            return [self._line_at(k) for k in keys]
        window = os.pread(self.fd, hi - lo + 4096, lo)
        out = []
        for k in keys:
            start = k - lo
            end = window.find(b"\n", start)
            out.append(window[start:end] if end >= 0 else self._line_at(k))
        return out

    def fetch_many(self, keys, light=False):
        lines = self._lines_at(list(keys))
        if light and self.light:
            return [self._decode(line, k, True) for k, line in zip(keys, lines)]
        return self._decode_many(lines, list(keys))


class LineCursor(Cursor):
    """Lines of a gzipped or remote JSON-lines file; keys are line numbers.

    Such streams cannot be entered in the middle, so a position is a line
    number and resuming decompresses up to it again, without decoding any
    JSON (much cheaper than replaying the sampler, but linear in the
    position).  Reads go forward on one stream: fetching the buffered lines
    and then seeking past them is a single pass.
    """

    def __init__(self, path, item_type: type):
        self.path = path
        self.from_dict = item_type.from_dict
        self._stream = None
        self._lines: deque = deque()  # undelivered lines of the current block
        self.line = 0  # number of the first line in self._lines (or next to read)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_stream"], state["_lines"], state["line"] = None, deque(), 0
        return state

    def _reopen(self) -> None:
        from nuptse.serialization import iter_line_blocks, open_best

        if self._stream is not None:
            self._stream.close()
        self._file = open_best(self.path, "rb")
        self._stream = self._file
        self._blocks = iter_line_blocks(self._file)
        self._lines = deque()
        self.line = 0

    def _raw_next(self) -> tuple[int, bytes]:
        if self._stream is None:
            self._reopen()
        while not self._lines:
            block = next(self._blocks, None)
            if block is None:
                raise StopIteration
            lines = block.split(b"\n")
            if lines[-1] == b"":
                lines.pop()
            self._lines.extend(lines)
        n = self.line
        self.line += 1
        return n, self._lines.popleft()

    def _skip_to(self, n: int) -> None:
        if self._stream is None or n < self.line:
            self._reopen()
        while self.line < n:
            if self._lines:
                take = min(n - self.line, len(self._lines))
                for _ in range(take):
                    self._lines.popleft()
                self.line += take
                continue
            block = next(self._blocks, None)
            if block is None:
                return
            lines = block.split(b"\n")
            if lines[-1] == b"":
                lines.pop()
            if self.line + len(lines) <= n:  # skip whole blocks without splitting further
                self.line += len(lines)
            else:
                self._lines.extend(lines)

    def _decode(self, line: bytes, n: int):
        try:
            return self.from_dict(loads(line))
        except (msgspec.DecodeError, KeyError, TypeError, ValueError) as e:
            raise ManifestParseError(self.path, n + 1, f"{type(e).__name__}: {e}") from None

    def next(self):
        while True:
            n, line = self._raw_next()
            if line.strip():
                return n, self._decode(line, n)

    def tell(self):
        return self.line

    def seek(self, pos):
        self._skip_to(pos)

    def fetch_many(self, keys, light=False):
        if not keys:
            return []
        wanted = sorted(set(keys))
        self._skip_to(wanted[0])
        found = {}
        for k in wanted:
            self._skip_to(k)
            n, line = self._raw_next()
            found[n] = self._decode(line, n)
        return [found[k] for k in keys]


def block_line(block: bytes, offset: int) -> bytes:
    """The line of ``block`` that starts at ``offset``."""
    end = block.find(b"\n", offset)
    return block[offset:] if end < 0 else block[offset:end]


def open_jsonl_cursor(node, light: bool) -> Cursor | None:
    """A cursor for a lazy JSON-lines deserializer node: byte offsets for a local
    uncompressed file, line numbers for gzipped or remote ones (None otherwise)."""
    from nuptse.lazy import LazyJsonlIterator

    source = node.source
    if type(source) is not LazyJsonlIterator:
        return None
    path = source.path
    if is_url(path) or str(path).endswith(".gz"):
        return LineCursor(path, node.item_type)
    path = os.fspath(path)
    if not os.path.isfile(path):
        return None
    return JsonlCursor(path, node.item_type, light)
