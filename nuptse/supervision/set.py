"""SupervisionSet: a manifest set of supervision segments with interval search."""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import methodcaller

from nuptse.manifest import ManifestSet
from nuptse.serialization import Pathlike
from nuptse.supervision.columns import (
    SupervisionColumns,
    SupervisionColumnsBuilder,
)
from nuptse.supervision.formats import CtmParseError, read_ctm, read_rttm, write_ctm
from nuptse.supervision.index import SupervisionIndex
from nuptse.supervision.segment import AlignmentItem, SupervisionSegment
from nuptse.timing import Seconds

logger = logging.getLogger(__name__)

#: How far (seconds) a CTM word may stick out of a supervision and still belong to it.
CTM_TOLERANCE = 1e-3


class SupervisionSet(ManifestSet[SupervisionSegment]):
    """A collection of :class:`SupervisionSegment` indexed by id, eager or lazy.

    It behaves like a dict of segments and adds :meth:`find`, which looks up
    the segments of a recording inside a time window through an index built
    on first use.  Think of it as Kaldi's ``segments`` file together with
    ``text``, ``utt2spk``, ``utt2gender`` and ``utt2dur``.

    Examples

    Building a SupervisionSet:

    >>> from nuptse import SupervisionSet, SupervisionSegment
    >>> sups = SupervisionSet.from_segments([
    ...     SupervisionSegment(id='rec00001-sup00000', recording_id='rec00001',
    ...                        start=0.5, duration=5.0, channel=0),
    ...     SupervisionSegment(id='rec00001-sup00001', recording_id='rec00001',
    ...                        start=18.0, duration=3.0, channel=1),
    ...     SupervisionSegment(id='rec00001-sup00002', recording_id='rec00001',
    ...                        start=24.0, duration=6.0, channel=0),
    ...     SupervisionSegment(id='rec00002-sup00000', recording_id='rec00002',
    ...                        start=0.0, duration=2.5, channel=0),
    ... ])

    Writing/reading a SupervisionSet:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'supervisions.jsonl.gz')
    >>> sups.to_file(path)
    >>> sups2 = SupervisionSet.from_file(path)
    >>> sups2 == sups
    True

    Using SupervisionSet like a dict:

    >>> 'rec00001-sup00000' in sups
    True
    >>> sups['rec00001-sup00000']  # doctest: +ELLIPSIS
    SupervisionSegment(id='rec00001-sup00000', recording_id='rec00001', start=0.5, ...)
    >>> for segment in sups:
    ...     pass

    Searching by recording_id and time interval:

    >>> matched_segments = sups.find(recording_id='rec00001', start_after=17.0, end_before=25.0)
    >>> [s.id for s in matched_segments]
    ['rec00001-sup00001']

    Manipulation:

    >>> longer_than_5s = sups.filter(lambda s: s.duration > 5)
    >>> first_100 = sups.subset(first=100)
    >>> split_into_4 = sups.split(num_splits=4)
    >>> shuffled = sups.shuffle()
    >>> [s.id for s in longer_than_5s], [len(part) for part in split_into_4]
    (['rec00001-sup00002'], [1, 1, 1, 1])
    """

    item_type = SupervisionSegment

    def __init__(
        self,
        segments: dict[str, SupervisionSegment] | Iterable[SupervisionSegment] | None = None,
    ):
        super().__init__(segments)
        self._index: SupervisionIndex | None = None
        self._index_key: tuple | None = None

    def __getstate__(self) -> dict:
        # The find index is rebuilt on demand; don't ship it to worker processes.
        state = dict(self.__dict__)
        state["_index"] = state["_index_key"] = None
        return state

    @classmethod
    def accepts_dict(cls, data: dict) -> bool:
        return (
            "recording_id" in data
            and "start" in data
            and "duration" in data
            and "type" not in data
            and "sources" not in data
            and "storage_type" not in data
        )

    @classmethod
    def _builder(cls) -> SupervisionColumnsBuilder:
        # Eager loads keep segments in compact columns (~240 bytes a segment
        # with 60-character texts, ~450 as objects); segments are built on access.
        return SupervisionColumnsBuilder()

    def to_dicts(self) -> Iterable[dict]:
        if isinstance(self._items, SupervisionColumns):
            return self._items.iter_dicts()
        return super().to_dicts()

    @classmethod
    def _eager_from_items(cls, items: Iterable[SupervisionSegment]) -> SupervisionColumns:
        return SupervisionColumns.from_segments(items)

    # --- lhotse-style aliases -------------------------------------------------------

    @property
    def segments(self) -> dict[str, SupervisionSegment] | Iterable[SupervisionSegment]:
        """The underlying dict (eager) or lazy iterable; same as :attr:`data`."""
        return self._items

    @classmethod
    def from_segments(cls, segments: Iterable[SupervisionSegment]) -> SupervisionSet:
        return cls(segments)

    # --- text formats ---------------------------------------------------------------

    @classmethod
    def from_rttm(
        cls, path: Pathlike | Iterable[Pathlike], channel_base: int = 1
    ) -> SupervisionSet:
        """Speaker turns from one RTTM file, or from each file of an iterable of paths.

        The ten fields are ``SPEAKER <file-id> <channel> <onset> <duration>
        <NA> <NA> <speaker> <NA> <NA>``.  RTTM channels are 1-indexed, so by
        default a turn on RTTM channel 1 gets ``channel=0``; ``channel_base=0``
        keeps the number as written (lhotse's behaviour).  Ids are
        ``{file-id}-{line index:06d}``; zero-length turns are skipped.  A
        malformed line raises :class:`~nuptse.supervision.RttmParseError`
        naming the file and line.

        >>> import os, tempfile
        >>> from pathlib import Path
        >>> d = tempfile.mkdtemp()
        >>> _ = Path(d, 'ref_a.rttm').write_text(
        ...     "SPEAKER CMU_20020319-1400_d01_NONE 1 130.430000 2.350 <NA> <NA> juliet <NA> <NA>\\n"
        ...     "SPEAKER CMU_20020319-1400_d01_NONE 1 157.610000 3.060 <NA> <NA> tbc <NA> <NA>\\n"
        ...     "SPEAKER CMU_20020319-1400_d01_NONE 1 130.490000 0.450 <NA> <NA> chek <NA> <NA>\\n")
        >>> sup1 = SupervisionSet.from_rttm(os.path.join(d, 'ref_a.rttm'))
        >>> sup2 = SupervisionSet.from_rttm(Path(d).rglob('ref_*'))
        >>> [(s.speaker, s.start, s.duration, s.channel) for s in sup2]
        [('juliet', 130.43, 2.35, 0), ('tbc', 157.61, 3.06, 0), ('chek', 130.49, 0.45, 0)]
        """
        return cls.from_segments(read_rttm(path, channel_base=channel_base))

    def with_alignment_from_ctm(
        self,
        ctm_file: Pathlike,
        type: str = "word",
        match_channel: bool = False,
        verbose: bool = False,
    ) -> SupervisionSet:
        """A new set whose segments carry the CTM's items as alignment ``type``.

        A CTM entry goes to every segment of its recording that spans it (with
        a 1 ms tolerance at both ends) and, with ``match_channel``, that is on
        its channel (for a multi-channel segment: one of its channels).  Each
        segment's items are sorted by start; segments of recordings absent
        from the CTM get an empty list.  Other alignment types are kept.
        ``verbose`` shows tqdm progress bars.
        """
        words = read_ctm(ctm_file, verbose=verbose)
        by_recording: dict[str, list] = {}
        for w in words:
            by_recording.setdefault(w.recording_id, []).append(w)
        starts_by_recording = {}
        for rid, ws in by_recording.items():
            ws.sort(key=_ctm_start)
            starts_by_recording[rid] = [w.start for w in ws]
        segments: Iterable[SupervisionSegment] = self
        if verbose:
            from tqdm import tqdm

            segments = tqdm(segments, desc="Adding alignments")
        out = []
        num_used = 0
        for seg in segments:
            ws = by_recording.get(seg.recording_id)
            items: list[AlignmentItem] = []
            if ws:
                starts = starts_by_recording[seg.recording_id]
                low = seg.start - CTM_TOLERANCE
                high = seg.end + CTM_TOLERANCE
                for k in range(bisect_left(starts, low), len(ws)):
                    w = ws[k]
                    if w.start > high:
                        break
                    if w.start + w.duration > high:
                        continue
                    if match_channel and not _on_channel(seg.channel, w, ctm_file):
                        continue
                    items.append(AlignmentItem(w.symbol, w.start, w.duration, w.score))
            num_used += len(items)
            out.append(seg.with_alignment(type, items))
        logger.info(
            "%s: %d alignment items added to supervisions out of %d CTM entries; "
            "many missing ones suggest mismatched recording ids, times or channels",
            ctm_file,
            num_used,
            len(words),
        )
        return self.__class__.from_segments(out)

    def write_alignment_to_ctm(self, ctm_file: Pathlike, type: str = "word") -> None:
        """Write the ``type`` alignments as CTM (see :func:`~nuptse.supervision.formats.write_ctm`).

        Segments without that alignment are skipped; empty symbols (silences)
        are left out; times keep 2 decimals unless more are needed.
        """
        write_ctm(self, ctm_file, type=type)

    # --- transformations --------------------------------------------------------------

    def transform_text(self, transform_fn: Callable[[str], str]) -> SupervisionSet:
        """Apply ``transform_fn`` to every segment's text (lazily for a lazy set).

        >>> sups = SupervisionSet.from_segments([SupervisionSegment("s", "r", 0, 1, text="hi")])
        >>> sups.transform_text(str.upper)["s"].text
        'HI'
        """
        return self.map(methodcaller("transform_text", transform_fn))

    def transform_alignment(
        self, transform_fn: Callable[[str], str], type: str = "word"
    ) -> SupervisionSet:
        """Apply ``transform_fn`` to the symbols of every segment's alignment ``type``."""
        return self.map(methodcaller("transform_alignment", transform_fn, type=type))

    # --- search ----------------------------------------------------------------------

    def _get_index(self) -> SupervisionIndex:
        items = self._items
        if not self.is_lazy:
            key = (id(items), len(items))
            if self._index is None or self._index_key != key:
                self._index = SupervisionIndex(list(items.values()))
                self._index_key = key
        elif self._index is None:
            self._index = SupervisionIndex(list(items))
        return self._index

    def find(
        self,
        recording_id: str,
        channel: int | Sequence[int] | None = None,
        start_after: Seconds = 0,
        end_before: Seconds | None = None,
        adjust_offset: bool = False,
        tolerance: Seconds = 0.001,
    ) -> Iterator[SupervisionSegment]:
        """The segments of ``recording_id`` inside a time window, in the set's order.

        A segment matches when it starts at or after ``start_after`` and, if
        ``end_before`` is given, ends at or before it; ``tolerance`` widens both
        bounds.  With ``channel`` (an int or a list), only segments on that
        channel (all of those channels) match.  ``adjust_offset`` shifts the
        returned segments so that times are relative to ``start_after`` (the
        start of a cut, say).  The first call builds an index of the set
        (reused until the set changes), so each query costs two binary
        searches plus the matches.

        >>> sups = SupervisionSet.from_segments([
        ...     SupervisionSegment("a", "rec", 0.0, 2.0, channel=0),
        ...     SupervisionSegment("b", "rec", 2.0, 3.0, channel=1),
        ...     SupervisionSegment("c", "rec", 6.0, 1.0, channel=[0, 1]),
        ... ])
        >>> [s.id for s in sups.find("rec", start_after=1.0, end_before=7.0)]
        ['b', 'c']
        >>> [s.id for s in sups.find("rec", channel=1)]
        ['b', 'c']
        >>> [s.start for s in sups.find("rec", start_after=2.0, adjust_offset=True)]
        [0.0, 4.0]
        """
        found = self._get_index().find(recording_id, channel, start_after, end_before, tolerance)
        if adjust_offset:
            offset = -start_after
            return (s.with_offset(offset) for s in found)
        return iter(found)

    def _index_by_recording_id_and_cache(self) -> dict[str, list[SupervisionSegment]]:
        """Segments grouped by recording id, in the set's order (cached with the index)."""
        return self._get_index().groups()


def _ctm_start(w) -> float:
    return w.start


def _on_channel(segment_channel, word, path) -> bool:
    if not isinstance(word.channel, int):
        raise CtmParseError(
            path,
            word.line_no,
            f"channel {word.channel!r} is not an integer, so it cannot be matched "
            "to supervision channels (match_channel=True)",
        )
    if isinstance(segment_channel, list):
        return word.channel in segment_channel
    return word.channel == segment_channel
