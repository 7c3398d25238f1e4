"""Steps every recipe repeats: checking the corpus folder, finishing and writing a part."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional, TypeVar

from nuptse.serialization import Pathlike

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class CorpusLayoutError(ValueError):
    """A corpus folder or file does not follow the layout the recipe expects."""


def corpus_dir_or_raise(path: Pathlike, what: str = "corpus") -> Path:
    """``path`` as a Path, or FileNotFoundError naming it when it is not a folder."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"No such {what} directory: {path}")
    return path


def output_dir_or_none(output_dir: Optional[Pathlike]) -> Optional[Path]:
    """The output folder, created, or None."""
    if output_dir is None:
        return None
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    return out


def finish_part(recordings: Any, supervisions: Any) -> tuple[Any, Any]:
    """Drop orphans, trim supervisions to their recordings and validate the pair.

    Raises :class:`nuptse.qa.ManifestValidationError` listing every problem left.
    """
    from nuptse.qa import fix_manifests, validate_recordings_and_supervisions

    recordings, supervisions = fix_manifests(recordings, supervisions)
    validate_recordings_and_supervisions(recordings, supervisions)
    return recordings, supervisions


def write_part(
    output_dir: Optional[Path], prefix: str, part: str, manifests: dict[str, Any]
) -> None:
    """Write ``{prefix}_{type}_{part}.jsonl.gz`` for each manifest (no-op without a folder)."""
    if output_dir is None:
        return
    for type_name, manifest in manifests.items():
        manifest.to_file(output_dir / f"{prefix}_{type_name}_{part}.jsonl.gz")


def parallel_map(fn: Callable[[T], R], items: Iterable[T], num_jobs: int = 1) -> list[R]:
    """``[fn(x) for x in items]`` on ``num_jobs`` threads, results in input order.

    Threads suit recipes: their work is file reads and header parsing, which
    release the GIL, and no arguments need pickling.
    """
    items = list(items)
    if num_jobs <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(num_jobs) as ex:
        return list(ex.map(fn, items))


def whole_segment(recording: Any, **fields: Any) -> Any:
    """A supervision covering all of ``recording`` on channel 0, with the same id."""
    from nuptse.supervision import SupervisionSegment

    fields.setdefault("channel", 0)
    return SupervisionSegment(
        id=recording.id,
        recording_id=recording.id,
        start=0.0,
        duration=recording.duration,
        **fields,
    )


def recording_from_file(path: Pathlike, recording_id: Optional[str] = None) -> Any:
    """``Recording.from_file`` with an optional explicit id."""
    from nuptse.audio import Recording

    return Recording.from_file(path, recording_id=recording_id)
