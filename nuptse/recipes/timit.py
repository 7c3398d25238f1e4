"""TIMIT: read American English with time-aligned words and phones (LDC93S1).

Layout (as in the common zip mirror): ``<corpus>/data/{TRAIN,TEST}/DR<n>/
<SPEAKER>/<UTT>.WAV`` with ``.TXT`` (sample range and text), ``.WRD`` and
``.PHN`` (``<start sample> <end sample> <label>`` lines).  ``TRAIN`` is the
training set; the Kaldi ``DEV`` (50 speakers) and core ``TEST`` (24 speakers)
sets are drawn from the ``TEST`` folder.  Supervisions carry word and phone
alignments; phones are mapped from TIMIT's 61 labels to the usual 48 or 39
(``num_phones``), or kept (60).  Manifests:
``timit_{recordings,supervisions}_{TRAIN,DEV,TEST}.jsonl.gz``.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path
from typing import Any, Optional

from nuptse.recipes._common import (
    corpus_dir_or_raise,
    finish_part,
    output_dir_or_none,
    parallel_map,
    recording_from_file,
    whole_segment,
    write_part,
)
from nuptse.serialization import Pathlike

logger = logging.getLogger(__name__)

TIMIT_URL = "https://data.deepai.org/timit.zip"

# TIMIT label, its 48-phone class and its 39-phone class ("-": dropped, the glottal stop).
_PHONE_TABLE = """
aa aa aa
ae ae ae
ah ah ah
ao ao aa
aw aw aw
ax ax ah
ax-h ax ah
axr er er
ay ay ay
b b b
bcl vcl sil
ch ch ch
d d d
dcl vcl sil
dh dh dh
dx dx dx
eh eh eh
el el l
em m m
en en n
eng ng ng
epi epi sil
er er er
ey ey ey
f f f
g g g
gcl vcl sil
h# sil sil
hh hh hh
hv hh hh
ih ih ih
ix ix ih
iy iy iy
jh jh jh
k k k
kcl cl sil
l l l
m m m
n n n
ng ng ng
nx n n
ow ow ow
oy oy oy
p p p
pau sil sil
pcl cl sil
q - -
r r r
s s s
sh sh sh
sil sil sil
t t t
tcl cl sil
th th th
uh uh uh
uw uw uw
ux uw uw
v v v
w w w
y y y
z z z
zh zh sh
"""

_DEV_SPEAKERS = frozenset(
    """
fadg0 faks0 fcal1 fcmh0 fdac1 fdms0 fdrw0 fedw0 fgjd0 fjem0 fjmg0 fjsj0 fkms0 fmah0
fmml0 fnmr0 frew0 fsem0 majc0 mbdg0 mbns0 mbwm0 mcsh0 mdlf0 mdls0 mdvc0 mers0 mgjf0
mglb0 mgwt0 mjar0 mjfc0 mjsw0 mmdb1 mmdm2 mmjr0 mmwh0 mpdf0 mrcs0 mreb0 mrjm4 mrjr0
mroa0 mrtk0 mrws1 mtaa0 mtdt0 mteb0 mthc0 mwjg0
""".split()
)

_TEST_SPEAKERS = frozenset(
    """
