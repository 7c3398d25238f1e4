"""Kaldi data directories: import into manifests and export back.

A Kaldi data directory is a set of sorted ``key value`` text files:
``wav.scp`` (recording id -> file path, or a shell pipeline ending in ``|``),
``segments`` (utterance -> recording, start, end), ``text``, ``utt2spk``,
``spk2gender``, ``utt2lang``, ``reco2dur``, ``utt2dur`` and ``feats.scp``
(utterance -> ``archive.ark:byte_offset``).  :func:`load_kaldi_data_dir` turns
them into a ``RecordingSet``, a ``SupervisionSet`` and a ``FeatureSet`` whose
features are read through kaldiio (storage type ``"kaldiio"``);
:func:`export_to_kaldi` writes recordings and supervisions back.

Pipe entries become ``command`` audio sources.  Running them executes
arbitrary shell code, so the importer only runs them (to measure durations
when ``reco2dur`` is not used) with ``allow_commands=True``; loading their
audio later needs the audio layer's own permission (see
``nuptse.audio.allow_commands``).
"""

from __future__ import annotations

import io
import logging
import math
import shlex
import struct
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional

from nuptse.exports import lazy_exports
from nuptse.serialization import Pathlike
from nuptse.timing import (
    Seconds,
    compute_num_samples,
    round_time,
    samples_to_seconds,
    time_diff_samples,
)

logger = logging.getLogger(__name__)

# lhotse.kaldi also exposes the classes and helpers it imports; here they
# resolve on first use.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "AudioSource": "nuptse.audio",
        "Recording": "nuptse.audio",
        "RecordingSet": "nuptse.audio",
        "info": "nuptse.audio",
        "FeatureSet": "nuptse.features",
        "Features": "nuptse.features",
        "SupervisionSegment": "nuptse.supervision",
        "SupervisionSet": "nuptse.supervision",
        "add_durations": "nuptse.utils",
        "fastcopy": "nuptse.utils",
        "is_module_available": "nuptse.utils",
        "to_list": "nuptse.utils",
    },
    globals(),
)


class KaldiFormatError(ValueError):
    """A Kaldi data directory file is malformed (the message names file and line)."""


class KaldiFileMissingError(FileNotFoundError, ValueError):
    """A required Kaldi data directory file does not exist.

    Also a ``ValueError``, which lhotse raises for it.
    """


# --- text files -------------------------------------------------------------------------


def _iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise KaldiFormatError(
                    f"{path}, line {lineno}: not UTF-8 text (byte {e.start} of the line is "
                    f"{raw[e.start : e.start + 1]!r}); convert the file to UTF-8 (e.g. iconv)"
                ) from None
            if lineno == 1 and line.startswith("\ufeff"):
                line = line[1:]  # a byte-order mark is not part of the first key
            line = line.strip()
            if line:
                yield lineno, line


def load_kaldi_text_mapping(
    path: Pathlike, must_exist: bool = False, float_vals: bool = False
) -> dict[str, Any]:
    """A Kaldi ``key value`` file (utt2spk, spk2gender, reco2dur...) as a dict.

    A missing file gives an empty dict unless ``must_exist``.  Lines without a
    value, non-numeric values with ``float_vals`` and repeated keys raise
    :class:`KaldiFormatError` naming the file and line.
    """
    path = Path(path)
    if not path.is_file():
        if must_exist:
            raise KaldiFileMissingError(f"No such Kaldi file: {path}")
        return {}
    mapping: dict[str, Any] = {}
    for lineno, line in _iter_lines(path):
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            raise KaldiFormatError(f"{path}, line {lineno}: expected '<key> <value>', got {line!r}")
        key, value = parts
        if key in mapping:
            raise KaldiFormatError(f"{path}, line {lineno}: key {key!r} appears twice")
        if float_vals:
            try:
                value = float(value)
            except ValueError:
                raise KaldiFormatError(
                    f"{path}, line {lineno}: value {value!r} of {key!r} is not a number"
                ) from None
        mapping[key] = value
    return mapping


