"""Mozilla Common Voice: crowd-sourced read speech in many languages.

Layout of a release: ``<corpus>/<lang>/{train,dev,test,validated,invalidated,
other}.tsv`` and ``<corpus>/<lang>/clips/*.mp3``.  Each TSV row (``client_id,
path, sentence, up_votes, down_votes, age, gender, accents, variant, locale,
segment``) gives one recording and one supervision; ``age``, ``accents`` and
``variant`` go to ``custom``.  Manifests: ``cv-<lang>_{recordings,
supervisions}_<split>.jsonl.gz``; splits already written there are reused.
"""

from __future__ import annotations

import csv
import logging
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Optional, Union

from nuptse.recipes._common import (
    corpus_dir_or_raise,
    finish_part,
    output_dir_or_none,
    parallel_map,
    recording_from_file,
    whole_segment,
)
from nuptse.serialization import Pathlike

logger = logging.getLogger(__name__)

DEFAULT_COMMONVOICE_URL = (
    "https://mozilla-common-voice-datasets.s3.dualstack.us-west-2.amazonaws.com"
)
COMMONVOICE_LANGS = (
    "en de fr cy tt kab ca zh-TW it fa eu es ru tr nl eo zh-CN rw pt zh-HK cs pl uk".split()
)
COMMONVOICE_SPLITS = ("train", "dev", "test", "validated", "invalidated", "other")
COMMONVOICE_DEFAULT_SPLITS = ("test", "dev", "train")


def download_commonvoice(
    target_dir: Pathlike = ".",
    languages: Union[str, Iterable[str]] = "all",
    force_download: bool = False,
    base_url: str = DEFAULT_COMMONVOICE_URL,
    release: Optional[str] = "cv-corpus-13.0-2023-03-09",
) -> None:
    """Fetch ``{base_url}/{release}/{release}-{lang}.tar.gz`` per language and unpack it.

    The archives unpack to ``target_dir/<release>/<lang>``.  Releases before
    8.0 need an e-mail form on the Common Voice site and are refused.
    """
    import tarfile

    from nuptse.recipes.download import resumable_download, safe_extract

    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    if languages == "all":
        langs = list(COMMONVOICE_LANGS)
    elif isinstance(languages, str):
        langs = [languages]
    else:
        langs = list(languages)
    try:
        version = float(str(release).split("-")[2])
    except (IndexError, ValueError):
        raise ValueError(
            f"release {release!r} is not named like 'cv-corpus-13.0-2023-03-09'"
        ) from None
    if version < 8.0:
        raise NotImplementedError(
            f"Common Voice {release} is only available through the e-mail form on "
            "commonvoice.mozilla.org; download it by hand"
        )
    for lang in langs:
        lang_dir = target_dir / release / lang
        marker = lang_dir / ".completed"
        if marker.is_file() and not force_download:
            logger.info("Common Voice %s already unpacked (%s exists)", lang, marker)
            continue
        archive = target_dir / f"{lang}.tar.gz"
        if force_download or not archive.is_file():
            resumable_download(
                f"{base_url}/{release}/{release}-{lang}.tar.gz",
                archive,
                force_download=force_download,
            )
        shutil.rmtree(lang_dir, ignore_errors=True)
        with tarfile.open(archive) as tar:
            safe_extract(tar, target_dir)
        lang_dir.mkdir(parents=True, exist_ok=True)
        marker.touch()


def _manifest_paths(output_dir: Path, lang: str, split: str) -> dict[str, Path]:
    return {
        t: output_dir / f"cv-{lang}_{t}_{split}.jsonl.gz" for t in ("recordings", "supervisions")
    }


def _parse_row(lang_path: Path, language: str, row: dict) -> Optional[tuple[Any, Any]]:

    audio = lang_path / "clips" / row["path"]
    if not audio.is_file():
        logger.info("No such file: %s", audio)
        return None
    rec_id = Path(row["path"]).stem
    rec = recording_from_file(audio, recording_id=rec_id)
    segment = whole_segment(
        rec,
        language=language,
        speaker=row["client_id"],
        text=row["sentence"].strip(),
        gender=row.get("gender"),
        custom={
            "age": row.get("age"),
            "accents": row.get("accents"),
            "variant": row.get("variant"),
        },
    )
    return rec, segment


def _prepare_split(lang: str, split: str, lang_path: Path, num_jobs: int) -> tuple[Any, Any]:
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    tsv = lang_path / f"{split}.tsv"
    if not tsv.is_file():
        raise FileNotFoundError(f"No such file: {tsv}")
    with open(tsv, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    for lineno, row in enumerate(rows, start=2):
        if not row.get("path") or row.get("client_id") is None or row.get("sentence") is None:
            raise ValueError(f"{tsv}, line {lineno}: missing client_id, path or sentence column")
    pairs = [p for p in parallel_map(lambda r: _parse_row(lang_path, lang, r), rows, num_jobs) if p]
    return (
        RecordingSet.from_items(r for r, _ in pairs),
        SupervisionSet.from_items(s for _, s in pairs),
    )


def prepare_commonvoice(
    corpus_dir: Pathlike,
    output_dir: Pathlike,
    languages: Union[str, Sequence[str]] = "auto",
    splits: Union[str, Sequence[str]] = COMMONVOICE_DEFAULT_SPLITS,
    num_jobs: int = 1,
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{lang: {split: {"recordings": ..., "supervisions": ...}}}`` for a Common Voice release.

    ``languages="auto"`` takes every known language folder in ``corpus_dir``.
    ``output_dir`` is required: splits already written there are loaded
    instead of being prepared again.
    """
    from nuptse.manifest import load_manifest

    corpus_dir = corpus_dir_or_raise(corpus_dir, "Common Voice")
    if output_dir is None:
        raise ValueError("prepare_commonvoice needs an output_dir for its manifests")
    out = output_dir_or_none(output_dir)
    if languages == "auto":
        langs = sorted(
            set(COMMONVOICE_LANGS).intersection(p.name for p in corpus_dir.iterdir() if p.is_dir())
        )
        if not langs:
            raise ValueError(f"no Common Voice language folder in {corpus_dir}")
    elif isinstance(languages, str):
        langs = [languages]
    else:
        langs = list(languages)
    if isinstance(splits, str):
        splits = [splits]
    unknown = [s for s in splits if s not in COMMONVOICE_SPLITS]
    if unknown:
        raise ValueError(f"unknown Common Voice split(s) {unknown}; expected {COMMONVOICE_SPLITS}")
    manifests: dict[str, dict[str, dict[str, Any]]] = {}
    for lang in langs:
        lang_manifests: dict[str, dict[str, Any]] = {}
        for split in splits:
            paths = _manifest_paths(out, lang, split)
            if all(p.is_file() for p in paths.values()):
                logger.info("Common Voice %s/%s already prepared in %s", lang, split, out)
                lang_manifests[split] = {t: load_manifest(p) for t, p in paths.items()}
                continue
            recs, sups = finish_part(*_prepare_split(lang, split, corpus_dir / lang, num_jobs))
            sups.to_file(paths["supervisions"])
            recs.to_file(paths["recordings"])
            lang_manifests[split] = {"supervisions": sups, "recordings": recs}
        manifests[lang] = lang_manifests
    return manifests


__all__ = ["download_commonvoice", "prepare_commonvoice"]
