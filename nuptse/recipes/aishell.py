"""AISHELL-1: 178 hours of Mandarin read speech, 400 speakers (OpenSLR 33).

Layout: ``<corpus>/data_aishell/transcript/aishell_transcript_v0.8.txt``
(``<utt> <words...>``) and ``<corpus>/data_aishell/wav/{train,dev,test}/
<speaker>/<utt>.wav``.  Transcripts have their spaces removed, full-width
a/b/c/k/t mapped to ASCII and are upper-cased.  Manifests:
``aishell_{recordings,supervisions}_{train,dev,test}.jsonl.gz``.
"""

from __future__ import annotations

import logging
import shutil
import tarfile
from pathlib import Path
from typing import Any, Optional

from nuptse.recipes._common import (
    corpus_dir_or_raise,
    finish_part,
    output_dir_or_none,
    recording_from_file,
    whole_segment,
    write_part,
)
from nuptse.serialization import Pathlike

logger = logging.getLogger(__name__)

AISHELL_PARTS = ("train", "dev", "test")
_FULLWIDTH = str.maketrans({"ａ": "a", "ｂ": "b", "ｃ": "c", "ｋ": "k", "ｔ": "t"})


def text_normalize(line: str) -> str:
    """AISHELL transcript clean-up: full-width a/b/c/k/t to ASCII, then upper case.

    >>> text_normalize("ｋ 歌")
    'K 歌'
    """
    return line.translate(_FULLWIDTH).upper()


def download_aishell(
    target_dir: Pathlike = ".",
    force_download: bool = False,
    base_url: str = "http://www.openslr.org/resources",
) -> Path:
    """Fetch ``data_aishell.tgz`` and ``resource_aishell.tgz`` into ``target_dir/aishell``.

    The per-speaker tarballs inside ``data_aishell/wav`` are unpacked too.
    """
    from nuptse.recipes.download import resumable_download, safe_extract

    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    corpus_dir = target_dir / "aishell"
    for name in ("data_aishell.tgz", "resource_aishell.tgz"):
        extracted = corpus_dir / name[: -len(".tgz")]
        marker = extracted / ".completed"
        if marker.is_file() and not force_download:
            logger.info("%s already unpacked (%s exists)", name, marker)
            continue
        archive = target_dir / name
        resumable_download(f"{base_url}/33/{name}", archive, force_download=force_download)
        shutil.rmtree(extracted, ignore_errors=True)
        with tarfile.open(archive) as tar:
            safe_extract(tar, corpus_dir)
        if name == "data_aishell.tgz":
            wav_dir = extracted / "wav"
            for inner in sorted(wav_dir.iterdir()):
                if inner.is_file() and tarfile.is_tarfile(inner):
                    with tarfile.open(inner) as tar:
                        safe_extract(tar, wav_dir)
        extracted.mkdir(parents=True, exist_ok=True)
        marker.touch()
    return corpus_dir


def _read_transcripts(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise FileNotFoundError(f"No such file: {path}")
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if fields:
                out[fields[0]] = text_normalize(" ".join(fields[1:]))
    return out


def prepare_aishell(
    corpus_dir: Pathlike, output_dir: Optional[Pathlike] = None
) -> dict[str, dict[str, Any]]:
    """``{part: {"recordings": ..., "supervisions": ...}}`` for train, dev and test."""
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    corpus_dir = corpus_dir_or_raise(corpus_dir, "AISHELL")
    out = output_dir_or_none(output_dir)
    transcripts = _read_transcripts(
        corpus_dir / "data_aishell" / "transcript" / "aishell_transcript_v0.8.txt"
    )
    manifests: dict[str, dict[str, Any]] = {}
    for part in AISHELL_PARTS:
        recordings, segments = [], []
        for audio in sorted((corpus_dir / "data_aishell" / "wav" / part).rglob("*.wav")):
            utt = audio.stem
            if utt not in transcripts:
                logger.warning("%s has no transcript; skipped", audio)
                continue
            rec = recording_from_file(audio)
            recordings.append(rec)
            segments.append(
                whole_segment(
                    rec,
                    language="Chinese",
                    speaker=audio.parts[-2],
                    text=transcripts[utt].strip().replace(" ", ""),
                )
            )
        recs, sups = finish_part(
            RecordingSet.from_items(recordings), SupervisionSet.from_items(segments)
        )
        write_part(out, "aishell", part, {"supervisions": sups, "recordings": recs})
        manifests[part] = {"recordings": recs, "supervisions": sups}
    return manifests


__all__ = ["download_aishell", "prepare_aishell", "text_normalize"]