def load_kaldi_text_file(path: Pathlike, allow_empty_ref: bool = True) -> dict[str, str]:
    """Kaldi ``text``: utterance id -> transcript (empty transcripts allowed by default)."""
    path = Path(path)
    if not path.is_file():
        raise KaldiFileMissingError(f"No such Kaldi file: {path}")
    mapping: dict[str, str] = {}
    for lineno, line in _iter_lines(path):
        parts = line.split(maxsplit=1)
        if len(parts) == 1 and not allow_empty_ref:
            raise KaldiFormatError(f"{path}, line {lineno}: empty transcript for {parts[0]!r}")
        if parts[0] in mapping:
            raise KaldiFormatError(f"{path}, line {lineno}: key {parts[0]!r} appears twice")
        mapping[parts[0]] = parts[1] if len(parts) == 2 else ""
    return mapping


def check_kaldi_text_mapping(data: dict[str, Any], path: Pathlike, values_are_ids=False) -> None:
    """Refuse what would corrupt a ``key value`` file: an empty key, whitespace in a key
    (or in a value that is itself an id, as in ``utt2spk``), a line break in a value."""
    for key, value in data.items():
        k = str(key)
        if not k or any(c.isspace() for c in k):
            raise KaldiFormatError(
                f"{path}: the id {k!r} is empty or contains whitespace; Kaldi ids must be "
                "single tokens (rename the item or map the characters away)"
            )
        v = str(value)
        if values_are_ids and (not v or any(c.isspace() for c in v)):
            raise KaldiFormatError(
                f"{path}: the value {v!r} for {k!r} must be a single token (it is an id)"
            )
        if "\n" in v or "\r" in v or "\x00" in v:
            raise KaldiFormatError(
                f"{path}: the value for {k!r} contains a line break or NUL ({v[:80]!r}); "
                "it would corrupt the file"
            )


def save_kaldi_text_mapping(data: dict[str, Any], path: Pathlike) -> None:
    """Write ``key value`` lines sorted by key (the order Kaldi requires).

    Keys with whitespace and values with line breaks raise ``KaldiFormatError``.
    """
    check_kaldi_text_mapping(data, path)
    with open(path, "w", encoding="utf-8") as f:
        for key in sorted(data):
            f.write(f"{key} {data[key]}\n")


def load_segments(path: Pathlike) -> dict[str, tuple[str, float, Optional[float]]]:
    """Kaldi ``segments``: utterance -> (recording id, start, end or None for ``-1``)."""
    path = Path(path)
    out: dict[str, tuple[str, float, Optional[float]]] = {}
    for lineno, line in _iter_lines(path):
        parts = line.split()
        if len(parts) != 4:
            raise KaldiFormatError(
                f"{path}, line {lineno}: expected '<utt> <recording> <start> <end>', got {line!r}"
            )
        utt, reco, start, end = parts
        try:
            start_f = float(start)
            end_f = None if end == "-1" else float(end)
        except ValueError:
            raise KaldiFormatError(
                f"{path}, line {lineno}: start/end are not numbers: {start!r} {end!r}"
            ) from None
        if start_f < 0 or (end_f is not None and end_f <= start_f):
            raise KaldiFormatError(
                f"{path}, line {lineno}: segment {utt!r} has start {start} and end {end}"
            )
        if utt in out:
            raise KaldiFormatError(f"{path}, line {lineno}: segment {utt!r} appears twice")
        out[utt] = (reco, start_f, end_f)
    return out


# --- durations --------------------------------------------------------------------------


def floor_duration_to_milliseconds(duration: Seconds) -> Seconds:
    """Round a duration down to whole milliseconds (as Kaldi tools print them).

    >>> floor_duration_to_milliseconds(10.88549)
    10.885
    """
    return math.floor(round(1000 * duration, 6)) / 1000


