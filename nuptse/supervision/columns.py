"""Compact column storage for large eager supervision manifests.

A :class:`~nuptse.supervision.SupervisionSegment` object with its strings and
floats costs about 450 bytes; a manifest of a few million segments loaded
eagerly then needs gigabytes.  :class:`SupervisionColumns` keeps the same
segments as columns instead: ids and texts as UTF-8 in two byte buffers with
offsets, times as float arrays, and recording ids, speakers, languages and
genders as codes into one table of distinct strings -- about 150 bytes per
segment besides its id and text (a load peaks near 240 bytes a segment with
60-character texts).  A segment object is built when it is asked for.

Segments that do not fit the columns (with ``custom`` fields, alignments, a
list of channels or values of unusual types) are kept as objects, so every
manifest loads; the saving is for the common shape.

Segments read from a store are fresh objects on each access: changing one
does not change the set (use :meth:`SupervisionSet.map` or
:meth:`~SupervisionSet.transform_text` to derive a changed set).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import ItemsView, Iterable, Iterator, KeysView, ValuesView
from itertools import groupby, islice
from typing import Any

from nuptse.manifest import DuplicateIdError, ItemStore
from nuptse.supervision.segment import SupervisionSegment, _Row

#: Keys a row may have and still be stored in columns.
_COLUMN_KEYS = frozenset(
    ("id", "recording_id", "start", "duration", "channel", "text", "language", "speaker", "gender")
)
#: Code of a missing string, and of a recording id equal to the segment id.
_NONE = -1
_SAME_AS_ID = -2
#: Rows packed into the columns at a time.
_CHUNK = 8192


class SupervisionColumns(ItemStore):
    """A read-only, insertion-ordered mapping id -> :class:`SupervisionSegment`.

    Build it with :class:`SupervisionColumnsBuilder` (what eager loads of
    :class:`~nuptse.supervision.SupervisionSet` use) or :meth:`from_segments`.

    >>> s = SupervisionColumns.from_segments([
    ...     SupervisionSegment("a", "rec", 0.0, 1.5, text="hello", speaker="spk1"),
    ...     SupervisionSegment("b", "rec", 1.5, 2.0, channel=[0, 1]),
    ... ])
    >>> len(s), list(s), s["a"].text, s["b"].channel
    (2, ['a', 'b'], 'hello', [0, 1])
    >>> s["a"] == SupervisionSegment("a", "rec", 0.0, 1.5, text="hello", speaker="spk1")
    True
    """

    __slots__ = (
        "_n",
        "_id_blob",
        "_id_off",
        "_rec",
        "_start",
        "_dur",
        "_chan",
        "_text_blob",
        "_text_off",
        "_text_none",
        "_lang",
        "_spk",
        "_gen",
        "_strings",
        "_objects",
        "_sorted_hashes",
        "_order",
    )

    # --- mapping protocol -----------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[str]:
        blob, off = self._id_blob, self._id_off
        for i in range(self._n):
            yield blob[off[i] : off[i + 1]].decode()

    def __getitem__(self, key: str) -> SupervisionSegment:
        row = self._locate(key)
        if row < 0:
            raise KeyError(key)
        return self._row(row)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._locate(key) >= 0

    def keys(self):  # type: ignore[override]
        return KeysView(self)

    def values(self):  # type: ignore[override]
        return _Values(self)

    def items(self):  # type: ignore[override]
        return _Items(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (dict, ItemStore)):
            return NotImplemented
        return len(self) == len(other) and list(self.items()) == list(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SupervisionColumns(len={self._n})"

    # --- rows -------------------------------------------------------------------------

    def _row(self, i: int) -> SupervisionSegment:
        if self._objects:
            obj = self._objects.get(i)
            if obj is not None:
                return obj
        off = self._id_off
        sid = self._id_blob[off[i] : off[i + 1]].decode()
        strings = self._strings
        code = self._rec[i]
        rid = sid if code == _SAME_AS_ID else strings[code]
        if self._text_none is not None and self._text_none[i]:
            text = None
        else:
            toff = self._text_off
            text = self._text_blob[toff[i] : toff[i + 1]].decode()
        code = self._lang[i]
        lang = strings[code] if code >= 0 else None
        code = self._spk[i]
        spk = strings[code] if code >= 0 else None
        code = self._gen[i]
        gen = strings[code] if code >= 0 else None
        return SupervisionSegment(
            sid, rid, self._start[i], self._dur[i], self._chan[i], text, lang, spk, gen, None, None
        )

    def iter_dicts(self) -> Iterator[dict]:
        """Each segment's :meth:`~SupervisionSegment.to_dict`, straight from the columns."""
        blob, off = self._id_blob, self._id_off
        tblob, toff, tnone = self._text_blob, self._text_off, self._text_none
        strings, objects = self._strings, self._objects
        rec, start, dur, chan = self._rec, self._start, self._dur, self._chan
        lang, spk, gen = self._lang, self._spk, self._gen
        for i in range(self._n):
            if objects and i in objects:
                yield objects[i].to_dict()
                continue
            sid = blob[off[i] : off[i + 1]].decode()
            code = rec[i]
            d = {
                "id": sid,
                "recording_id": sid if code == _SAME_AS_ID else strings[code],
                "start": start[i],
                "duration": dur[i],
                "channel": chan[i],
            }
            if tnone is None or not tnone[i]:
                d["text"] = tblob[toff[i] : toff[i + 1]].decode()
            if (code := lang[i]) >= 0:
                d["language"] = strings[code]
            if (code := spk[i]) >= 0:
                d["speaker"] = strings[code]
            if (code := gen[i]) >= 0:
                d["gender"] = strings[code]
            yield d

    def _id_bytes(self, i: int) -> bytes:
        off = self._id_off
        return self._id_blob[off[i] : off[i + 1]]

    def _locate(self, key: str) -> int:
        """The row of ``key``, or -1: a binary search over the sorted id hashes."""
        if self._sorted_hashes is None:
            self._build_lookup()
        hashes = self._sorted_hashes
        h = hash(key)
        k = bisect_left(hashes, h)
        encoded = None
        while k < self._n and hashes[k] == h:
            row = self._order[k]
            if encoded is None:
                encoded = key.encode()
            if self._id_bytes(row) == encoded:
                return row
            k += 1
        return -1

    def _build_lookup(self, hashes=None) -> None:
        import numpy as np

        if hashes is None:
            hashes = np.fromiter(map(hash, self), dtype=np.int64, count=self._n)
        order = np.argsort(hashes, kind="stable")
        # array.array: indexing it from Python is ~10x cheaper than numpy's
        self._sorted_hashes = _to_array("q", hashes[order])
        self._order = _to_array("q", order.astype(np.int64, copy=False))

    def _duplicate_row(self) -> int:
        """The first row whose id already occurs earlier (-1 if none)."""
        import numpy as np

        hashes = np.frombuffer(self._sorted_hashes, dtype=np.int64)
        same = np.flatnonzero(hashes[1:] == hashes[:-1])
        worst = -1
        for k in same.tolist():
            # rows sharing a hash are adjacent and, with a stable sort, in row order
            start = k
            while start > 0 and hashes[start - 1] == hashes[k]:
                start -= 1
            later = self._order[k + 1]
            mine = self._id_bytes(later)
            for j in range(start, k + 1):
                if self._id_bytes(self._order[j]) == mine:
                    if worst < 0 or later < worst:
                        worst = later
                    break
        return worst

    def take(self, rows) -> SupervisionColumns:
        """The rows at positions ``rows`` (distinct), in that order, still as columns."""
        import numpy as np

        idx = np.fromiter(rows, dtype=np.int64)
        if len(idx) and (idx.min() < 0 or idx.max() >= self._n):
            raise IndexError(f"rows out of range for {self!r}")
        out = SupervisionColumns.__new__(SupervisionColumns)
        out._n = len(idx)
        out._id_blob, out._id_off = _gather(self._id_blob, self._id_off, idx)
        out._text_blob, out._text_off = _gather(self._text_blob, self._text_off, idx)
        out._text_none = None
        if self._text_none is not None:
            out._text_none = bytearray(np.frombuffer(self._text_none, np.uint8)[idx].tobytes())
        for name in ("_rec", "_start", "_dur", "_chan", "_lang", "_spk", "_gen"):
            column = getattr(self, name)
            picked = np.frombuffer(column, dtype=column.typecode)[idx]
            setattr(out, name, _to_array(column.typecode, picked))
        out._strings = self._strings
        out._objects = {}
        if self._objects:
            where = {int(old): new for new, old in enumerate(idx.tolist()) if old in self._objects}
            out._objects = {new: self._objects[old] for old, new in where.items()}
        out._sorted_hashes = out._order = None
        if self._sorted_hashes is not None:
            hashes = np.empty(self._n, dtype=np.int64)
            hashes[np.frombuffer(self._order, np.int64)] = np.frombuffer(
                self._sorted_hashes, np.int64
            )
            out._build_lookup(hashes[idx])
        return out

    # --- pickling (str hashes differ between processes) ----------------------------------

    def __getstate__(self) -> dict:
        state = {name: getattr(self, name) for name in self.__slots__}
        state["_sorted_hashes"] = state["_order"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    # --- construction -------------------------------------------------------------------

    @classmethod
    def from_segments(cls, segments: Iterable[SupervisionSegment]) -> SupervisionColumns:
        """Pack segments into columns (duplicate ids raise :class:`DuplicateIdError`)."""
        builder = SupervisionColumnsBuilder()
        builder.add_segments(segments)
        return builder.finish(None)


class _Codes(dict):
    """Distinct string -> code, growing a table as new strings appear (None is -1)."""

    def __init__(self):
        super().__init__({None: _NONE})
        self.table: list[str] = []

    def __missing__(self, value: str) -> int:
        code = self[value] = len(self.table)
        self.table.append(value)
        return code


class SupervisionColumnsBuilder:
    """Collects segments (as dicts or objects) into :class:`SupervisionColumns`.

    :meth:`consume` packs serialized segments a few thousand at a time, with
    one pass per field, so a load never holds more than one chunk of dicts
    besides the columns.  ``count`` is the number of rows packed (a load that
    fails names line ``count + 1``).
    """

    def __init__(self):
        self.count = 0
        self.failed: Any = None  # the record (dict or row) that could not be read
        self._codes = _Codes()
        self._objects: dict[int, SupervisionSegment] = {}
        self._id_blob = bytearray()
        self._id_len = array("I")
        self._hashes = array("q")
        self._rec = array("i")
        self._start = array("d")
        self._dur = array("d")
        self._chan = array("i")
        self._text_blob = bytearray()
        self._text_len = array("I")
        self._text_none = bytearray()
        self._any_text_none = False
        self._lang = array("i")
        self._spk = array("i")
        self._gen = array("i")

    # --- input ------------------------------------------------------------------------

    def consume(self, records: Iterable) -> None:
        """Add serialized segments in file order: dicts, or the typed rows that
        :data:`~nuptse.supervision.segment.decode_jsonl_block` makes."""
        for chunk in _chunks(records):
            for kind, run in groupby(chunk, type):
                run = list(run)
                columns = _row_columns(run) if kind is _Row else _dict_columns(run)
                if columns is None:
                    self._add_one_by_one(run)
                else:
                    self._append(*columns)

    def add_segments(self, segments: Iterable[SupervisionSegment]) -> None:
        """Add segment objects; those that do not fit the columns stay objects."""
        for chunk in _chunks(segments):
            fits = [_fits(s) for s in chunk]
            if all(fits):
                self._append(*_attr_columns(chunk))
                continue
            for seg, ok in zip(chunk, fits):
                if ok:
                    self._append(*_attr_columns([seg]))
                else:
                    self._add_object(seg)

    def _add_one_by_one(self, records: list) -> None:
        """The careful path: one record at a time, so an error names its row."""
        for r in records:
            columns = _row_columns([r]) if type(r) is _Row else _dict_columns([r])
            if columns is not None:
                self._append(*columns)
                continue
            try:
                seg = SupervisionSegment.from_dict(r)
            except Exception:
                self.failed = r
                raise
            self._add_object(seg)

    def _add_object(self, seg: SupervisionSegment) -> None:
        self._objects[self.count] = seg
        # placeholders keep the columns aligned; the id column holds the real id
        self._append([seg.id], [seg.id], [0.0], [0.0], [0], [None], [None], [None], [None])

    # --- packing ----------------------------------------------------------------------

    def _append(self, ids, rids, starts, durs, chans, texts, langs, spks, gens) -> None:
        # array(typecode, list) then += is several times faster than
        # array.extend(iterator), which grows the array one item at a time
        code = self._codes.__getitem__
        encoded = [s.encode() for s in ids]
        self._id_len += array("I", list(map(len, encoded)))
        self._id_blob += b"".join(encoded)
        self._hashes += array("q", list(map(hash, ids)))
        if any(map(str.__eq__, rids, ids)):
            recs = [_SAME_AS_ID if r == s else code(r) for r, s in zip(rids, ids)]
        else:
            recs = list(map(code, rids))
        self._rec += array("i", recs)
        self._start += array("d", starts)
        self._dur += array("d", durs)
        self._chan += array("i", chans)
        if None in texts:
            self._any_text_none = True
            self._text_none += bytes([t is None for t in texts])
            texts = ["" if t is None else t for t in texts]
        else:
            self._text_none += bytes(len(texts))
        encoded = [t.encode() for t in texts]
        self._text_len += array("I", list(map(len, encoded)))
        self._text_blob += b"".join(encoded)
        self._lang += array("i", list(map(code, langs)))
        self._spk += array("i", list(map(code, spks)))
        self._gen += array("i", list(map(code, gens)))
        self.count += len(ids)

    def finish(self, source: Any) -> SupervisionColumns:
        """The columns; a repeated id raises :class:`DuplicateIdError` naming its line."""
        import numpy as np

        out = SupervisionColumns.__new__(SupervisionColumns)
        out._n = self.count
        out._id_blob = self._id_blob
        out._id_off = _offsets(self._id_len)
        self._id_len = array("I")
        out._rec = self._rec
        out._start = self._start
        out._dur = self._dur
        out._chan = self._chan
        out._text_blob = self._text_blob
        out._text_off = _offsets(self._text_len)
        self._text_len = array("I")
        out._text_none = self._text_none if self._any_text_none else None
        out._lang = self._lang
        out._spk = self._spk
        out._gen = self._gen
        out._strings = self._codes.table
        out._objects = self._objects
        out._build_lookup(np.frombuffer(self._hashes, dtype=np.int64))
        self._hashes = array("q")
        row = out._duplicate_row()
        if row >= 0:
            raise DuplicateIdError(
                f"{source or 'input'}, line {row + 1}: duplicate id {out._id_bytes(row).decode()!r}"
            )
        return out


def _chunks(items: Iterable) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, _CHUNK)):
        yield chunk


