"""Helpers that corpus recipes share: cached-manifest lookup and text normalisers.

A recipe writes its manifests as ``<output_dir>/<prefix>_<type>_<part>.<suffix>``
(``librispeech_recordings_dev-clean.jsonl.gz``); :func:`manifests_exist` and
:func:`read_manifests_if_cached` find those files again so that a second run
of a recipe (or a training script) reuses them instead of rescanning a corpus.

>>> normalize_text_ami("uh-huh, O K", normalize="kaldi")
'UH-HUH OK'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Optional

from nuptse.serialization import Pathlike

DEFAULT_DETECTED_MANIFEST_TYPES = ("recordings", "supervisions")

#: manifest type name -> (module, class) of the set that holds it (imported on use).
_TYPE_CLASSES = {
    "recordings": ("nuptse.audio", "RecordingSet"),
    "supervisions": ("nuptse.supervision", "SupervisionSet"),
    "features": ("nuptse.features", "FeatureSet"),
    "cuts": ("nuptse.cut", "CutSet"),
}


def _set_class(type_name: str):
    import importlib

    try:
        module, name = _TYPE_CLASSES[type_name]
    except KeyError:
        raise ValueError(
            f"unknown manifest type {type_name!r}; expected one of {sorted(_TYPE_CLASSES)}"
        ) from None
    return getattr(importlib.import_module(module), name)


def _name_parts(prefix: str, suffix: Optional[str]) -> tuple[str, str]:
    if prefix and not prefix.endswith("_"):
        prefix += "_"
    suffix = suffix or "jsonl.gz"
    return prefix, suffix.lstrip(".")


def manifest_path(
    output_dir: Pathlike, type_name: str, part: str, prefix: str = "", suffix: str = "jsonl.gz"
) -> Path:
    """Where a recipe keeps the ``type_name`` manifest of ``part``."""
    prefix, suffix = _name_parts(prefix, suffix)
    return Path(output_dir) / f"{prefix}{type_name}_{part}.{suffix}"


def manifests_exist(
    part: str,
    output_dir: Optional[Pathlike],
    types: Iterable[str] = DEFAULT_DETECTED_MANIFEST_TYPES,
    prefix: str = "",
    suffix: str = "jsonl.gz",
) -> bool:
    """True when every manifest of ``types`` for ``part`` is already in ``output_dir``."""
    if output_dir is None:
        return False
    return all(
        manifest_path(output_dir, t, part, prefix=prefix, suffix=suffix).is_file() for t in types
    )


def read_manifests_if_cached(
    dataset_parts: Optional[Sequence[str]],
    output_dir: Optional[Pathlike],
    prefix: str = "",
    suffix: Optional[str] = "jsonl.gz",
    types: Iterable[str] = DEFAULT_DETECTED_MANIFEST_TYPES,
    lazy: bool = False,
) -> Optional[dict[str, dict[str, Any]]]:
    """Load whichever manifests of ``dataset_parts`` already exist in ``output_dir``.

    Returns ``{part: {type: manifest}}`` holding only the files found (a part
    with none is left out), or None without an ``output_dir``.  ``lazy=True``
    opens JSONL files lazily; other formats cannot be opened that way.
    """
    if output_dir is None:
        return None
    if isinstance(dataset_parts, str):
        dataset_parts = [dataset_parts]
    prefix, suffix = _name_parts(prefix, suffix)
    if lazy and not suffix.startswith("jsonl"):
        raise ValueError(f"only JSONL manifests open lazily; got suffix {suffix!r}")
    from nuptse.manifest import load_manifest

    types = list(types)
    found: dict[str, dict[str, Any]] = {}
    for part in dataset_parts or ():
        for type_name in types:
            path = manifest_path(output_dir, type_name, part, prefix=prefix, suffix=suffix)
            if not path.is_file():
                continue
            if lazy:
                manifest = _set_class(type_name).from_jsonl_lazy(path)
            else:
                manifest = load_manifest(path)
            found.setdefault(part, {})[type_name] = manifest
    return found


def _unknown(kind: str, normalize: str, allowed: Sequence[str]) -> ValueError:
    return ValueError(f"{kind}: unknown normalize={normalize!r}; expected one of {list(allowed)}")


# AliMeeting markers and punctuation that the M2MeT baseline deletes.
_ALIMEETING_DROP = (
    "<sil>",
    "<%>",
    "<->",
    "<$>",
    "<#>",
    "<_>",
    "<space>",
    "`",
    "&",
    ",",
    "，",
    "丶",
    "。",
    "、",
    "？",
)
_FULLWIDTH_LATIN = {"Ａ": "A", "ａ": "A", "ｂ": "B", "ｃ": "C", "ｋ": "K", "ｔ": "T"}


def normalize_text_alimeeting(text: str, normalize: str = "m2met") -> str:
    """AliMeeting transcripts as the M2MeT challenge baseline scores them.

    ``"m2met"`` deletes the corpus' noise/silence markers and Chinese
    punctuation, upper-cases any Latin letters and maps the full-width letters
    that occur in the corpus to ASCII; ``"none"`` returns the text unchanged.

    >>> normalize_text_alimeeting("好的<sil>，ok。")
    '好的OK'
    """
    if normalize == "none":
        return text
    if normalize != "m2met":
        raise _unknown("normalize_text_alimeeting", normalize, ("none", "m2met"))
    for token in _ALIMEETING_DROP[:10]:
        text = text.replace(token, "")
    if re.search("[a-zA-Z]", text):
        text = text.upper()
    for wide, ascii_ in _FULLWIDTH_LATIN.items():
        text = text.replace(wide, ascii_)
    for token in _ALIMEETING_DROP[10:]:
        text = text.replace(token, "")
    return text


_AMI_KALDI_FIXES = (
    (re.compile(r"MM HMM"), "MM-HMM"),
    (re.compile(r"UH HUH"), "UH-HUH"),
    (re.compile(r"(\b)O K(\b)"), r"\g<1>OK\g<2>"),
    (re.compile(r"(\b)O_K(\b)"), r"\g<1>OK\g<2>"),
)


def normalize_text_ami(text: str, normalize: str = "upper") -> str:
    """AMI words as Kaldi's AMI recipe writes them (``"kaldi"``), upper-cased, or as is.

    ``"kaldi"`` upper-cases, turns everything but letters, digits and
    apostrophes into single spaces, and re-joins the frequent dashed tokens
    (MM-HMM, UH-HUH, OK).
    """
    if normalize == "none":
        return text
    if normalize == "upper":
        return text.upper()
    if normalize != "kaldi":
        raise _unknown("normalize_text_ami", normalize, ("none", "upper", "kaldi"))
    text = re.sub(r"[^A-Z0-9']+", " ", text.upper())
    text = re.sub(r"\s+", " ", text)
    for pattern, repl in _AMI_KALDI_FIXES:
        text = pattern.sub(repl, text)
    return text.strip()


def normalize_text_chime6(text: str, normalize: str = "upper") -> str:
    """CHiME-6 transcripts as Kaldi's CHiME-6 recipe writes them (``"kaldi"``), or upper-cased.

    ``"kaldi"`` gives ``""`` for redacted utterances, lower-cases, drops
    ``. ? , : ; !``, squeezes spaces, merges ``[inaudible ...]`` variants and
    removes stranded dashes and the dash of ``mm-``.
    """
    if normalize == "none":
        return text
    if normalize == "upper":
        return text.upper()
    if normalize != "kaldi":
        raise _unknown("normalize_text_chime6", normalize, ("none", "upper", "kaldi"))
    if "[redacted]" in text:
        return ""
    text = re.sub(r"[.?,:;!]", "", text.lower())
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\[inaudible[- 0-9]*\]", "[inaudible]", text)
    return text.replace(" - ", " ").replace("mm-", "mm")


def normalize_text_tedlium(text: str, normalize: str = "upper") -> str:
    """TED-LIUM transcripts as Kaldi's TED-LIUM 3 recipe writes them (``"kaldi"``), or upper-cased.

    ``"kaldi"`` removes bracketed noise tokens and ``<unk>`` and re-attaches
    split-off contractions (``they 're`` -> ``they're``, ``' cause`` -> ``'cause``).

    >>> normalize_text_tedlium("they 're here <unk> [NOISE]", normalize="kaldi")
    "they're here"
    """
    if normalize == "none":
        return text
    if normalize == "upper":
        return text.upper()
    if normalize != "kaldi":
        raise _unknown("normalize_text_tedlium", normalize, ("none", "upper", "kaldi"))
    text = re.sub(r"\[[^\]]+\]", "", text)
    text = text.replace("<unk>", "")
    text = re.sub(r"(\w+) '(\w+)", r"\1'\2", text)
    text = re.sub(r"' (\w+)", r"'\1", text)
    return text.strip()


class TimeFormatConverter:
    """``HH:MM:SS.mmm`` <-> seconds, for corpora that write times that way."""

    @staticmethod
    def hms_to_seconds(time: str) -> float:
        """``"01:02:03.500"`` -> ``3723.5``."""
        try:
            h, m, s = time.split(":")
            return int(h) * 3600 + int(m) * 60 + float(s)
        except ValueError:
            raise ValueError(f"expected HH:MM:SS(.fff), got {time!r}") from None

    @staticmethod
    def seconds_to_hms(time: float) -> str:
        """``3723.5`` -> ``"01:02:03.500"``."""
        h = int(time // 3600)
        m = int(time % 3600 // 60)
        return f"{h:02d}:{m:02d}:{time % 60:06.3f}"


_CLASS_NAMES = {cls: type_name for type_name, (_, cls) in _TYPE_CLASSES.items()}


def __getattr__(name: str) -> Any:
    """lhotse's module also exposes the manifest classes and ``load_manifest``; import on use."""
    if name in _CLASS_NAMES:
        return _set_class(_CLASS_NAMES[name])
    if name == "TYPES_TO_CLASSES":
        return {t: _set_class(t) for t in _TYPE_CLASSES}
    if name == "load_manifest":
        from nuptse.manifest import load_manifest

        return load_manifest
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_DETECTED_MANIFEST_TYPES",
    "TimeFormatConverter",
    "manifest_path",
    "manifests_exist",
    "normalize_text_alimeeting",
    "normalize_text_ami",
    "normalize_text_chime6",
    "normalize_text_tedlium",
    "read_manifests_if_cached",
]