def get_duration(path: str, allow_commands: bool = False) -> Optional[Seconds]:
    """Duration of a ``wav.scp`` entry (a file, or a pipeline ending in ``|``).

    Pipelines are run only with ``allow_commands=True``; their standard
    output must be a WAV stream.  Returns None if the audio cannot be read.
    """
    import soundfile as sf

    path = str(path)
    if path.rstrip().endswith("|"):
        if not allow_commands:
            raise PermissionError(
                f"Measuring the duration of {path!r} needs running that shell command; "
                "pass allow_commands=True (--allow-commands on the command line) for "
                "trusted data, or provide reco2dur and use_reco2dur=True"
            )
        cmd = path.rstrip()[:-1]
        proc = subprocess.run(cmd, shell=True, capture_output=True)
        if proc.returncode != 0 or not proc.stdout:
            logger.warning(
                "command %r failed (status %d): %s",
                cmd,
                proc.returncode,
                proc.stderr.decode(errors="replace")[-300:],
            )
            return None
        try:
            data, rate = sf.read(io.BytesIO(proc.stdout), dtype="int16", always_2d=True)
        except Exception as e:  # noqa: BLE001 - any decoding failure means "unreadable"
            logger.warning("command %r did not produce readable audio: %s", cmd, e)
            return None
        return floor_duration_to_milliseconds(_kaldi_wave_duration(data.shape[0], rate))
    try:
        from nuptse.audio import info

        meta = info(path)
        return floor_duration_to_milliseconds(meta.duration)
    except Exception as e:  # noqa: BLE001
        logger.warning("cannot read audio %s: %s", path, e)
        return None


def _kaldi_wave_duration(num_samples: int, sampling_rate: int) -> float:
    """A wave's duration as Kaldi computes it: in single precision (BaseFloat).

    Kaldi tools (and readers built on them) report ``num_samples / rate`` as
    a float32, e.g. 15.404999732971191 for 246480 samples at 16 kHz, which
    the millisecond floor then turns into 15.404.
    """
    import numpy as np

    return float(np.float32(num_samples) / np.float32(sampling_rate))


# --- Kaldi matrices ----------------------------------------------------------------------


def read_kaldi_matrix_shape(spec: str) -> tuple[int, int]:
    """``(rows, cols)`` of the matrix at ``archive.ark:offset`` without decoding it."""
    path, _, offset = spec.rpartition(":")
    if not path or not offset.isdigit():
        raise KaldiFormatError(f"expected '<archive>:<byte offset>', got {spec!r}")
    try:
        with open(path, "rb") as f:
            f.seek(int(offset))
            head = f.read(32)
    except FileNotFoundError:
        raise FileNotFoundError(f"No such Kaldi archive: {path} (from {spec!r})") from None
    if head[:2] == b"\0B":
        token, sep, rest = head[2:].partition(b" ")
        if sep and token in (b"CM", b"CM2", b"CM3") and len(rest) >= 16:
            _, _, rows, cols = struct.unpack("<ffii", rest[:16])
            return rows, cols
        if sep and token in (b"FM", b"DM") and len(rest) >= 10 and rest[0] == 4 and rest[5] == 4:
            (rows,) = struct.unpack("<i", rest[1:5])
            (cols,) = struct.unpack("<i", rest[6:10])
            return rows, cols
    import kaldiio

    mat = kaldiio.load_mat(spec)
    return tuple(mat.shape[:2])


