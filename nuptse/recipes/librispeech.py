"""LibriSpeech (and Mini LibriSpeech) corpus preparation.

The corpus layout is ``<corpus>/<part>/<speaker>/<chapter>/<utt>.flac`` plus
one ``<speaker>-<chapter>.trans.txt`` per chapter, and ``SPEAKERS.TXT`` at the
top for the speakers' sex.  Optional word alignments (the "LibriSpeech
Alignments" layout) sit at ``<alignments>/<part>/<speaker>/<chapter>/
<speaker>-<chapter>.alignment.txt``; each line holds an utterance id, a quoted
comma-separated token list (an empty token is silence) and the quoted end
time of every token.

The result is one recording and one whole-utterance supervision per
transcript line, as lhotse's recipe of the same name produces, with the
speaker's gender added from ``SPEAKERS.TXT`` when that file is present.
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional, Union

from nuptse.serialization import Pathlike
from nuptse.timing import round_time, samples_to_seconds

logger = logging.getLogger(__name__)

LIBRISPEECH = (
    "dev-clean",
    "dev-other",
    "test-clean",
    "test-other",
    "train-clean-100",
    "train-clean-360",
    "train-other-500",
)
MINI_LIBRISPEECH = ("dev-clean-2", "train-clean-5")
LIBRISPEECH_ALIGNMENTS_URL = "https://drive.google.com/uc?id=1WYfgr31T-PPwMcxuAq09XZfHQO5Mw8fE"


class CorpusFormatError(ValueError):
    """A corpus file does not follow the layout the recipe expects."""


def _resolve_parts(corpus_dir: Path, dataset_parts: Union[str, Sequence[str]]) -> list[str]:
    present = {p.name for p in corpus_dir.iterdir() if p.is_dir()}
    if dataset_parts == "mini_librispeech":
        return sorted(present.intersection(MINI_LIBRISPEECH))
    if dataset_parts == "auto":
        found = sorted(present.intersection(LIBRISPEECH + MINI_LIBRISPEECH))
        if not found:
            raise CorpusFormatError(
                f"{corpus_dir}: none of the LibriSpeech or Mini LibriSpeech part folders "
                f"({', '.join(LIBRISPEECH + MINI_LIBRISPEECH)}) is there; "
                "name the parts explicitly with dataset_parts=..."
            )
        return found
    if isinstance(dataset_parts, str):
        return [dataset_parts]
    return list(dataset_parts)


def parse_speakers(path: Pathlike) -> dict[str, str]:
    """Speaker id -> sex (``M``/``F``) from a LibriSpeech ``SPEAKERS.TXT``.

    Lines starting with ``;`` are comments; fields are separated by ``|``.
    """
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            line = line.strip()
            if not line or line.startswith(";"):
                continue
            fields = [x.strip() for x in line.split("|")]
            if len(fields) < 2 or not fields[0]:
                raise CorpusFormatError(
                    f"{path}, line {lineno}: expected 'ID | SEX | ...', got {line!r}"
                )
            out[fields[0]] = fields[1]
    return out


def parse_alignments(ali_path: Pathlike) -> dict[str, list]:
    """Word alignments of one chapter: utterance id -> list of AlignmentItem.

    Each token starts where the previous one ends (the first at 0.0); an
    empty token is a silence and keeps its empty symbol.
    """
    from nuptse.supervision import AlignmentItem

    alignments: dict[str, list] = {}
    with open(ali_path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 3:
                raise CorpusFormatError(
                    f'{ali_path}, line {lineno}: expected \'<utt> "<words>" "<end times>"\', '
                    f"got {line.strip()!r}"
                )
            utt_id, words, ends = parts
            tokens = words.replace('"', "").split(",")
            try:
                times = [0.0] + [float(t) for t in ends.replace('"', "").split(",")]
            except ValueError:
                raise CorpusFormatError(
                    f"{ali_path}, line {lineno}: end times are not numbers: {ends!r}"
                ) from None
            if len(times) != len(tokens) + 1:
                raise CorpusFormatError(
                    f"{ali_path}, line {lineno}: {len(tokens)} tokens but {len(times) - 1} "
                    "end times"
                )
            alignments[utt_id] = [
                AlignmentItem(symbol=tok, start=beg, duration=round_time(end - beg))
                for tok, beg, end in zip(tokens, times, times[1:])
            ]
    return alignments


def _flac_stream_info(path: Pathlike) -> Optional[tuple[int, int, int]]:
    """``(sampling_rate, channels, num_samples)`` from a FLAC STREAMINFO header.

    Returns None when the file is not a plain FLAC stream or does not state
    its length, so that the caller falls back to a full probe.
    """
    with open(path, "rb") as f:
        head = f.read(42)
    if len(head) < 42 or head[:4] != b"fLaC" or (head[4] & 0x7F) != 0:
        return None
    # STREAMINFO body starts at byte 8: 2+2+3+3 bytes of block/frame sizes, then
    # 20 bits rate, 3 bits channels-1, 5 bits bps-1, 36 bits total samples.
    (packed,) = struct.unpack(">Q", head[18:26])
    rate = packed >> 44
    channels = ((packed >> 41) & 0x7) + 1
    total = packed & 0xFFFFFFFFF
    if rate == 0 or total == 0:
        return None
    return rate, channels, total


def _make_recording(audio_path: str, recording_id: str):
    """The Recording of one utterance file, or None if the file does not exist."""
    from nuptse.audio import AudioSource, Recording

    try:
        info = _flac_stream_info(audio_path) if audio_path.endswith(".flac") else None
    except FileNotFoundError:
        return None
    if info is None:
        if not os.path.isfile(audio_path):
            return None
        return Recording.from_file(audio_path, recording_id=recording_id)
    rate, channels, total = info
    return Recording(
        id=recording_id,
        sources=[AudioSource(type="file", channels=list(range(channels)), source=audio_path)],
        sampling_rate=rate,
        num_samples=total,
        duration=samples_to_seconds(total, rate),
    )


def _prepare_chapter(
    part_path: Path,
    trans_path: Path,
    ali_path: Path,
    genders: dict[str, str],
    normalize_text: str,
) -> list[tuple[Any, Any]]:
    from nuptse.supervision import SupervisionSegment

    alignments = parse_alignments(ali_path) if ali_path.is_file() else {}
    part_dir = str(part_path)
    out = []
    with open(trans_path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            parts = line.strip().split(maxsplit=1)
            utt_id = parts[0]
            text = parts[1].strip() if len(parts) > 1 else ""
            if normalize_text == "lower":
                text = text.lower()
            id_parts = utt_id.split("-")
            if len(id_parts) != 3:
                raise CorpusFormatError(
                    f"{trans_path}, line {lineno}: utterance id {utt_id!r} is not "
                    "<speaker>-<chapter>-<index>"
                )
            audio_path = os.path.join(part_dir, id_parts[0], id_parts[1], f"{utt_id}.flac")
            recording = _make_recording(audio_path, utt_id)
            if recording is None:
                logger.warning(
                    "%s, line %d: no audio file %s; skipped", trans_path, lineno, audio_path
                )
                continue
            speaker = id_parts[0]
            segment = SupervisionSegment(
                id=utt_id,
                recording_id=utt_id,
                start=0.0,
                duration=recording.duration,
                channel=0,
                text=text,
                language="English",
                speaker=speaker,
                gender=genders.get(speaker),
                alignment={"word": alignments[utt_id]} if utt_id in alignments else None,
            )
            out.append((recording, segment))
    return out


def _manifest_paths(output_dir: Path, part: str) -> tuple[Path, Path]:
    return (
        output_dir / f"librispeech_recordings_{part}.jsonl.gz",
        output_dir / f"librispeech_supervisions_{part}.jsonl.gz",
    )


def prepare_librispeech(
    corpus_dir: Pathlike,
    alignments_dir: Optional[Pathlike] = None,
    dataset_parts: Union[str, Sequence[str]] = "auto",
    output_dir: Optional[Pathlike] = None,
    normalize_text: str = "none",
    num_jobs: int = 1,
    progress: bool = False,
) -> dict[str, dict[str, Any]]:
    """Recordings and supervisions of each LibriSpeech part found in ``corpus_dir``.

    Returns ``{part: {"recordings": RecordingSet, "supervisions": SupervisionSet}}``.
    With ``output_dir``, writes ``librispeech_recordings_<part>.jsonl.gz`` and
    ``librispeech_supervisions_<part>.jsonl.gz`` there, and reuses them on a
    later call instead of scanning the part again.  ``dataset_parts="auto"``
    takes every known part folder present; ``num_jobs`` chapters are read in
    parallel threads.
    """
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"No such corpus directory: {corpus_dir}")
    if normalize_text not in ("none", "lower"):
        raise ValueError(f"normalize_text must be 'none' or 'lower', got {normalize_text!r}")
    ali_root = Path(alignments_dir) if alignments_dir is not None else corpus_dir
    parts = _resolve_parts(corpus_dir, dataset_parts)
    speakers_file = corpus_dir / "SPEAKERS.TXT"
    genders = parse_speakers(speakers_file) if speakers_file.is_file() else {}
    out_dir = Path(output_dir) if output_dir is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)

    manifests: dict[str, dict[str, Any]] = {}
    for part in parts:
        if out_dir is not None:
            rec_path, sup_path = _manifest_paths(out_dir, part)
            if rec_path.is_file() and sup_path.is_file():
                logger.info("LibriSpeech part %s already prepared in %s", part, out_dir)
                manifests[part] = {
                    "recordings": RecordingSet.from_file(rec_path),
                    "supervisions": SupervisionSet.from_file(sup_path),
                }
                continue
        part_path = corpus_dir / part
        if not part_path.is_dir():
            raise FileNotFoundError(f"No such LibriSpeech part folder: {part_path}")
        chapters = sorted(part_path.glob("*/*/*.trans.txt"))
        tasks = [
            (
                part_path,
                t,
                ali_root
                / t.parent.relative_to(corpus_dir)
                / (t.name.split(".")[0] + ".alignment.txt"),
                genders,
                normalize_text,
            )
            for t in chapters
        ]
        results = _run_tasks(tasks, num_jobs, progress, desc=f"Preparing {part}")
        pairs = [pair for chunk in results for pair in chunk]
        pairs.sort(key=lambda p: p[0].id)
        recordings = RecordingSet.from_items(r for r, _ in pairs)
        supervisions = SupervisionSet.from_items(s for _, s in pairs)
        if out_dir is not None:
            rec_path, sup_path = _manifest_paths(out_dir, part)
            supervisions.to_file(sup_path)
            recordings.to_file(rec_path)
        manifests[part] = {"recordings": recordings, "supervisions": supervisions}
    return manifests


def _run_tasks(tasks: list, num_jobs: int, progress: bool, desc: str) -> list:
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc=desc, unit="chapter")
    results = []
    try:
        if num_jobs <= 1:
            for t in tasks:
                results.append(_prepare_chapter(*t))
                if bar is not None:
                    bar.update(1)
        else:
            with ThreadPoolExecutor(num_jobs) as ex:
                for res in ex.map(lambda t: _prepare_chapter(*t), tasks):
                    results.append(res)
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return results


def download_librispeech(
    target_dir: Pathlike = ".",
    dataset_parts: Optional[Union[str, Sequence[str]]] = "mini_librispeech",
    force_download: bool = False,
    alignments: bool = False,
    base_url: str = "http://www.openslr.org/resources",
    alignments_url: str = LIBRISPEECH_ALIGNMENTS_URL,
) -> Path:
    """Fetch and unpack LibriSpeech parts from OpenSLR into ``target_dir/LibriSpeech``.

    ``dataset_parts`` is ``"librispeech"`` (the 7 parts, SLR12),
    ``"mini_librispeech"`` (``dev-clean-2`` and ``train-clean-5``, SLR31) or
    a list of part names.  Each part is fetched from
    ``{base_url}/12|31/{part}.tar.gz`` and unpacked once (a ``.completed``
    marker in the part folder skips it later).  ``alignments=True`` also fetches
    the LibriSpeech-Alignments zip (Google Drive URLs need ``gdown``).
    """
    from nuptse.recipes.download import download_and_untar, resumable_download, safe_extract_zip

    target_dir = Path(target_dir)
    corpus_dir = target_dir / "LibriSpeech"
    target_dir.mkdir(parents=True, exist_ok=True)
    if dataset_parts == "librispeech":
        parts: Sequence[str] = LIBRISPEECH
    elif dataset_parts == "mini_librispeech":
        parts = MINI_LIBRISPEECH
    elif isinstance(dataset_parts, str):
        parts = [dataset_parts]
    else:
        parts = list(dataset_parts or ())
    for part in parts:
        if part in LIBRISPEECH:
            resource = 12
        elif part in MINI_LIBRISPEECH:
            resource = 31
        else:
            logger.warning("not a LibriSpeech part: %r; skipped", part)
            continue
        download_and_untar(
            f"{base_url}/{resource}/{part}.tar.gz",
            target_dir,
            f"{part}.tar.gz",
            corpus_dir / part,
            force_download=force_download,
        )
    if alignments:
        marker = target_dir / ".ali_completed"
        if marker.is_file() and not force_download:
            return corpus_dir
        zip_path = target_dir / "LibriSpeech-Alignments.zip"
        if "drive.google.com" in alignments_url:
            try:
                import gdown
            except ImportError:
                raise ImportError(
                    f"{alignments_url} is a Google Drive link: pip install gdown, "
                    "or pass alignments_url= pointing at a plain copy of the zip"
                ) from None
            gdown.download(alignments_url, output=str(zip_path))
        else:
            resumable_download(alignments_url, zip_path, force_download=force_download)
        import zipfile

        with zipfile.ZipFile(zip_path) as zf:
            safe_extract_zip(zf, target_dir)
        marker.touch()
    return corpus_dir
