"""LJ Speech: 13,100 clips of one female reader (keithito.com).

Layout: ``LJSpeech-1.1/metadata.csv`` (``<id>|<text>|<normalized text>``)
and ``LJSpeech-1.1/wavs/<id>.wav``.  One part, ``all``:
``ljspeech_{recordings,supervisions}_all.jsonl.gz``; the normalized text goes
to ``custom["normalized_text"]``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional

from nuptse.recipes._common import (
    CorpusLayoutError,
    corpus_dir_or_raise,
    finish_part,
    output_dir_or_none,
    recording_from_file,
    whole_segment,
    write_part,
)
from nuptse.serialization import Pathlike

logger = logging.getLogger(__name__)

LJSPEECH_URL = "http://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2"


def download_ljspeech(target_dir: Pathlike = ".", force_download: Optional[bool] = False) -> Path:
    """Fetch ``LJSpeech-1.1.tar.bz2`` and unpack it to ``target_dir/LJSpeech-1.1`` (once)."""
    from nuptse.recipes.download import download_and_untar

    target_dir = Path(target_dir)
    corpus_dir = target_dir / "LJSpeech-1.1"
    return download_and_untar(
        LJSPEECH_URL,
        target_dir,
        "LJSpeech-1.1.tar.bz2",
        corpus_dir,
        force_download=bool(force_download),
    )


def prepare_ljspeech(corpus_dir: Pathlike, output_dir: Optional[Pathlike] = None) -> dict[str, Any]:
    """``{"recordings": ..., "supervisions": ...}`` for every clip listed in ``metadata.csv``."""
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    corpus_dir = corpus_dir_or_raise(corpus_dir, "LJSpeech")
    out = output_dir_or_none(output_dir)
    metadata = corpus_dir / "metadata.csv"
    if not metadata.is_file():
        raise FileNotFoundError(f"No such file: {metadata}")
    recordings, segments = [], []
    with open(metadata, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            fields = line.strip().split("|")
            if len(fields) != 3:
                raise CorpusLayoutError(
                    f"{metadata}, line {lineno}: expected 'id|text|normalized', got {line!r}"
                )
            rec_id, text, normalized = fields
            audio = corpus_dir / "wavs" / f"{rec_id}.wav"
            if not audio.is_file():
                logger.warning("%s, line %d: no such file %s; skipped", metadata, lineno, audio)
                continue
            rec = recording_from_file(audio)
            recordings.append(rec)
            segments.append(
                whole_segment(
                    rec,
                    language="English",
                    gender="female",
                    text=text,
                    custom={"normalized_text": normalized.strip()},
                )
            )
    recs, sups = finish_part(
        RecordingSet.from_items(recordings), SupervisionSet.from_items(segments)
    )
    write_part(out, "ljspeech", "all", {"supervisions": sups, "recordings": recs})
    return {"recordings": recs, "supervisions": sups}


__all__ = ["download_ljspeech", "prepare_ljspeech"]
