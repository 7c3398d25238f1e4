"""VoxCeleb 1 and 2: celebrity interview speech for speaker recognition.

Layouts: VoxCeleb1 ``<root>/vox1_meta.csv`` (tab-separated: id, name,
gender, nationality, set) and ``<root>/wav/<speaker>/<video>/<utt>.wav``;
VoxCeleb2 ``<root>/vox2_meta.csv`` (comma-separated: id, VGGFace2 id,
gender, set) and ``<root>/**/<speaker>/<video>/<utt>.m4a``.  Recording ids
are ``<speaker>-<video>-<utt>``; each recording gets one supervision with the
speaker id, gender and ``custom`` speaker name, nationality and set.

As in Kaldi's recipe, ``train`` is all of VoxCeleb2 plus VoxCeleb1's dev set
and ``test`` is VoxCeleb1's test set.  With VoxCeleb1, the verification
trials list (``voxceleb1_test_v2.txt``) becomes two pairs of aligned CutSets
(positive and negative trials, one cut per side and trial, ids
``trial-<line index>``).  The list is read from the VoxCeleb1 folder when it
is there and downloaded from OpenSLR 49 otherwise.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import urllib.parse
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple, Optional

from nuptse.recipes._common import output_dir_or_none, parallel_map, recording_from_file
from nuptse.serialization import Pathlike

logger = logging.getLogger(__name__)

_VGG = "https://thor.robots.ox.ac.uk/~vgg/data/voxceleb/vox1a"
VOXCELEB1_PARTS_URL = [f"{_VGG}/vox1_dev_wav_parta{c}" for c in "abcd"] + [
    f"{_VGG}/vox1_test_wav.zip",
    "https://www.robots.ox.ac.uk/~vgg/data/voxceleb/meta/vox1_meta.csv",
]
VOXCELEB2_PARTS_URL = [f"{_VGG}/vox2_dev_aac_parta{c}" for c in "abcdefgh"] + [
    f"{_VGG}/vox2_test_aac.zip",
    "https://www.robots.ox.ac.uk/~vgg/data/voxceleb/meta/vox2_meta.csv",
]
VOXCELEB1_TRIALS_URL = "http://www.openslr.org/resources/49/voxceleb1_test_v2.txt"
_TRIALS_NAMES = ("voxceleb1_test_v2.txt", "voxceleb_trials.txt")


class SpeakerMetadata(NamedTuple):
    id: str
    name: str
    gender: str
    nationality: str
    split: str


def _download_voxceleb(
    part_urls: list[str],
    part_prefix: str,
    dev_zip_name: str,
    test_zip_name: str,
    target_dir: Pathlike,
    force_download: bool = False,
) -> Path:
    """Fetch the split dev zip, join its pieces, and unzip dev and test into ``target_dir``."""
    from nuptse.recipes.download import resumable_download, safe_extract_zip

    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    dev_zip = target_dir / dev_zip_name
    if dev_zip.exists() and not force_download:
        logger.info("%s exists; not downloading again", dev_zip)
        return target_dir
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for url in part_urls:
            name = PurePosixPath(urllib.parse.unquote(urllib.parse.urlparse(url).path)).name
            resumable_download(url, tmp / name, force_download=force_download)
        with open(tmp / dev_zip_name, "wb") as joined:
            for piece in sorted(tmp.glob(f"{part_prefix}*")):
                with open(piece, "rb") as src:
                    shutil.copyfileobj(src, joined)
        for f in [*tmp.glob("*.zip"), *tmp.glob("*.csv")]:
            shutil.move(str(f), str(target_dir / f.name))
    for name in (dev_zip_name, test_zip_name):
        with zipfile.ZipFile(target_dir / name) as zf:
            safe_extract_zip(zf, target_dir)
    return target_dir


def download_voxceleb1(target_dir: Pathlike = ".", force_download: Optional[bool] = False) -> Path:
    """Fetch and unzip VoxCeleb1 (the VGG servers may ask for credentials)."""
    return _download_voxceleb(
        VOXCELEB1_PARTS_URL,
        "vox1_dev_wav_part",
        "vox1_dev_wav.zip",
        "vox1_test_wav.zip",
        target_dir,
        bool(force_download),
    )


def download_voxceleb2(target_dir: Pathlike = ".", force_download: Optional[bool] = False) -> Path:
    """Fetch and unzip VoxCeleb2 (the VGG servers may ask for credentials)."""
    return _download_voxceleb(
        VOXCELEB2_PARTS_URL,
        "vox2_dev_aac_part",
        "vox2_aac.zip",
        "vox2_test_aac.zip",
        target_dir,
        bool(force_download),
    )


def _read_meta_v1(path: Path) -> dict[str, SpeakerMetadata]:
    out = {}
    with open(path, encoding="utf-8") as f:
        next(f, None)
        for lineno, line in enumerate(f, start=2):
            if not line.strip():
                continue
            fields = line.strip().split("\t")
            if len(fields) != 5:
                raise ValueError(f"{path}, line {lineno}: expected 5 tab-separated fields")
            out[fields[0]] = SpeakerMetadata(*fields)
    return out


def _read_meta_v2(path: Path) -> dict[str, SpeakerMetadata]:
    out = {}
    with open(path, encoding="utf-8") as f:
        next(f, None)
        for lineno, line in enumerate(f, start=2):
            if not line.strip():
                continue
            fields = [x.strip() for x in line.split(",")]
            if len(fields) != 4:
                raise ValueError(f"{path}, line {lineno}: expected 4 comma-separated fields")
            spk, _, gender, split = fields
            out[spk] = SpeakerMetadata(spk, "", gender, "", split)
    return out


def _process_file(path: Path, speakers: dict[str, SpeakerMetadata]) -> tuple[Any, Any]:
    from nuptse.supervision import SupervisionSegment

    speaker, video, utt = path.parent.parent.name, path.parent.name, path.stem
    if speaker not in speakers:
        raise ValueError(f"{path}: speaker {speaker!r} is not in the metadata file")
    meta = speakers[speaker]
    rec_id = f"{speaker}-{video}-{utt}"
    rec = recording_from_file(path, recording_id=rec_id)
    sup = SupervisionSegment(
        id=rec_id,
        recording_id=rec_id,
        speaker=speaker,
        gender=meta.gender,
        start=0.0,
        duration=rec.duration,
        custom={"speaker_name": meta.name, "nationality": meta.nationality, "split": meta.split},
    )
    return rec, sup


def _scan(files: list[Path], speakers, num_jobs: int) -> tuple[Any, Any]:
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    pairs = parallel_map(lambda p: _process_file(p, speakers), sorted(files), num_jobs)
    return (
        RecordingSet.from_items(r for r, _ in pairs),
        SupervisionSet.from_items(s for _, s in pairs),
    )


def _prepare_v1(root: Path, num_jobs: int) -> dict[str, dict[str, Any]]:
    from nuptse.audio import RecordingSet
    from nuptse.supervision import SupervisionSet

    speakers = _read_meta_v1(root / "vox1_meta.csv")
    recs, sups = _scan(list((root / "wav").rglob("*.wav")), speakers, num_jobs)
    out = {}
    for split, name in (("dev", "train"), ("test", "test")):
        part_sups = SupervisionSet.from_items(s for s in sups if s.custom["split"] == split)
        ids = {s.recording_id for s in part_sups}
        out[name] = {
            "recordings": RecordingSet.from_items(r for r in recs if r.id in ids),
            "supervisions": part_sups,
        }
    return out


def _trials_file(voxceleb1_root: Path, output_dir: Optional[Path]) -> Path:
    for name in _TRIALS_NAMES:
        if (voxceleb1_root / name).is_file():
            return voxceleb1_root / name
    from nuptse.recipes.download import resumable_download

    target = (output_dir or voxceleb1_root) / _TRIALS_NAMES[0]
    resumable_download(VOXCELEB1_TRIALS_URL, target)
    return target


def _prepare_trials(test: dict[str, Any], trials: Path) -> dict[str, tuple[Any, Any]]:
    from nuptse.cut import CutSet, MonoCut

    recordings, supervisions = test["recordings"], test["supervisions"]
    sides: dict[str, tuple[list, list]] = {"1": ([], []), "0": ([], [])}
    with open(trials, encoding="utf-8") as f:
        for idx, line in enumerate(f):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 3 or fields[0] not in sides:
                raise ValueError(f"{trials}, line {idx + 1}: expected '<0|1> <utt1> <utt2>'")
            utts = ["-".join(u.split(".")[0].split("/")) for u in fields[1:]]
            if any(u not in recordings for u in utts):
                logger.warning("%s: trial %d names an unknown recording; skipped", trials, idx)
                continue
            for side, utt in zip(sides[fields[0]], utts):
                rec = recordings[utt]
                side.append(
                    MonoCut(
                        id=f"trial-{idx}",
                        start=0,
                        duration=rec.duration,
                        channel=0,
                        recording=rec,
                        supervisions=[supervisions[utt]],
                    )
                )
    return {
        "pos_trials": (CutSet.from_items(sides["1"][0]), CutSet.from_items(sides["1"][1])),
        "neg_trials": (CutSet.from_items(sides["0"][0]), CutSet.from_items(sides["0"][1])),
    }


def prepare_voxceleb(
    voxceleb1_root: Optional[Pathlike] = None,
    voxceleb2_root: Optional[Pathlike] = None,
    output_dir: Optional[Pathlike] = None,
    num_jobs: int = 1,
) -> dict[str, Any]:
    """``{"train": {...}, "test": {...}, "pos_trials": (cuts1, cuts2), "neg_trials": ...}``.

    Writes ``voxceleb_{recordings,supervisions}_{train,test}.jsonl.gz`` and
    ``voxceleb_{pos,neg}-trials_utt{1,2}.jsonl.gz`` to ``output_dir``.
    """
    from nuptse.recipes._common import finish_part

    v1 = Path(voxceleb1_root) if voxceleb1_root else None
    v2 = Path(voxceleb2_root) if voxceleb2_root else None
    if v1 is None and v2 is None:
        raise ValueError("give voxceleb1_root, voxceleb2_root or both")
    for root in (v1, v2):
        if root is not None and not root.is_dir():
            raise FileNotFoundError(f"No such VoxCeleb directory: {root}")
    out = output_dir_or_none(output_dir)
    manifests: dict[str, Any] = {}
    if v1 is not None:
        manifests.update(_prepare_v1(v1, num_jobs))
        manifests.update(_prepare_trials(manifests["test"], _trials_file(v1, out)))
    else:
        logger.info("no VoxCeleb1: no test split and no trials")
    if v2 is not None:
        recs, sups = _scan(list(v2.rglob("*.m4a")), _read_meta_v2(v2 / "vox2_meta.csv"), num_jobs)
        if "train" in manifests:
            manifests["train"] = {
                "recordings": manifests["train"]["recordings"] + recs,
                "supervisions": manifests["train"]["supervisions"] + sups,
            }
        else:
            manifests["train"] = {"recordings": recs, "supervisions": sups}
    for split in ("train", "test"):
        if split not in manifests:
            continue
        recs, sups = finish_part(manifests[split]["recordings"], manifests[split]["supervisions"])
        manifests[split] = {"recordings": recs, "supervisions": sups}
        if out is not None:
            recs.to_file(out / f"voxceleb_recordings_{split}.jsonl.gz")
            sups.to_file(out / f"voxceleb_supervisions_{split}.jsonl.gz")
    if out is not None:
        for kind in ("pos", "neg"):
            for i, cuts in enumerate(manifests.get(f"{kind}_trials", ()), start=1):
                cuts.to_file(out / f"voxceleb_{kind}-trials_utt{i}.jsonl.gz")
    return manifests


__all__ = ["download_voxceleb1", "download_voxceleb2", "prepare_voxceleb"]