def load_start_and_duration(
    segments_path: Optional[Path] = None,
    feats_path: Optional[Path] = None,
    frame_shift: Optional[Seconds] = None,
) -> dict[str, tuple[float, Seconds]]:
    """``{utt_id: (start, duration)}`` from ``segments`` starts and ``feats.scp`` frame counts.

    The duration is the feature matrix's row count times ``frame_shift``.
    Both files must list the same utterances in the same order (else
    :class:`KaldiFormatError`); without both files or a ``frame_shift`` the
    result is empty.
    """
    if segments_path is None or feats_path is None or frame_shift is None:
        return {}
    segments_path, feats_path = Path(segments_path), Path(feats_path)
    if not (segments_path.is_file() and feats_path.is_file()):
        return {}
    out: dict[str, tuple[float, Seconds]] = {}
    segment_lines = _iter_lines(segments_path)
    for (_, feats_line), (lineno, seg_line) in zip(_iter_lines(feats_path), segment_lines):
        utt_id, spec = feats_line.split(maxsplit=1)
        fields = seg_line.split()
        if len(fields) < 3 or fields[0] != utt_id:
            raise KaldiFormatError(
                f"{segments_path}, line {lineno}: expected utterance {utt_id!r} (the same "
                f"order as {feats_path}), got {seg_line!r}"
            )
        rows, _ = read_kaldi_matrix_shape(spec)
        out[utt_id] = (float(fields[2]), rows * frame_shift)
    return out


# --- import -----------------------------------------------------------------------------


def _drop_utterances_of(segments: dict, dropped_recordings: set, segments_path: Path) -> set:
    """Utterances of recordings that could not be read (dropped with them, never orphaned)."""
    dropped = {u for u, (reco, _, _) in segments.items() if reco in dropped_recordings}
    if dropped:
        logger.warning(
            "%s: dropping %d utterance(s) of unreadable recordings, e.g. %r",
            segments_path,
            len(dropped),
            sorted(dropped)[0],
        )
    return dropped


def _table_mismatches(
    table_path: Path, table: dict, utts: set, dropped: set, against: str, missing_ok=False
) -> list[str]:
    """Every key of ``table`` that is not an utterance, and (unless ``missing_ok``) every
    utterance that ``table`` lacks, when the file exists."""
    if not table_path.is_file():
        return []
    out = [
        f"{table_path}: utterance {u!r} is not in {against}"
        for u in table
        if u not in utts and u not in dropped
    ]
    if not missing_ok:
        out += [
            f"{table_path}: no entry for utterance {u!r} of {against}"
            for u in sorted(utts - set(table))
        ]
    return out


def _raise_all(path: Path, problems: list[str], shown: int = 50) -> None:
    """One error listing every inconsistency found (as ``validate`` reports them)."""
    if not problems:
        return
    more = f"\n  ... and {len(problems) - shown} more" if len(problems) > shown else ""
    raise KaldiFormatError(
        f"{path}: {len(problems)} inconsistenc{'y' if len(problems) == 1 else 'ies'} between the "
        "data directory's files:\n  " + "\n  ".join(problems[:shown]) + more
    )