def _gather(blob: bytearray, off: array, idx) -> tuple[bytearray, array]:
    """The byte strings at positions ``idx`` of a blob with offsets, packed anew."""
    import numpy as np

    starts = np.frombuffer(off, dtype=np.int64)
    parts = [blob[a:b] for a, b in zip(starts[idx].tolist(), starts[idx + 1].tolist())]
    lengths = array("I", list(map(len, parts)))
    return bytearray(b"".join(parts)), _offsets(lengths)


def _offsets(lengths: array) -> array:
    """Start offsets (and the end) of consecutive items of the given byte lengths."""
    import numpy as np

    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.frombuffer(lengths, dtype=np.uint32), dtype=np.int64, out=out[1:])
    return _to_array("q", out)


def _to_array(typecode: str, values) -> array:
    """A numpy array's contents as an ``array.array`` (one copy, no bytes object)."""
    out = array(typecode)
    out.frombytes(memoryview(values).cast("B"))
    return out


def _attr_columns(rows: list) -> tuple:
    """The nine column lists of objects with the segment's attribute names."""
    return (
        [r.id for r in rows],
        [r.recording_id for r in rows],
        [r.start for r in rows],
        [r.duration for r in rows],
        [r.channel for r in rows],
        [r.text for r in rows],
        [r.language for r in rows],
        [r.speaker for r in rows],
        [r.gender for r in rows],
    )


