"""A supervision: a labelled time span of one recording."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from math import copysign
from sys import intern
from typing import Any, Optional

import msgspec

from nuptse.supervision.alignment import AlignmentItem, _perturb_span, trim_span
from nuptse.supervision.custom import (
    CustomFieldMixin,
    deserialize_custom_field,
    serialize_custom_field,
)
from nuptse.timing import Seconds
from nuptse.utils.field_types import CHANNEL, NUMBER, check_fields


class _Row(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A manifest line as msgspec decodes it, types checked while parsing.

    Decoding blocks of lines straight into these skips the dict per line
    (about twice as fast); :meth:`SupervisionSegment.from_dict` accepts them.
    """

    id: str
    recording_id: str
    start: float
    duration: float
    channel: Any = 0
    text: Optional[str] = None  # noqa: UP045 (msgspec reads the annotation at runtime)
    language: Optional[str] = None  # noqa: UP045
    speaker: Optional[str] = None  # noqa: UP045
    gender: Optional[str] = None  # noqa: UP045
    custom: Any = None
    alignment: Any = None


#: Decodes a block of manifest lines into :class:`_Row` records (raises
#: ``msgspec`` errors on anything else, e.g. a foreign field).
decode_jsonl_block = msgspec.json.Decoder(_Row).decode_lines