def load_kaldi_data_dir(
    path: Pathlike,
    sampling_rate: int,
    frame_shift: Optional[Seconds] = None,
    map_string_to_underscores: Optional[str] = None,
    use_reco2dur: bool = True,
    num_jobs: int = 1,
    feature_type: str = "kaldi-fbank",
    allow_commands: bool = False,
    progress: bool = False,
) -> tuple[Any, Optional[Any], Optional[Any]]:
    """Import a Kaldi data directory as ``(RecordingSet, SupervisionSet, FeatureSet)``.

    Durations come from ``reco2dur`` when ``use_reco2dur`` and the file exists,
    otherwise from reading every ``wav.scp`` entry (``num_jobs`` at a time;
    pipelines only with ``allow_commands=True``).  Supervisions come from
    ``segments`` (or one per recording from ``utt2spk`` when there is no
    ``segments``); ``None`` when neither exists.  With ``frame_shift``, a
    ``feats.scp`` becomes a FeatureSet read through kaldiio, and each
    supervision's duration is its feature frame count times ``frame_shift``.
    ``map_string_to_underscores`` replaces that string by ``_`` in supervision
    and speaker ids.
    """
    from nuptse.audio import AudioSource, Recording, RecordingSet
    from nuptse.supervision import SupervisionSegment, SupervisionSet

    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"No such Kaldi data directory: {path}")

    def fix_id(t: str) -> str:
        return t if map_string_to_underscores is None else t.replace(map_string_to_underscores, "_")

    wav_scp = load_kaldi_text_mapping(path / "wav.scp", must_exist=True)
    dropped_recordings: set[str] = set()
    reco2dur_path = path / "reco2dur"
    if use_reco2dur and reco2dur_path.is_file():
        durations: dict[str, Optional[float]] = load_kaldi_text_mapping(
            reco2dur_path, float_vals=True
        )
        missing = [r for r in wav_scp if r not in durations]
        if missing:
            raise KaldiFormatError(
                f"{reco2dur_path}: no duration for {len(missing)} recording(s) of wav.scp, "
                f"e.g. {missing[0]!r}"
            )
    else:
        if not allow_commands:
            pipes = [k for k, v in wav_scp.items() if v.rstrip().endswith("|")]
            if pipes:
                raise PermissionError(
                    f"{path / 'wav.scp'}: {len(pipes)} entries are shell pipelines (e.g. "
                    f"{pipes[0]!r}); measuring their durations runs them. Pass "
                    "allow_commands=True for trusted data, or use_reco2dur=True with a reco2dur file"
                )
        with ThreadPoolExecutor(max(1, num_jobs)) as ex:
            results = ex.map(
                lambda v: get_duration(v, allow_commands=allow_commands), wav_scp.values()
            )
            if progress:
                from tqdm.auto import tqdm

                results = tqdm(results, total=len(wav_scp), desc="Reading durations", leave=False)
            values = list(results)
        durations = dict(zip(wav_scp.keys(), values))
        bad = [k for k, v in durations.items() if v is None]
        if len(bad) > 0.2 * len(durations):
            raise RuntimeError(
                f"{path}: could not read {len(bad)} of {len(durations)} recordings, e.g. {bad[0]!r}"
            )
        for k in bad:
            logger.warning("[%s] could not read audio %r; dropping the recording", k, wav_scp[k])
            del wav_scp[k]
            del durations[k]  # its utterances are dropped below: no orphan supervisions
        dropped_recordings.update(bad)

    recordings = []
    for reco_id, target in wav_scp.items():
        is_cmd = target.endswith("|")
        dur = durations[reco_id]
        recordings.append(
            Recording(
                id=reco_id,
                sources=[
                    AudioSource(
                        type="command" if is_cmd else "file",
                        channels=[0],
                        source=target[:-1] if is_cmd else target,
                    )
                ],
                sampling_rate=sampling_rate,
                num_samples=compute_num_samples(dur, sampling_rate),
                duration=dur,
            )
        )
    recording_set = RecordingSet.from_items(recordings)

    segments_path = path / "segments"
    feats_scp_path = path / "feats.scp"
    feats_scp = (
        load_kaldi_text_mapping(feats_scp_path)
        if feats_scp_path.is_file() and frame_shift is not None
        else {}
    )
    if feats_scp_path.is_file() and frame_shift is None:
        logger.warning("%s: frame_shift is not given, so feats.scp is not imported", path)
    feat_shapes = {utt: read_kaldi_matrix_shape(spec) for utt, spec in feats_scp.items()}

    def frames_duration(utt: str) -> Optional[float]:
        if utt in feat_shapes:
            return round_time(feat_shapes[utt][0] * frame_shift)
        return None

    supervision_set = None
    starts: dict[str, float] = {}
    if segments_path.is_file():
        segments = load_segments(segments_path)
        texts = load_kaldi_text_file(path / "text") if (path / "text").is_file() else {}
        speakers = load_kaldi_text_mapping(path / "utt2spk")
        genders = load_kaldi_text_mapping(path / "spk2gender")
        languages = load_kaldi_text_mapping(path / "utt2lang")
        sups = []
        problems: list[str] = []
        dropped_utts = _drop_utterances_of(segments, dropped_recordings, segments_path)
        for lineno, (utt, (reco, start, end)) in enumerate(segments.items(), start=1):
            if utt in dropped_utts:
                continue
            if reco not in durations:
                problems.append(
                    f"{segments_path}, line {lineno}: recording {reco!r} is not in wav.scp"
                )
                continue
            starts[utt] = start
            dur = frames_duration(utt)
            if dur is None:
                stop = end if end is not None else durations[reco]
                dur = samples_to_seconds(
                    time_diff_samples(stop, start, sampling_rate), sampling_rate
                )
            spk = speakers.get(utt)
            sups.append(
                SupervisionSegment(
                    id=fix_id(utt),
                    recording_id=reco,
                    start=start,
                    duration=dur,
                    channel=0,
                    text=texts.get(utt),
                    language=languages.get(utt),
                    speaker=fix_id(spk) if spk is not None else None,
                    gender=genders.get(spk) if spk is not None else None,
                )
            )
        utts = set(segments) - dropped_utts
        for name, table in (("utt2spk", speakers), ("text", texts)):
            problems += _table_mismatches(path / name, table, utts, dropped_utts, "segments")
        _raise_all(path, problems)
        supervision_set = SupervisionSet.from_items(sups)
    elif (path / "utt2spk").is_file():
        speakers = load_kaldi_text_mapping(path / "utt2spk")
        for reco in dropped_recordings:
            speakers.pop(reco, None)
        problems = [
            f"{path / 'utt2spk'}: {u!r} is not a recording of wav.scp (without a segments "
            "file every utterance must be one)"
            for u in speakers
            if u not in durations
        ]
        texts = load_kaldi_text_file(path / "text") if (path / "text").is_file() else {}
        problems += _table_mismatches(
            path / "text", texts, set(speakers), dropped_recordings, "utt2spk"
        )
        _raise_all(path, problems)
        genders = load_kaldi_text_mapping(path / "spk2gender")
        languages = load_kaldi_text_mapping(path / "utt2lang")
        supervision_set = SupervisionSet.from_items(
            SupervisionSegment(
                id=fix_id(reco),
                recording_id=reco,
                start=0.0,
                duration=frames_duration(reco) or durations[reco],
                channel=0,
                text=texts.get(reco),
                language=languages.get(reco),
                speaker=fix_id(spk),
                gender=genders.get(spk),
            )
            for reco, spk in speakers.items()
        )

    feature_set = None
    if feats_scp:
        from nuptse.features import Features, FeatureSet

        feats = []
        for utt, spec in feats_scp.items():
            rows, cols = feat_shapes[utt]
            sup_id = fix_id(utt)
            if supervision_set is not None and sup_id in supervision_set:
                reco_id = supervision_set[sup_id].recording_id
            else:
                reco_id = utt
            feats.append(
                Features(
                    type=feature_type,
                    num_frames=rows,
                    num_features=cols,
                    frame_shift=frame_shift,
                    sampling_rate=sampling_rate,
                    start=starts.get(utt, 0.0),
                    duration=round_time(rows * frame_shift),
                    storage_type="kaldiio",
                    storage_path=spec,
                    storage_key=utt,
                    recording_id=reco_id,
                    channels=0,
                )
            )
        feature_set = FeatureSet.from_items(feats)

    return recording_set, supervision_set, feature_set


