"""yesno: 60 recordings of one man saying eight Hebrew yes/no words (OpenSLR 1).

File names spell the transcript: ``waves_yesno/1_0_1_1_1_0_1_0.wav`` is
"YES NO YES YES YES NO YES NO".  Sorted by name, the even-numbered files are
``train`` and the odd-numbered ``test``.  Manifests:
``yesno_{recordings,supervisions}_{train,test}.jsonl.gz``; audio paths are
absolute.
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

_DEFAULT_URL = "http://www.openslr.org/resources/1/waves_yesno.tar.gz"
_WORDS = {"0": "NO", "1": "YES"}


def download_yesno(
    target_dir: Pathlike = ".",
    force_download: Optional[bool] = False,
    url: Optional[str] = _DEFAULT_URL,
) -> Path:
    """Fetch ``waves_yesno.tar.gz`` and unpack it to ``target_dir/waves_yesno`` (once)."""
    from nuptse.recipes.download import download_and_untar

    target_dir = Path(target_dir)
    extracted = target_dir / "waves_yesno"
    return download_and_untar(
        url or _DEFAULT_URL,
        target_dir,
        "waves_yesno.tar.gz",
        extracted,
        force_download=bool(force_download),
    )


def _transcript(path: Path) -> str:
    digits = path.stem.split("_")
    if len(digits) != 8 or any(d not in _WORDS for d in digits):
        raise CorpusLayoutError(
            f"{path}: a yesno file name is eight 0/1 digits joined by '_', got {path.stem!r}"
        )
    return " ".join(_WORDS[d] for d in digits)


def _prepare_files(files: list[Path]) -> tuple[Any, Any]:
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    recordings, segments = [], []
    for path in files:
        text = _transcript(path)
        rec = recording_from_file(path.absolute())
        recordings.append(rec)
        segments.append(whole_segment(rec, language="Hebrew", text=text))
    return RecordingSet.from_items(recordings), SupervisionSet.from_items(segments)


def prepare_yesno(
    corpus_dir: Pathlike, output_dir: Optional[Pathlike] = None
) -> dict[str, dict[str, Any]]:
    """``{"train": {...}, "test": {...}}`` with recordings and supervisions of ``corpus_dir/*.wav``."""
    corpus_dir = corpus_dir_or_raise(corpus_dir, "yesno")
    out = output_dir_or_none(output_dir)
    files = sorted(corpus_dir.glob("*.wav"))
    if not files:
        raise CorpusLayoutError(f"{corpus_dir}: no *.wav files (expected waves_yesno/)")
    if len(files) != 60:
        logger.warning("%s: %d wav files, the corpus has 60", corpus_dir, len(files))
    manifests: dict[str, dict[str, Any]] = {}
    for name, subset in (("train", files[::2]), ("test", files[1::2])):
        recordings, supervisions = finish_part(*_prepare_files(subset))
        write_part(out, "yesno", name, {"supervisions": supervisions, "recordings": recordings})
        manifests[name] = {"recordings": recordings, "supervisions": supervisions}
    return manifests


__all__ = ["download_yesno", "prepare_yesno"]
