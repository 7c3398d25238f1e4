"""MUSAN: music, speech and noise recordings for data augmentation (OpenSLR 17).

Layout: ``musan/{music,speech,noise}/<source>/<id>.wav``, with an
``ANNOTATIONS`` file per source folder.  Music annotations read
``<id> <genre,genre,...> <Y|N vocals> <artist...>``; they become one
supervision per music file with ``custom={"genres": [...], "vocals": bool}``
and the artist's first word as ``speaker`` (as lhotse records it).  Speech
and noise get recordings only.  Manifests: ``musan_recordings_<part>.jsonl.gz``
and ``musan_supervisions_music.jsonl.gz``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Optional

from nuptse.recipes._common import (
    corpus_dir_or_raise,
    output_dir_or_none,
    parallel_map,
    recording_from_file,
    write_part,
)
from nuptse.serialization import Pathlike

logger = logging.getLogger(__name__)

MUSAN_URL = "https://www.openslr.org/resources/17/musan.tar.gz"
MUSAN_PARTS = ("music", "speech", "noise")


def download_musan(
    target_dir: Pathlike = ".",
    url: Optional[str] = MUSAN_URL,
    force_download: Optional[bool] = False,
) -> Path:
    """Fetch ``musan.tar.gz`` and unpack it to ``target_dir/musan`` (once)."""
    from nuptse.recipes.download import resumable_download, safe_extract

    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    corpus_dir = target_dir / "musan"
    marker = target_dir / ".musan_completed"
    if marker.is_file() and not force_download:
        logger.info("MUSAN already unpacked (%s exists)", marker)
        return corpus_dir
    archive = target_dir / "musan.tar.gz"
    resumable_download(url or MUSAN_URL, archive, force_download=bool(force_download))
    import tarfile

    with tarfile.open(archive) as tar:
        safe_extract(tar, target_dir)
    marker.touch()
    return corpus_dir


def read_annotations(path: Path, max_fields: Optional[int] = None) -> Iterator[list[str]]:
    """Whitespace-split, non-empty lines of a MUSAN ``ANNOTATIONS`` file."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if fields:
                yield fields if max_fields is None else fields[:max_fields]


def scan_recordings(part_dir: Path, num_jobs: int = 1) -> Any:
    """A RecordingSet of every ``*.wav`` under ``part_dir`` (ids are the file stems)."""
    from nuptse.audio import RecordingSet

    files = sorted(part_dir.rglob("*.wav"))
    return RecordingSet.from_items(parallel_map(recording_from_file, files, num_jobs))


def prepare_music(corpus_dir: Path, use_vocals: bool = True) -> dict[str, Any]:
    """Recordings and annotated supervisions of the music part."""
    from nuptse.supervision import SupervisionSegment, SupervisionSet

    music_dir = corpus_dir / "music"
    recordings = scan_recordings(music_dir)
    segments = []
    for ann in sorted(music_dir.rglob("ANNOTATIONS")):
        for lineno, fields in enumerate(read_annotations(ann, max_fields=4), start=1):
            if len(fields) < 3:
                raise ValueError(
                    f"{ann}, line {lineno}: expected '<id> <genres> <Y|N> <artist>', "
                    f"got {' '.join(fields)!r}"
                )
            utt, genres, vocals = fields[:3]
            if utt not in recordings:
                logger.warning("%s, line %d: no audio for %s; skipped", ann, lineno, utt)
                continue
            segments.append(
                SupervisionSegment(
                    id=utt,
                    recording_id=utt,
                    start=0,
                    duration=recordings[utt].duration,
                    speaker=fields[3] if len(fields) > 3 else None,
                    custom={"genres": genres.split(","), "vocals": vocals == "Y"},
                )
            )
    if not use_vocals:
        segments = [s for s in segments if not s.custom["vocals"]]
    return {"recordings": recordings, "supervisions": SupervisionSet.from_items(segments)}


def prepare_musan(
    corpus_dir: Pathlike,
    output_dir: Optional[Pathlike] = None,
    parts: Sequence[str] = MUSAN_PARTS,
    use_vocals: bool = True,
) -> dict[str, dict[str, Any]]:
    """Manifests of the MUSAN ``parts`` (``music``, ``speech``, ``noise``).

    Returns ``{part: {"recordings": ..., ["supervisions": ...]}}``; only
    music has supervisions.  ``use_vocals=False`` keeps only the music
    supervisions without vocals (the recordings stay).
    """
    from nuptse.qa import validate, validate_recordings_and_supervisions

    corpus_dir = corpus_dir_or_raise(corpus_dir, "MUSAN")
    if not parts:
        raise ValueError("no MUSAN parts given; choose from music, speech, noise")
    if isinstance(parts, str):
        parts = [parts]
    unknown = [p for p in parts if p not in MUSAN_PARTS]
    if unknown:
        raise ValueError(f"unknown MUSAN part(s) {unknown}; expected {list(MUSAN_PARTS)}")
    manifests: dict[str, dict[str, Any]] = {}
    if "music" in parts:
        manifests["music"] = prepare_music(corpus_dir, use_vocals=use_vocals)
        validate_recordings_and_supervisions(**manifests["music"])
    for part in ("speech", "noise"):
        if part in parts:
            manifests[part] = {"recordings": scan_recordings(corpus_dir / part)}
            validate(manifests[part]["recordings"])
    out = output_dir_or_none(output_dir)
    for part, ms in manifests.items():
        write_part(out, "musan", part, ms)
    return manifests


__all__ = ["download_musan", "prepare_musan"]