# --- export -----------------------------------------------------------------------------


def make_wavscp_channel_string_map(
    source: Any, sampling_rate: int, transforms: Optional[list] = None
) -> dict[int, str]:
    """The ``wav.scp`` entry for each channel of an audio source.

    Single-channel WAV files are referenced directly; other files become an
    ``ffmpeg`` pipeline (``sph2pipe`` for SPHERE) that Kaldi can run; command
    sources get their ``|`` back.
    """
    if source.type == "command":
        if len(source.channels) != 1:
            raise ValueError(
                f"a multi-channel command source cannot be exported to Kaldi: {source.source!r}"
            )
        cmd = str(source.source)
        # Keep the command byte-exact: its own trailing blanks already separate the pipe.
        return {0: f"{cmd}|" if cmd != cmd.rstrip() else f"{cmd} |"}
    if source.type != "file":
        raise ValueError(
            f"a {source.type!r} audio source cannot be exported to a Kaldi wav.scp "
            f"({str(source.source)[:80]!r}); only files and commands can"
        )
    src = str(source.source)
    suffix = Path(src).suffix.lower()
    if suffix == ".wav" and len(source.channels) == 1 and not transforms:
        if src.rstrip().endswith("|") or "\n" in src or "\r" in src:
            raise ValueError(f"the file name {src!r} would be read by Kaldi as a command")
        return {source.channels[0]: src}
    out = {}
    src = shlex.quote(src)  # the pipelines below run in a shell: a file name is one word
    for ch in source.channels:
        if suffix == ".sph":
            out[ch] = (
                f"sph2pipe {src} -f wav -c {ch + 1} -p | ffmpeg -threads 1 -i pipe:0 "
                f"-ar {sampling_rate} -f wav -threads 1 pipe:1 |"
            )
        else:
            idx = 0 if len(source.channels) == 1 else ch
            out[ch] = (
                f"ffmpeg -threads 1 -i {src} -ar {sampling_rate} -map_channel 0.0.{idx}  "
                f"-f wav -threads 1 pipe:1 |"
            )
    return out


