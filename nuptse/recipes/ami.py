"""AMI Meeting Corpus: 100 hours of recorded meetings, close-talk and far-field (CC BY 4.0).

Audio layout: ``<corpus>/<meeting>/audio/<meeting>.Headset-<n>.wav`` (one
per participant, ``ihm``), ``<meeting>.Mix-Headset.wav`` (``ihm-mix``),
``<meeting>.Array<a>-0<c>.wav`` (``sdm`` is ``Array1-01``; ``mdm`` all eight
of both arrays) and ``<meeting>/audio/<meeting>_MDM8.wav`` (``mdm8-bf``).
Annotations: the NXT release ``ami_public_manual_1.6.2`` (folder or zip):
``corpusResources/meetings.xml`` maps each meeting's agent letters to global
speaker ids and headset channels; ``segments/<meeting>.<agent>.segments.xml``
gives the transcribers' segments and ``words/<meeting>.<agent>.words.xml``
the time-stamped words.

Each segment's words become one supervision (optionally split at full stops
and commas, ``max_words_per_segment``) with a word alignment.  IHM
supervisions sit on the speaker's headset channel (ids
``<meeting>-<channel>-<n>``); the other settings get one supervision stream
per meeting across all channels (ids ``<meeting>-<n>``).  The official
partitions split meetings into train/dev/test.  Manifests:
``ami-<mic>_{recordings,supervisions}_{train,dev,test}.jsonl.gz``.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, Optional

from nuptse.recipes._common import corpus_dir_or_raise, finish_part, output_dir_or_none
from nuptse.recipes.utils import normalize_text_ami
from nuptse.serialization import Pathlike
from nuptse.timing import add_durations, samples_to_seconds

logger = logging.getLogger(__name__)

# Session -> meeting suffixes ("-": the session is a single meeting of that name).
_MEETING_TABLE = """
EN2001 a b d e
EN2002 a b c d
EN2003 a
EN2004 a
EN2005 a
EN2006 a b
EN2009 b c d
ES2002 a b c d
ES2003 a b c d
ES2004 a b c d
ES2005 a b c d
ES2006 a b c d
ES2007 a b c d
ES2008 a b c d
ES2009 a b c d
ES2010 a b c d
ES2011 a b c d
ES2012 a b c d
ES2013 a b c d
ES2014 a b c d
ES2015 a b c d
ES2016 a b c d
IB4001 -
IB4002 -
IB4003 -
IB4004 -
IB4005 -
IB4010 -
IB4011 -
IN1001 -
IN1002 -
IN1005 -
IN1007 -
IN1008 -
IN1009 -
IN1012 -
IN1013 -
IN1014 -
IN1016 -
IS1000 a b c d
IS1001 a b c d
IS1002 b c d
IS1003 a b c d
IS1004 a b c d
IS1005 a b c
IS1006 a b c d
IS1007 a b c d
IS1008 a b c d
IS1009 a b c d
TS3003 a b c d
TS3004 a b c d
TS3005 a b c d
TS3006 a b c d
TS3007 a b c d
TS3008 a b c d
TS3009 a b c d
TS3010 a b c d
TS3011 a b c d
TS3012 a b c d
"""

MEETINGS: dict[str, list[str]] = {
    session: [session if s == "-" else session + s for s in suffixes]
    for session, *suffixes in (line.split() for line in _MEETING_TABLE.strip().splitlines())
}

_PARTITION_SESSIONS = {
    "scenario-only": {
        "train": """
        ES2002 ES2005 ES2006 ES2007 ES2008 ES2009 ES2010 ES2012 ES2013 ES2015 ES2016
        IS1000 IS1001 IS1002 IS1003 IS1004 IS1005 IS1006 IS1007 TS3005 TS3008 TS3009
        TS3010 TS3011 TS3012
        """,
        "dev": """
        ES2003 ES2011 IS1008 TS3004 TS3006
        """,
        "test": """
        ES2004 ES2014 IS1009 TS3003 TS3007
        """,
    },
    "full-corpus": {
        "train": """
        ES2002 ES2005 ES2006 ES2007 ES2008 ES2009 ES2010 ES2012 ES2013 ES2015 ES2016
        IS1000 IS1001 IS1002 IS1003 IS1004 IS1005 IS1006 IS1007 TS3005 TS3008 TS3009
        TS3010 TS3011 TS3012 EN2001 EN2003 EN2004 EN2005 EN2006 EN2009 IN1001 IN1002
        IN1005 IN1007 IN1008 IN1009 IN1012 IN1013 IN1014 IN1016
        """,
        "dev": """
        ES2003 ES2011 IS1008 TS3004 TS3006 IB4001 IB4002 IB4003 IB4004 IB4010 IB4011
        """,
        "test": """
        ES2004 ES2014 IS1009 TS3003 TS3007 EN2002
        """,
    },
    "full-corpus-asr": {
        "train": """
        ES2002 ES2005 ES2006 ES2007 ES2008 ES2009 ES2010 ES2012 ES2013 ES2015 ES2016
        IS1000 IS1001 IS1002 IS1003 IS1004 IS1005 IS1006 IS1007 TS3005 TS3008 TS3009
        TS3010 TS3011 TS3012 EN2001 EN2003 EN2004 EN2005 EN2006 EN2009 IN1001 IN1002
        IN1005 IN1007 IN1008 IN1009 IN1012 IN1013 IN1014 IN1016 ES2014 TS3007 ES2003
        TS3006
        """,
        "dev": """
        ES2011 IS1008 TS3004 IB4001 IB4002 IB4003 IB4004 IB4010 IB4011
        """,
        "test": """
        ES2004 IS1009 TS3003 EN2002
        """,
    },
}

PARTITIONS: dict[str, dict[str, list[str]]] = {
    name: {
        split: [m for session in sessions.split() for m in MEETINGS[session]]
        for split, sessions in splits.items()
    }
    for name, splits in _PARTITION_SESSIONS.items()
}

MICS = ["ihm", "ihm-mix", "sdm", "mdm", "mdm8-bf"]
MDM_ARRAYS = ["Array1", "Array2"]
MDM_CHANNELS = ["01", "02", "03", "04", "05", "06", "07", "08"]
ANNOTATIONS_NAME = "ami_public_manual_1.6.2"
# The recipe's word and segment times are snapped to this rate (AMI audio is 16 kHz).
_SNAP_RATE = 16000


def _audio_files(meeting: str, mic: str) -> list[tuple[str, bool]]:
    """(path under the mirror's ``amicorpus/``, may be missing) of one meeting's audio."""
    audio = f"{meeting}/audio"
    if mic == "ihm":
        heads = 5 if meeting in ("EN2001a", "EN2001d", "EN2001e") else 4
        return [(f"{audio}/{meeting}.Headset-{m}.wav", False) for m in range(heads)]
    if mic == "ihm-mix":
        return [(f"{audio}/{meeting}.Mix-Headset.wav", False)]
    if mic == "sdm":
        return [(f"{audio}/{meeting}.Array1-01.wav", True)]
    if mic == "mdm":
        return [(f"{audio}/{meeting}.{a}-{c}.wav", True) for a in MDM_ARRAYS for c in MDM_CHANNELS]
    if mic == "mdm8-bf":
        return [(f"beamformed/{meeting}/{meeting}_MDM8.wav", False)]
    raise ValueError(f"unknown AMI mic setting {mic!r}; expected one of {MICS}")


def download_audio(
    target_dir: Path,
    force_download: Optional[bool] = False,
    url: Optional[str] = "http://groups.inf.ed.ac.uk/ami",
    mic: Optional[str] = "ihm",
) -> None:
    """Fetch every meeting's audio for ``mic`` into ``target_dir/wav_db/<meeting>/audio/``."""
    from nuptse.recipes.download import resumable_download

    for session in MEETINGS.values():
        for meeting in session:
            for rel, optional in _audio_files(meeting, mic):
                target = Path(target_dir) / "wav_db" / meeting / "audio" / rel.rsplit("/", 1)[1]
                resumable_download(
                    f"{url}/AMICorpusMirror/amicorpus/{rel}",
                    target,
                    force_download=bool(force_download),
                    missing_ok=optional,
                )


def download_ami(
    target_dir: Pathlike = ".",
    annotations: Optional[Pathlike] = None,
    force_download: Optional[bool] = False,
    url: Optional[str] = "http://groups.inf.ed.ac.uk/ami",
    mic: Optional[str] = "ihm",
) -> Path:
    """Fetch AMI audio for ``mic`` and the annotation zip (kept as ``annotations``)."""
    from nuptse.recipes.download import resumable_download

    target_dir = Path(target_dir)
    zip_path = Path(annotations) if annotations else target_dir / f"{ANNOTATIONS_NAME}.zip"
    download_audio(target_dir, force_download, url, mic)
    if zip_path.exists():
        logger.info("AMI annotations already at %s", zip_path)
        return target_dir
    resumable_download(
        f"{url}/AMICorpusAnnotations/{ANNOTATIONS_NAME}.zip",
        zip_path,
        force_download=bool(force_download),
    )
    return target_dir


class AmiSegmentAnnotation(NamedTuple):
    text: str
    speaker: str
    gender: str
    start_time: float
    end_time: float
    words: list


def _xml_root(path: Path) -> ET.Element:
    """The root element of an NXT annotation file; a damaged file raises ``ValueError`` naming it."""
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as e:
        raise ValueError(f"{path}: not well-formed XML ({e})") from e


def _attr(elem: ET.Element, name: str, path: Path, convert: Callable = str):
    """``elem``'s attribute ``name`` through ``convert``; missing or malformed raises
    ``ValueError`` naming the file, the element and the attribute."""
    raw = elem.get(name)
    if raw is None:
        raise ValueError(f"{path}: <{elem.tag}> without the {name!r} attribute ({elem.attrib})")
    try:
        return convert(raw)
    except ValueError as e:
        raise ValueError(f"{path}: <{elem.tag}> {name}={raw!r} is not {convert.__name__}") from e


def _speakers(annotations_dir: Path) -> dict[tuple[str, str], tuple[str, int]]:
    """(meeting, agent letter) -> (global speaker id, headset channel) from meetings.xml."""
    path = annotations_dir / "corpusResources" / "meetings.xml"
    if not path.is_file():
        raise FileNotFoundError(f"No such file: {path} (is {annotations_dir} the NXT release?)")
    out = {}
    for meeting in _xml_root(path):
        meet_id = _attr(meeting, "observation", path)
        for speaker in meeting:
            out[(meet_id, _attr(speaker, "nxt_agent", path))] = (
                _attr(speaker, "global_name", path),
                _attr(speaker, "channel", path, int),
            )
    return out


def _stream_files(folder: Path) -> list[tuple[Path, str, str]]:
    """(file, meeting, agent) for ``<meeting>.<agent>.<kind>.xml`` files, sorted by name."""
    out = []
    for path in sorted(folder.iterdir()):
        fields = path.name.split(".")
        if len(fields) != 4 or fields[-1] != "xml":
            continue
        out.append((path, fields[0], fields[1]))
    return out


def split_segment(
    words: list[tuple[float, float, str]],
    max_words_per_segment: Optional[int] = None,
    merge_consecutive: bool = False,
    keep_punctuation: bool = False,
) -> list[list[tuple[float, float, str]]]:
    """Split a segment's words into sentences at ``.`` and, past ``max_words_per_segment``, at ``,``.

    ``merge_consecutive`` joins sentences that touch (one ends where the next
    starts) while they stay within ``max_words_per_segment``.  The separator
    words themselves are dropped unless ``keep_punctuation``.
    """

    def pieces(seq, sep):
        chunk: list = []
        for w in seq:
            if w[-1] == sep:
                if keep_punctuation:
                    chunk.append(w)
                if chunk:
                    yield chunk
                chunk = []
            else:
                chunk.append(w)
        if chunk:
            yield chunk

    limit = max_words_per_segment if max_words_per_segment else 100000
    sentences = list(pieces(words, "."))
    if merge_consecutive and len(sentences) > 1:
        merged = [sentences[0]]
        for s in sentences[1:]:
            if merged[-1][-1][1] == s[0][0] and len(merged[-1]) + len(s) <= limit:
                merged[-1].extend(s)
            else:
                merged.append(s)
        sentences = merged
    if max_words_per_segment is not None:
        out = []
        for s in sentences:
            if len(s) <= max_words_per_segment:
                out.append(s)
                continue
            clauses = list(pieces(s, ","))
            merged = [clauses[0]] if clauses else []
            for c in clauses[1:]:
                if len(merged[-1]) + len(c) <= max_words_per_segment:
                    merged[-1].extend(c)
                else:
                    merged.append(c)
            out.extend(merged)
        sentences = out
    return [s for s in sentences if s]


def _word_items(
    piece: list[tuple[float, float, str]], key: tuple, normalize: str, keep_punctuation: bool
) -> list:
    from nuptse.supervision import AlignmentItem

    start, end = piece[0][0], piece[-1][1]
    items = []
    for w_start, w_end, word in piece:
        w_start = max(start, round(w_start, ndigits=4))
        w_end = min(end, round(w_end, ndigits=4))
        duration = add_durations(w_end, -w_start, sampling_rate=_SNAP_RATE)
        symbol = normalize_text_ami(word, normalize=normalize)
        if not symbol:
            continue
        if duration <= 0 and (not keep_punctuation or len(word) > 1):
            logger.warning(
                "%s.%s.%s, segment %s-%s: word %r has no duration; skipped",
                *key,
                start,
                end,
                word,
            )
            continue
        items.append(AlignmentItem(symbol=symbol, start=w_start, duration=duration))
    return items


def parse_ami_annotations(
    annotations_dir: Pathlike,
    normalize: str = "upper",
    max_words_per_segment: Optional[int] = None,
    merge_consecutive: bool = False,
    keep_punctuation: bool = False,
) -> dict[tuple[str, str, int], list[AmiSegmentAnnotation]]:
    """``{(meeting, speaker, channel): [AmiSegmentAnnotation, ...]}`` from the NXT files.

    A ``.zip`` is unpacked next to itself first.
    """
    annotations_dir = Path(annotations_dir)
    if annotations_dir.suffix == ".zip":
        import zipfile

        from nuptse.recipes.download import safe_extract_zip

        with zipfile.ZipFile(annotations_dir) as zf:
            safe_extract_zip(zf, annotations_dir.parent)
        annotations_dir = annotations_dir.parent
    speakers = _speakers(annotations_dir)

    segments: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    for path, meeting, agent in _stream_files(annotations_dir / "segments"):
        if (meeting, agent) not in speakers:
            logger.warning("%s: no speaker %s.%s in meetings.xml; skipped", path, meeting, agent)
            continue
        spk, channel = speakers[(meeting, agent)]
        segments[(meeting, spk, channel)] = [
            (
                _attr(seg, "transcriber_start", path, float),
                _attr(seg, "transcriber_end", path, float),
            )
            for seg in _xml_root(path)
            if seg.tag == "segment"
        ]

    words: dict[tuple[str, str, int], list[tuple[float, float, str]]] = {}
    for path, meeting, agent in _stream_files(annotations_dir / "words"):
        if (meeting, agent) not in speakers:
            continue
        spk, channel = speakers[(meeting, agent)]
        key = (meeting, spk, channel)
        if key not in segments:
            continue
        stream = []
        for w in _xml_root(path):
            if w.tag != "w" or "starttime" not in w.attrib:
                continue
            text = w.text or ""
            if keep_punctuation:
                text = ("" if w.get("punc") else " ") + text + ("- " if w.get("trunc") else "")
            stream.append(
                (_attr(w, "starttime", path, float), _attr(w, "endtime", path, float), text)
            )
        words[key] = stream

    annotations: dict[tuple[str, str, int], list[AmiSegmentAnnotation]] = {}
    for key, spans in segments.items():
        stream = words.get(key, [])
        out = annotations.setdefault(key, [])
        for seg_start, seg_end in spans:
            inside = [w for w in stream if w[0] >= seg_start and w[1] <= seg_end]
            for piece in split_segment(inside, max_words_per_segment, merge_consecutive):
                items = _word_items(piece, key, normalize, keep_punctuation)
                out.append(
                    AmiSegmentAnnotation(
                        text=("" if keep_punctuation else " ")
                        .join(i.symbol for i in items)
                        .strip(),
                        speaker=key[1],
                        gender=key[1][0],
                        start_time=piece[0][0],
                        end_time=piece[-1][1],
                        words=items,
                    )
                )
    return {k: v for k, v in annotations.items() if v}


def _file_info(path: Path) -> tuple[int, int, int]:
    import soundfile as sf

    info = sf.info(str(path))
    return info.samplerate, info.channels, info.frames


def prepare_audio_grouped(audio_paths: list[Path]) -> Any:
    """One recording per meeting from one mono file per channel (``ihm``, ``mdm``)."""
    from nuptse.audio import AudioSource, Recording, RecordingSet

    by_meeting: dict[str, list[Path]] = {}
    for p in audio_paths:
        by_meeting.setdefault(p.parts[-3], []).append(p)
    recordings = []
    for meeting, paths in by_meeting.items():
        infos = [(p, _file_info(p)) for p in sorted(paths)]
        if any(channels > 1 for _, (_, channels, _) in infos):
            logger.warning("recording %s has a multi-channel file; skipped", meeting)
            continue
        rate, _, frames = _file_info(paths[0])
        recordings.append(
            Recording(
                id=meeting,
                sources=[
                    AudioSource(type="file", channels=[i], source=str(p))
                    for i, (p, _) in enumerate(infos)
                ],
                sampling_rate=rate,
                num_samples=frames,
                duration=samples_to_seconds(frames, rate),
            )
        )
    return RecordingSet.from_items(recordings)


def prepare_audio_single(audio_paths: list[Path], mic: Optional[str] = "ihm-mix") -> Any:
    """One recording per file (``ihm-mix``, ``sdm``, ``mdm8-bf``)."""
    from nuptse.audio import AudioSource, Recording, RecordingSet

    recordings = []
    for p in audio_paths:
        rate, channels, frames = _file_info(p)
        recordings.append(
            Recording(
                id=p.parts[-2] if mic == "mdm8-bf" else p.parts[-3],
                sources=[AudioSource(type="file", channels=list(range(channels)), source=str(p))],
                sampling_rate=rate,
                num_samples=frames,
                duration=samples_to_seconds(frames, rate),
            )
        )
    return RecordingSet.from_items(recordings)


def prepare_supervision_ihm(audio: Any, annotations: dict) -> Any:
    """Supervisions on each speaker's own headset channel."""
    from nuptse.supervision import SupervisionSegment, SupervisionSet

    by_channel = {(key[0], key[2]): value for key, value in annotations.items()}
    segments = []
    for rec in audio:
        for source in rec.sources:
            (channel,) = source.channels
            found = by_channel.get((rec.id, channel))
            if found is None:
                logger.warning(
                    "no annotation for %s channel %d (%s)", rec.id, channel, source.source
                )
                continue
            for idx, seg in enumerate(found):
                duration = add_durations(seg.end_time, -seg.start_time, sampling_rate=_SNAP_RATE)
                if seg.end_time > rec.duration:
                    logger.warning(
                        "segment %s-%d-%d ends after its recording", rec.id, channel, idx
                    )
                    continue
                if duration > 0:
                    segments.append(
                        SupervisionSegment(
                            id=f"{rec.id}-{channel}-{idx}",
                            recording_id=rec.id,
                            start=round(seg.start_time, ndigits=4),
                            duration=duration,
                            channel=channel,
                            language="English",
                            speaker=seg.speaker,
                            gender=seg.gender,
                            text=seg.text,
                            alignment={"word": seg.words},
                        )
                    )
    return SupervisionSet.from_items(segments)


def prepare_supervision_other(audio: Any, annotations: dict) -> Any:
    """Supervisions over all channels of a far-field or mixed recording."""
    from nuptse.supervision import SupervisionSegment, SupervisionSet

    by_meeting: dict[str, list[AmiSegmentAnnotation]] = {}
    for key, value in annotations.items():
        by_meeting.setdefault(key[0], []).extend(value)
    segments = []
    for rec in audio:
        found = by_meeting.get(rec.id)
        if found is None:
            logger.warning("no annotation for recording %s", rec.id)
            continue
        if any(len(s.channels) > 1 for s in rec.sources):
            logger.warning("recording %s has a multi-channel file; skipped", rec.id)
            continue
        for idx, seg in enumerate(found):
            duration = seg.end_time - seg.start_time
            if duration > 0:
                segments.append(
                    SupervisionSegment(
                        id=f"{rec.id}-{idx}",
                        recording_id=rec.id,
                        start=seg.start_time,
                        duration=duration,
                        channel=rec.channel_ids,
                        language="English",
                        speaker=seg.speaker,
                        gender=seg.gender,
                        text=seg.text,
                        alignment={"word": seg.words},
                    )
                )
    return SupervisionSet.from_items(segments)


_PATTERNS = {
    "ihm": "*Headset-?.wav",
    "mdm": "*Array?-0?.wav",
    "ihm-mix": "*Mix-Headset.wav",
    "sdm": "*Array1-01.wav",
    "mdm8-bf": "*MDM8.wav",
}


def prepare_ami(
    data_dir: Pathlike,
    annotations_dir: Optional[Pathlike] = None,
    output_dir: Optional[Pathlike] = None,
    mic: Optional[str] = "ihm",
    partition: Optional[str] = "full-corpus",
    normalize_text: str = "kaldi",
    max_words_per_segment: Optional[int] = None,
    merge_consecutive: bool = False,
    keep_punctuation: Optional[bool] = False,
) -> dict[str, dict[str, Any]]:
    """``{"train"|"dev"|"test": {"recordings": ..., "supervisions": ...}}`` for one mic setting.

    ``annotations_dir`` defaults to ``data_dir/ami_public_manual_1.6.2`` (a
    folder or ``.zip``).  ``partition`` is ``full-corpus``, ``full-corpus-asr``
    or ``scenario-only``; ``normalize_text`` is ``none``, ``upper`` or ``kaldi``.
    """
    data_dir = corpus_dir_or_raise(data_dir, "AMI")
    if mic not in MICS:
        raise ValueError(f"unknown AMI mic setting {mic!r}; expected one of {MICS}")
    if partition not in PARTITIONS:
        raise ValueError(f"unknown AMI partition {partition!r}; expected one of {list(PARTITIONS)}")
    out = output_dir_or_none(output_dir)
    if annotations_dir:
        annotations_dir = Path(annotations_dir)
    elif (data_dir / ANNOTATIONS_NAME).is_dir():
        annotations_dir = data_dir / ANNOTATIONS_NAME
    elif (data_dir / f"{ANNOTATIONS_NAME}.zip").is_file():
        annotations_dir = data_dir / f"{ANNOTATIONS_NAME}.zip"
    else:
        raise FileNotFoundError(
            f"no annotations given and neither {ANNOTATIONS_NAME}/ nor {ANNOTATIONS_NAME}.zip "
            f"in {data_dir}"
        )
    annotations = parse_ami_annotations(
        annotations_dir,
        normalize=normalize_text,
        max_words_per_segment=max_words_per_segment,
        merge_consecutive=merge_consecutive,
        keep_punctuation=bool(keep_punctuation),
    )
    paths = sorted(data_dir.rglob(_PATTERNS[mic]))
    if mic in ("ihm", "mdm"):
        audio = prepare_audio_grouped(paths)
    else:
        audio = prepare_audio_single(paths, mic)
    if mic == "ihm":
        supervisions = prepare_supervision_ihm(audio, annotations)
    else:
        supervisions = prepare_supervision_other(audio, annotations)
    manifests: dict[str, dict[str, Any]] = {}
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    for part, meetings in PARTITIONS[partition].items():
        wanted = set(meetings)
        recs, sups = finish_part(
            RecordingSet.from_items(r for r in audio if r.id in wanted),
            SupervisionSet.from_items(s for s in supervisions if s.recording_id in wanted),
        )
        if out is not None:
            recs.to_file(out / f"ami-{mic}_recordings_{part}.jsonl.gz")
            sups.to_file(out / f"ami-{mic}_supervisions_{part}.jsonl.gz")
        manifests[part] = {"recordings": recs, "supervisions": sups}
    return manifests


__all__ = ["download_ami", "parse_ami_annotations", "prepare_ami"]