fdhc0 felc0 fjlm0 fmgd0 fmld0 fnlp0 fpas0 fpkt0 mbpm0 mcmj0 mdab0 mgrt0 mjdh0 mjln0
mjmp0 mklt0 mlll0 mlnt0 mnjm0 mpam0 mtas1 mtls0 mwbt0 mwew0
""".split()
)


def _phone_maps() -> dict[int, dict[str, str]]:
    maps: dict[int, dict[str, str]] = {48: {}, 39: {}}
    for line in _PHONE_TABLE.strip().splitlines():
        label, p48, p39 = line.split()
        maps[48][label] = "" if p48 == "-" else p48
        maps[39][label] = "" if p39 == "-" else p39
    return maps


def get_phonemes(num_phones: int) -> dict[str, str]:
    """TIMIT label -> modelling phone for ``num_phones`` 48 or 39 (empty for 60: labels stay)."""
    if num_phones == 60:
        return {}
    if num_phones not in (48, 39):
        raise ValueError(f"num_phones must be 60, 48 or 39, got {num_phones!r}")
    return _phone_maps()[num_phones]


def get_speakers() -> tuple[list[str], list[str]]:
    """(dev speakers, core test speakers), lower-case, sorted."""
    return sorted(_DEV_SPEAKERS), sorted(_TEST_SPEAKERS)


def download_timit(
    target_dir: Pathlike = ".",
    force_download: bool = False,
    base_url: Optional[str] = TIMIT_URL,
) -> Path:
    """Fetch ``timit.zip`` and unzip it to ``target_dir/timit`` (once; the zip is removed)."""
    from nuptse.recipes.download import resumable_download, safe_extract_zip

    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    zip_path = target_dir / "timit.zip"
    corpus_dir = target_dir / "timit"
    marker = corpus_dir / ".completed"
    if marker.is_file() and not force_download:
        logger.info("TIMIT already unpacked (%s exists)", marker)
        return corpus_dir
    resumable_download(base_url or TIMIT_URL, zip_path, force_download=force_download)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as zf:
        safe_extract_zip(zf, corpus_dir)
    zip_path.unlink()
    marker.touch()
    return corpus_dir


def _read_marks(path: Path, sampling_rate: int, mapping: dict[str, str]) -> list:
    from nuptse.supervision import AlignmentItem

    items = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 3:
                raise ValueError(f"{path}, line {lineno}: expected '<start> <end> <label>'")
            start = float(fields[0]) / sampling_rate
            end = float(fields[1]) / sampling_rate
            label = mapping[fields[2]] if mapping else fields[2]
            items.append(AlignmentItem(symbol=label, start=start, duration=end - start))
    return items


def prepare_recording(wav_file: Pathlike, num_phones: int, phones_dict: dict[str, str]):
    """The Recording and aligned SupervisionSegment of one TIMIT utterance."""

    wav = Path(wav_file)
    speaker = wav.parent.name
    utt_id = f"{speaker}-{wav.stem}"
    rec = recording_from_file(wav, recording_id=utt_id)
    words = wav.with_suffix(".TXT").read_text(encoding="utf-8").rstrip("\n").split(" ")[2:]
    segment = whole_segment(
        rec,
        language="English",
        speaker=speaker,
        gender="male" if speaker.lower().startswith("m") else "female",
        text=" ".join(words).strip(),
    )
    mapping = phones_dict if num_phones != 60 else {}
    return rec, segment.with_alignment(
        "word", _read_marks(wav.with_suffix(".WRD"), rec.sampling_rate, {})
    ).with_alignment("phone", _read_marks(wav.with_suffix(".PHN"), rec.sampling_rate, mapping))


def _prepare_one(args: tuple) -> Optional[tuple[Any, Any]]:
    try:
        return prepare_recording(*args)
    except FileNotFoundError as e:
        logger.warning("%s; skipped", e)
        return None


def prepare_timit(
    corpus_dir: Pathlike,
    output_dir: Optional[Pathlike] = None,
    num_phones: int = 48,
    num_jobs: int = 1,
) -> dict[str, dict[str, Any]]:
    """``{"TRAIN"|"DEV"|"TEST": {"recordings": ..., "supervisions": ...}}``."""
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    corpus_dir = corpus_dir_or_raise(corpus_dir, "TIMIT")
    phones = get_phonemes(num_phones)
    out = output_dir_or_none(output_dir)
    data = corpus_dir / "data"
    test_files = sorted(data.glob("TEST/*/*/*.WAV"))
    parts = {
        "TRAIN": sorted(data.glob("TRAIN/*/*/*.WAV")),
        "DEV": [p for p in test_files if p.parent.name.lower() in _DEV_SPEAKERS],
        "TEST": [p for p in test_files if p.parent.name.lower() in _TEST_SPEAKERS],
    }
    manifests: dict[str, dict[str, Any]] = {}
    for part, files in parts.items():
        pairs = [
            p
            for p in parallel_map(_prepare_one, [(f, num_phones, phones) for f in files], num_jobs)
            if p is not None
        ]
        recs, sups = finish_part(
            RecordingSet.from_items(r for r, _ in pairs),
            SupervisionSet.from_items(s for _, s in pairs),
        )
        write_part(out, "timit", part, {"supervisions": sups, "recordings": recs})
        manifests[part] = {"recordings": recs, "supervisions": sups}
    return manifests


__all__ = ["download_timit", "get_phonemes", "get_speakers", "prepare_timit"]