def _channels(channel: Any) -> list[int]:
    return list(channel) if isinstance(channel, (list, tuple)) else [channel]


def export_to_kaldi(
    recordings: Any,
    supervisions: Any,
    output_dir: Pathlike,
    map_underscores_to: Optional[str] = None,
    prefix_spk_id: bool = False,
    features: Optional[Any] = None,
) -> None:
    """Write recordings and supervisions as a Kaldi data directory.

    With ``features`` (a FeatureSet), also writes ``feats.scp`` and
    ``frame_shift``: features already stored in Kaldi arks under the
    supervision's id are referenced as they are; the others are cut to each
    supervision's span and written to ``feats.ark``.

    Writes ``wav.scp``, ``segments``, ``text``, ``utt2spk``, ``spk2utt``,
    ``utt2dur``, ``reco2dur`` and, when every supervision has them,
    ``utt2lang``, ``utt2gender`` and ``spk2gender``.  Single-channel data
    imports back unchanged with :func:`load_kaldi_data_dir`.  Multi-channel
    recordings are split into ``<recording>_<channel>`` entries and their
    supervisions into ``<id>-<channel>`` (Kaldi has no channels).
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    sups = list(supervisions)

    def sup_id(s) -> str:
        sid = s.id
        if map_underscores_to is not None:
            sid = sid.replace("_", map_underscores_to)
        if prefix_spk_id:
            sid = f"{spk_of(s)}-{sid}"
        return sid

    def spk_of(s) -> str:
        spk = s.speaker if s.speaker is not None else s.id
        return spk if map_underscores_to is None else spk.replace("_", map_underscores_to)

    recs = list(recordings)
    mono = all(r.num_channels == 1 for r in recs)
    wav, reco2dur = {}, {}
    for r in recs:
        for source in r.sources:
            entries = make_wavscp_channel_string_map(source, r.sampling_rate, r.transforms)
            for ch, entry in entries.items():
                key = r.id if mono else f"{r.id}_{ch}"
                wav[key] = entry
                reco2dur[key] = r.duration
    segments, text, utt2spk, utt2dur, utt2lang, utt2gender = {}, {}, {}, {}, {}, {}
    for s in sups:
        for ch in _channels(s.channel) if not mono else [None]:
            key = sup_id(s) if ch is None else f"{sup_id(s)}-{ch}"
            reco = s.recording_id if ch is None else f"{s.recording_id}_{ch}"
            segments[key] = f"{reco} {s.start} {s.end}"
            text[key] = s.text if s.text is not None else ""
            utt2spk[key] = spk_of(s)
            utt2dur[key] = s.duration
            utt2lang[key] = s.language
            utt2gender[key] = s.gender
    if features is not None:
        _export_features(features, sups, sup_id, mono, output_dir)
    # Check everything before writing anything: no half-written directory on bad input.
    for name, table in (("wav.scp", wav), ("segments", segments), ("text", text)):
        check_kaldi_text_mapping(table, output_dir / name)
    check_kaldi_text_mapping(utt2spk, output_dir / "utt2spk", values_are_ids=True)
    save_kaldi_text_mapping(wav, output_dir / "wav.scp")
    save_kaldi_text_mapping(reco2dur, output_dir / "reco2dur")
    save_kaldi_text_mapping(segments, output_dir / "segments")
    save_kaldi_text_mapping(text, output_dir / "text")
    save_kaldi_text_mapping(utt2spk, output_dir / "utt2spk")
    save_kaldi_text_mapping(utt2dur, output_dir / "utt2dur")
    spk2utt: dict[str, list[str]] = {}
    for utt in sorted(utt2spk):
        spk2utt.setdefault(utt2spk[utt], []).append(utt)
    save_kaldi_text_mapping({k: " ".join(v) for k, v in spk2utt.items()}, output_dir / "spk2utt")
    if sups and all(v is not None for v in utt2lang.values()):
        save_kaldi_text_mapping(utt2lang, output_dir / "utt2lang")
    if sups and all(v is not None for v in utt2gender.values()):
        save_kaldi_text_mapping(utt2gender, output_dir / "utt2gender")
        spk2gender: dict[str, str] = {}
        for utt, g in utt2gender.items():
            spk2gender.setdefault(utt2spk[utt], g)
        consistent = all(spk2gender[utt2spk[u]] == g for u, g in utt2gender.items())
        if consistent:
            save_kaldi_text_mapping(spk2gender, output_dir / "spk2gender")


def _export_features(features: Any, sups: list, sup_id, mono: bool, output_dir: Path) -> None:
    import kaldiio

    by_key = {f.storage_key: f for f in features if f.storage_type == "kaldiio"}
    feats_scp: dict[str, str] = {}
    to_write: dict[str, Any] = {}
    frame_shifts = set()
    for s in sups:
        for ch in _channels(s.channel):
            key = sup_id(s) if mono else f"{sup_id(s)}-{ch}"
            ref = by_key.get(s.id)
            if (
                ref is not None
                and ref.recording_id == s.recording_id
                and abs(ref.start - s.start) < 1e-3
                and abs(ref.duration - s.duration) < ref.frame_shift
            ):
                feats_scp[key] = ref.storage_path
                frame_shifts.add(ref.frame_shift)
                continue
            found = features.find(
                recording_id=s.recording_id, channel_id=ch, start=s.start, duration=s.duration
            )
            frame_shifts.add(found.frame_shift)
            to_write[key] = found.load(start=s.start, duration=s.duration)
    if to_write:
        ark = (output_dir / "feats.ark").resolve()
        scp = output_dir / ".feats_written.scp"
        kaldiio.save_ark(str(ark), {k: to_write[k] for k in sorted(to_write)}, scp=str(scp))
        feats_scp.update(load_kaldi_text_mapping(scp))
        scp.unlink()
    save_kaldi_text_mapping(feats_scp, output_dir / "feats.scp")
    if len(frame_shifts) == 1:
        (output_dir / "frame_shift").write_text(f"{frame_shifts.pop()}\n")
