"""TED-LIUM release 3: TED talks with aligned transcripts (OpenSLR 51).

Layout: ``<root>/legacy/{train,dev,test}/sph/<talk>.sph`` and
``<root>/legacy/<part>/stm/<talk>.stm`` (``<talk> <channel> <speaker> <start>
<end> <label> <words...>``).  One recording per talk, one supervision per STM
line (id ``<talk>-<line index>``) except ``ignore_time_segment_in_scoring``
lines; ``{NOISE}`` is written ``[NOISE]``.  Manifests:
``tedlium_{recordings,supervisions}_{train,dev,test}.jsonl.gz``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional, Union

from nuptse.recipes._common import (
    CorpusLayoutError,
    corpus_dir_or_raise,
    finish_part,
    output_dir_or_none,
    parallel_map,
)
from nuptse.recipes.utils import normalize_text_tedlium
from nuptse.serialization import Pathlike

logger = logging.getLogger(__name__)

TEDLIUM_PARTS = ("train", "dev", "test")
TEDLIUM_URL = "http://www.openslr.org/resources/51/TEDLIUM_release-3.tgz"


def download_tedlium(target_dir: Pathlike = ".", force_download: Optional[bool] = False) -> Path:
    """Fetch ``TEDLIUM_release-3.tgz`` and unpack it to ``target_dir/TEDLIUM_release-3`` (once)."""
    from nuptse.recipes.download import download_and_untar

    target_dir = Path(target_dir)
    corpus_dir = target_dir / "TEDLIUM_release-3"
    return download_and_untar(
        TEDLIUM_URL,
        target_dir,
        "TEDLIUM_release-3.tgz",
        corpus_dir,
        force_download=bool(force_download),
    )


def _parse_stm_file(stm: Path, normalize_text: str = "none") -> list:
    """The supervisions of one STM file."""
    from nuptse.supervision import SupervisionSegment

    segments = []
    with open(stm, encoding="utf-8") as f:
        for idx, line in enumerate(f):
            fields = line.split()
            if len(fields) < 6:
                raise CorpusLayoutError(
                    f"{stm}, line {idx + 1}: expected '<talk> <channel> <speaker> <start> "
                    "<end> <label> <words...>'"
                )
            rec_id, start, end = fields[0], float(fields[3]), float(fields[4])
            text = " ".join(fields[6:]).replace("{NOISE}", "[NOISE]")
            if text == "ignore_time_segment_in_scoring":
                continue
            segments.append(
                SupervisionSegment(
                    id=f"{rec_id}-{idx}",
                    recording_id=rec_id,
                    start=start,
                    duration=round(end - start, ndigits=8),
                    channel=0,
                    text=normalize_text_tedlium(text, normalize_text),
                    language="English",
                    speaker=rec_id,
                )
            )
    return segments


def prepare_tedlium(
    tedlium_root: Pathlike,
    output_dir: Optional[Pathlike] = None,
    dataset_parts: Union[str, Sequence[str]] = TEDLIUM_PARTS,
    num_jobs: int = 1,
    normalize_text: str = "none",
) -> dict[str, dict[str, Any]]:
    """``{part: {"recordings": ..., "supervisions": ...}}`` for the TED-LIUM 3 ``legacy`` parts.

    ``normalize_text`` is ``"none"``, ``"upper"`` or ``"kaldi"`` (see
    :func:`nuptse.recipes.utils.normalize_text_tedlium`).
    """
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    root = corpus_dir_or_raise(tedlium_root, "TED-LIUM")
    out = output_dir_or_none(output_dir)
    parts = [dataset_parts] if isinstance(dataset_parts, str) else list(dataset_parts)
    corpus: dict[str, dict[str, Any]] = {}
    for part in parts:
        part_dir = corpus_dir_or_raise(root / "legacy" / part, f"TED-LIUM {part}")
        recordings = RecordingSet.from_dir(part_dir / "sph", pattern="*.sph", num_jobs=num_jobs)
        stms = sorted((part_dir / "stm").glob("*.stm"))
        if len(stms) != len(recordings):
            raise CorpusLayoutError(
                f"{part_dir}: {len(recordings)} sph files but {len(stms)} stm files; "
                "is part of the corpus missing?"
            )
        chunks = parallel_map(lambda p: _parse_stm_file(p, normalize_text), stms, num_jobs)
        supervisions = SupervisionSet.from_items(s for chunk in chunks for s in chunk)
        recordings, supervisions = finish_part(recordings, supervisions)
        corpus[part] = {"recordings": recordings, "supervisions": supervisions}
        if out is not None:
            recordings.to_file(out / f"tedlium_recordings_{part}.jsonl.gz")
            supervisions.to_file(out / f"tedlium_supervisions_{part}.jsonl.gz")
    return corpus


__all__ = ["TEDLIUM_PARTS", "download_tedlium", "prepare_tedlium"]