# ``frozen=True`` only so that the generated ``__init__`` stores fields with
# ``object.__setattr__`` (a C call) instead of going through the custom-field
# ``__setattr__`` once per field (4x slower construction); the frozen
# ``__setattr__``/``__delattr__``/``__hash__`` are removed right after the
# class, so segments stay mutable and unhashable as in lhotse.
@dataclass(slots=True, frozen=True)
class SupervisionSegment(CustomFieldMixin):
    """A time interval of a recording with its labels: transcript, speaker,
    language, gender, alignments and any ``custom`` metadata.

    ``start`` and ``duration`` are in seconds, relative to the start of the
    recording (or of the cut that holds the segment).  ``channel`` is an int,
    or a list of ints when several channels share the segment.  ``alignment``
    maps an alignment type (``"word"``, ``"phone"``, ...) to a list of
    :class:`AlignmentItem`.  Fields of ``custom`` can also be read as
    attributes (``sup.emotion`` for ``custom["emotion"]``).

    The class is a slotted dataclass (about 120 bytes plus its field values),
    and :func:`dataclasses.replace` works on it.

    Examples

    A simple segment with no supervision information:

    >>> from nuptse import SupervisionSegment
    >>> sup0 = SupervisionSegment(
    ...     id='rec00001-sup00000', recording_id='rec00001',
    ...     start=0.5, duration=5.0, channel=0
    ... )

    Typical supervision containing transcript, speaker ID, gender, and language:

    >>> sup1 = SupervisionSegment(
    ...     id='rec00001-sup00001', recording_id='rec00001',
    ...     start=5.5, duration=3.0, channel=0,
    ...     text='transcript of the second segment',
    ...     speaker='Norman Dyhrentfurth', language='English', gender='M'
    ... )

    Two supervisions of overlapping speech on two channels:

    >>> sup2 = SupervisionSegment(
    ...     id='rec00001-sup00002', recording_id='rec00001',
    ...     start=15.0, duration=5.0, channel=0,
    ...     text="i have incredibly good news for you",
    ...     speaker='Norman Dyhrentfurth', language='English', gender='M'
    ... )
    >>> sup3 = SupervisionSegment(
    ...     id='rec00001-sup00003', recording_id='rec00001',
    ...     start=18.0, duration=3.0, channel=1,
    ...     text="say what",
    ...     speaker='Hervey Arman', language='English', gender='M'
    ... )

    A supervision with a phone alignment:

    >>> from nuptse.supervision import AlignmentItem
    >>> sup4 = SupervisionSegment(
    ...     id='rec00001-sup00004', recording_id='rec00001',
    ...     start=33.0, duration=1.0, channel=0,
    ...     text="ice",
    ...     speaker='Maryla Zechariah', language='English', gender='F',
    ...     alignment={
    ...         'phone': [
    ...             AlignmentItem(symbol='AY0', start=33.0, duration=0.6),
    ...             AlignmentItem(symbol='S', start=33.6, duration=0.4)
    ...         ]
    ...     }
    ... )

    A supervision shared across multiple channels of a recording:

    >>> sup5 = SupervisionSegment(
    ...     id='rec00001-sup00005', recording_id='rec00001',
    ...     start=33.0, duration=1.0, channel=[0, 1],
    ...     text="ice",
    ...     speaker='Maryla Zechariah',
    ... )

    Converting to a dict (unset optional fields are left out):

    >>> sup0.to_dict()
    {'id': 'rec00001-sup00000', 'recording_id': 'rec00001', 'start': 0.5, 'duration': 5.0, 'channel': 0}
    """

    id: str
    recording_id: str
    start: Seconds
    duration: Seconds
    channel: int | list[int] = 0
    text: str | None = None
    language: str | None = None
    speaker: str | None = None
    gender: str | None = None
    custom: dict[str, Any] | None = None
    alignment: dict[str, list[AlignmentItem]] | None = None

    #: Lazy JSON-lines reading decodes blocks of lines with this (see
    #: :class:`nuptse.lazy.LazyDeserializer`).
    jsonl_block_decoder = staticmethod(decode_jsonl_block)

    # --- time ---------------------------------------------------------------------

    @property
    def end(self) -> Seconds:
        """``start + duration``, rounded to 8 decimals.

        >>> SupervisionSegment("s", "r", start=0.1, duration=0.2).end
        0.3
        """
        return round(self.start + self.duration, 8)

    def with_offset(self, offset: Seconds) -> SupervisionSegment:
        """The same segment with ``offset`` added to ``start`` (alignments unchanged).

        >>> SupervisionSegment("s", "r", start=1.5, duration=2.0).with_offset(-1.0).start
        0.5
        """
        return SupervisionSegment(
            self.id,
            self.recording_id,
            round(self.start + offset, 8),
            self.duration,
            self.channel,
            self.text,
            self.language,
            self.speaker,
            self.gender,
            self.custom,
            self.alignment,
        )

    def perturb_speed(
        self, factor: float, sampling_rate: int, affix_id: bool = True
    ) -> SupervisionSegment:
        """Boundaries matching the recording sped up by ``factor``.

        Start and duration go through sample counts at ``sampling_rate`` so
        they agree with the perturbed audio; alignments follow.  With
        ``affix_id`` the id and recording id get ``_sp{factor}``.

        >>> s = SupervisionSegment("s", "r", start=0.1, duration=1.2345)
        >>> p = s.perturb_speed(1.1, 16000)
        >>> p.id, p.recording_id, p.start, p.duration
        ('s_sp1.1', 'r_sp1.1', 0.0909375, 1.12225)
        """
        return self._perturbed(factor, sampling_rate, f"_sp{factor}" if affix_id else "")

    def perturb_tempo(
        self, factor: float, sampling_rate: int, affix_id: bool = True
    ) -> SupervisionSegment:
        """Like :meth:`perturb_speed` (tempo moves boundaries the same way); affix ``_tp{factor}``.

        >>> SupervisionSegment("s", "r", 0.0, 1.0).perturb_tempo(0.9, 16000).id
        's_tp0.9'
        """
        return self._perturbed(factor, sampling_rate, f"_tp{factor}" if affix_id else "")

    def _perturbed(self, factor: float, sampling_rate: int, affix: str) -> SupervisionSegment:
        start, duration = _perturb_span(self.start, self.duration, factor, sampling_rate)
        alignment = None
        if self.alignment:
            alignment = {
                kind: [item.perturb_speed(factor, sampling_rate) for item in items]
                for kind, items in self.alignment.items()
            }
        return self._copy(
            id=self.id + affix,
            recording_id=self.recording_id + affix,
            start=start,
            duration=duration,
            alignment=alignment,
        )

    def perturb_volume(self, factor: float, affix_id: bool = True) -> SupervisionSegment:
        """Volume changes no times; only the ids get ``_vp{factor}`` (with ``affix_id``).

        >>> SupervisionSegment("s", "r", 0.0, 1.0).perturb_volume(0.5).recording_id
        'r_vp0.5'
        """
        return self._with_affix(f"_vp{factor}" if affix_id else "")

    def narrowband(self, codec: str, affix_id: bool = True) -> SupervisionSegment:
        """Narrowband coding changes no times; the ids get ``_nb_{codec}`` (with ``affix_id``)."""
        return self._with_affix(f"_nb_{codec}" if affix_id else "")

    def reverb_rir(
        self, affix_id: bool = True, channel: int | list[int] | None = None
    ) -> SupervisionSegment:
        """Reverberation changes no times; ids get ``_rvb`` and ``channel`` may be replaced.

        >>> SupervisionSegment("s", "r", 0.0, 1.0).reverb_rir().id
        's_rvb'
        """
        out = self._with_affix("_rvb" if affix_id else "")
        if channel is not None:
            out.channel = channel
        return out

    def _with_affix(self, affix: str) -> SupervisionSegment:
        return self._copy(id=self.id + affix, recording_id=self.recording_id + affix)

    def trim(self, end: Seconds, start: Seconds = 0) -> SupervisionSegment:
        """Clip the segment (and its alignments) to ``[start, end]``.

        ``start`` (>= 0) and ``end`` are relative to the same origin as the
        segment, e.g. ``trim(cut.duration)`` for a supervision of a cut.  A
        segment entirely outside the window becomes zero-length at the nearest
        bound; durations never become negative.

        >>> s = SupervisionSegment("s", "r", start=-0.5, duration=3.0)
        >>> t = s.trim(end=2.0)
        >>> t.start, t.duration
        (0, 2.0)
        """
        new_start, new_duration = trim_span(self.start, self.duration, end, start)
        alignment = None
        if self.alignment:
            alignment = {
                kind: [item.trim(end=end, start=start) for item in items]
                for kind, items in self.alignment.items()
            }
        return self._copy(start=new_start, duration=new_duration, alignment=alignment)

    # --- content --------------------------------------------------------------------

    def with_id(self, new_id: str) -> SupervisionSegment:
        """A copy with another id."""
        return self._copy(id=new_id)

    def with_alignment(self, kind: str, alignment: list[AlignmentItem]) -> SupervisionSegment:
        """A copy whose alignment of type ``kind`` is ``alignment`` (other types kept).

        >>> s = SupervisionSegment("s", "r", 0.0, 1.0)
        >>> s.with_alignment("word", [AlignmentItem("HI", 0.1, 0.3)]).alignment
        {'word': [AlignmentItem(symbol='HI', start=0.1, duration=0.3, score=None)]}
        """
        new = dict(self.alignment) if self.alignment else {}
        new[kind] = alignment
        return self._copy(alignment=new)

    def map(
        self, transform_fn: Callable[[SupervisionSegment], SupervisionSegment]
    ) -> SupervisionSegment:
        """``transform_fn(self)``."""
        return transform_fn(self)

    def transform_text(self, transform_fn: Callable[[str], str]) -> SupervisionSegment:
        """A copy with ``transform_fn`` applied to ``text`` (no-op without text).

        >>> SupervisionSegment("s", "r", 0.0, 1.0, text="hi there").transform_text(str.upper).text
        'HI THERE'
        """
        if self.text is None:
            return self
        return self._copy(text=transform_fn(self.text))

    def transform_alignment(
        self, transform_fn: Callable[[str], str], type: str | None = "word"
    ) -> SupervisionSegment:
        """A copy with ``transform_fn`` applied to the symbols of alignment ``type``.

        >>> s = SupervisionSegment("s", "r", 0.0, 1.0, alignment={
        ...     "word": [AlignmentItem("hi", 0.0, 0.5)], "phone": [AlignmentItem("h", 0.0, 0.2)]})
        >>> t = s.transform_alignment(str.upper)
        >>> t.alignment["word"][0].symbol, t.alignment["phone"][0].symbol
        ('HI', 'h')
        """
        if self.alignment is None:
            return self
        alignment = {
            kind: [item.transform(transform_fn) for item in items] if kind == type else items
            for kind, items in self.alignment.items()
        }
        return self._copy(alignment=alignment)

    # --- serialization ----------------------------------------------------------------

    def to_dict(self) -> dict:
        """A JSON-ready dict in lhotse's layout; unset optional fields are left out.

        >>> s = SupervisionSegment("s", "r", 0.0, 1.0, text="HI",
        ...     alignment={"word": [AlignmentItem("HI", 0.0, 1.0)]})
        >>> s.to_dict()
        {'id': 's', 'recording_id': 'r', 'start': 0.0, 'duration': 1.0, 'channel': 0, 'text': 'HI', 'alignment': {'word': [['HI', 0.0, 1.0, None]]}}
        """
        d = {
            "id": self.id,
            "recording_id": self.recording_id,
            "start": self.start,
            "duration": self.duration,
        }
        if self.channel is not None:
            d["channel"] = self.channel
        if self.text is not None:
            d["text"] = self.text
        if self.language is not None:
            d["language"] = self.language
        if self.speaker is not None:
            d["speaker"] = self.speaker
        if self.gender is not None:
            d["gender"] = self.gender
        if self.custom is not None:
            d["custom"] = serialize_custom_field(self.custom)
        if self.alignment is not None:
            d["alignment"] = {
                kind: [list(item) for item in items] for kind, items in self.alignment.items()
            }
        return d

    @staticmethod
    def from_dict(data: dict) -> SupervisionSegment:
        """Build a segment from :meth:`to_dict`'s output (or a lhotse manifest line).

        Repeated strings (recording id, speaker, language, gender) are interned
        so that large manifests share them.  The input dict is not modified.

        >>> d = {"id": "s", "recording_id": "r", "start": 0.0, "duration": 1.0,
        ...      "alignment": {"word": [["HI", 0.0, 1.0, None]]}}
        >>> SupervisionSegment.from_dict(d).alignment["word"][0]
        AlignmentItem(symbol='HI', start=0.0, duration=1.0, score=None)
        """
        if type(data) is _Row:
            if type(data.channel) is not int:  # msgspec checked the other fields' types
                check_fields("supervision", data.id, (("channel", data.channel, CHANNEL),))
            if data.custom is None and data.alignment is None:
                return _assemble(
                    data.id,
                    data.recording_id,
                    data.start,
                    data.duration,
                    data.channel,
                    data.text,
                    data.language,
                    data.speaker,
                    data.gender,
                    None,
                    None,
                )
            data = {name: getattr(data, name) for name in _FIELD_NAMES}
        if not _FIELD_NAMES_SET.issuperset(data):
            unknown = sorted(set(data) - _FIELD_NAMES_SET)
            raise TypeError(f"unknown SupervisionSegment field(s) {unknown}")
        get = data.get
        check_fields(
            "supervision",
            get("id"),
            (
                ("start", get("start"), NUMBER),
                ("duration", get("duration"), NUMBER),
                ("channel", get("channel"), CHANNEL),
            ),
        )
        language = get("language")
        speaker = get("speaker")
        gender = get("gender")
        custom = get("custom")
        alignment = get("alignment")
        if alignment is not None:
            alignment = {
                kind: [
                    AlignmentItem(*x) if type(x) is list else AlignmentItem.deserialize(x)
                    for x in items
                ]
                for kind, items in alignment.items()
            }
        if custom:
            custom = deserialize_custom_field(custom)
        return _assemble(
            data["id"],
            data["recording_id"],
            data["start"],
            data["duration"],
            get("channel", 0),
            get("text"),
            language,
            speaker,
            gender,
            custom,
            alignment,
        )

    def _copy(self, **changes) -> SupervisionSegment:
        values = {name: getattr(self, name) for name in _FIELD_NAMES}
        values.update(changes)
        return SupervisionSegment(**values)


_ZERO = 0.0
del SupervisionSegment.__setattr__, SupervisionSegment.__delattr__
SupervisionSegment.__hash__ = None  # type: ignore[assignment]

_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(SupervisionSegment))
_FIELD_NAMES_SET = frozenset(_FIELD_NAMES)


def _assemble(
    sid, rid, start, duration, channel, text, language, speaker, gender, custom, alignment
) -> SupervisionSegment:
    """A segment from deserialized fields, sharing the strings that repeat.

    One string serves as id and recording id when they are equal
    (utterance-level corpora); recording ids, languages, speakers and genders,
    which many segments share, are interned, and a start of 0.0 is one object.
    """
    if start == 0 and type(start) is float and copysign(1.0, start) == 1.0:
        start = _ZERO
    return SupervisionSegment(
        sid,
        sid if rid == sid else intern(rid),
        start,
        duration,
        channel,
        text,
        intern(language) if language is not None else None,
        intern(speaker) if speaker is not None else None,
        intern(gender) if gender is not None else None,
        custom,
        alignment,
    )