def _row_columns(rows: list[_Row]) -> tuple | None:
    """The column lists of typed rows (msgspec checked their types), or None
    if one needs the object path (custom fields, alignments, odd channels)."""
    chans = [r.channel for r in rows]
    if (
        _INT.issuperset(map(type, chans))
        and _CHANNEL_MIN <= min(chans)
        and max(chans) <= _CHANNEL_MAX
        and not any([r.custom is not None or r.alignment is not None for r in rows])
    ):
        return _attr_columns(rows)
    return None


def _dict_columns(chunk: list[dict]) -> tuple | None:
    """The nine column lists of ``chunk``, or None if a row needs the object path."""
    if not all(map(_COLUMN_KEYS.issuperset, chunk)):
        return None
    try:
        ids = [d["id"] for d in chunk]
        rids = [d["recording_id"] for d in chunk]
        starts = [d["start"] for d in chunk]
        durs = [d["duration"] for d in chunk]
    except KeyError:
        return None
    chans = [d.get("channel", 0) for d in chunk]
    texts = [d.get("text") for d in chunk]
    langs = [d.get("language") for d in chunk]
    spks = [d.get("speaker") for d in chunk]
    gens = [d.get("gender") for d in chunk]
    if not (
        _STR.issuperset(map(type, ids))
        and _STR.issuperset(map(type, rids))
        and _NUMBER.issuperset(map(type, starts))
        and _NUMBER.issuperset(map(type, durs))
        and _INT.issuperset(map(type, chans))
        and _CHANNEL_MIN <= min(chans)
        and max(chans) <= _CHANNEL_MAX
        and _OPT_STR.issuperset(map(type, texts))
        and _OPT_STR.issuperset(map(type, langs))
        and _OPT_STR.issuperset(map(type, spks))
        and _OPT_STR.issuperset(map(type, gens))
    ):
        return None
    return ids, rids, starts, durs, chans, texts, langs, spks, gens


def _fits(seg: SupervisionSegment) -> bool:
    return (
        seg.custom is None
        and seg.alignment is None
        and type(seg.id) is str
        and type(seg.recording_id) is str
        and type(seg.start) in _NUMBER
        and type(seg.duration) in _NUMBER
        and type(seg.channel) is int
        and _CHANNEL_MIN <= seg.channel <= _CHANNEL_MAX
        and type(seg.text) in _OPT_STR
        and type(seg.language) in _OPT_STR
        and type(seg.speaker) in _OPT_STR
        and type(seg.gender) in _OPT_STR
    )


_STR = frozenset((str,))
_NUMBER = frozenset((float, int))
_INT = frozenset((int,))
_OPT_STR = frozenset((str, type(None)))
_CHANNEL_MIN, _CHANNEL_MAX = -(2**31), 2**31 - 1


class _Values(ValuesView):
    __slots__ = ()

    def __iter__(self) -> Iterator[SupervisionSegment]:
        store = self._mapping
        row = store._row
        return (row(i) for i in range(len(store)))


class _Items(ItemsView):
    __slots__ = ()

    def __iter__(self) -> Iterator[tuple[str, SupervisionSegment]]:
        for seg in _Values(self._mapping):
            yield seg.id, seg
