"""A LibriSpeech recipe's data preparation, end to end, as a shell script calling ``nuptse``.

``librispeech_recipe/prepare.sh`` runs the stages of icefall's LibriSpeech
``prepare.sh`` (prepare librispeech and musan, fbank with speed perturbation
for the train parts, combine, subset, split, filter, validate) with
``lhotse`` replaced by ``nuptse``.  Here it runs on a LibriSpeech-layout tree
made from the mini corpus (one speaker per part, 3 utterances each) and the
MUSAN fixture.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"
PARTS = {"dev-clean": "9002", "test-clean": "9003", "train-clean-100": "9001", "train-other-500": "9002"}


UTTS = 3  # utterances per part (of the 8 in each mini-corpus chapter)


def _link_tree(src: Path, dst: Path) -> None:
    def link(a, b):
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, dst, copy_function=link)


def _chapter(src: Path, dst: Path) -> None:
    """The first UTTS utterances of a chapter folder: audio and the matching text lines."""
    dst.mkdir(parents=True)
    for f in sorted(src.iterdir()):
        if f.suffix == ".txt":
            lines = f.read_text().splitlines()[:UTTS]
            (dst / f.name).write_text("".join(line + "\n" for line in lines))
        elif int(f.stem.rsplit("-", 1)[1]) < UTTS:
            shutil.copy2(f, dst / f.name)


@pytest.fixture
def dl_dir(tmp_path):
    mini = FIXTURES / "mini_corpus"
    dl = tmp_path / "download"
    for part, spk in PARTS.items():
        for chapter in (mini / "dev-clean-2" / spk).iterdir():
            _chapter(chapter, dl / "LibriSpeech" / part / spk / chapter.name)
            ali = mini / "alignments" / "dev-clean-2" / spk / chapter.name
            _chapter(ali, dl / "LibriSpeech-Alignments" / part / spk / chapter.name)
    shutil.copy(mini / "SPEAKERS.TXT", dl / "LibriSpeech" / "SPEAKERS.TXT")
    _link_tree(FIXTURES / "corpora" / "musan" / "musan", dl / "musan")
    return dl


def _run_script(dl: Path, work: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NUPTSE=f"{sys.executable} -m nuptse.cli", PYTHON=sys.executable)
    return subprocess.run(
        # One job: feature workers would each import torch, which costs more than
        # the fixture's few utterances.
        ["bash", str(HERE / "librispeech_recipe" / "prepare.sh"), str(dl), str(work), "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _count(path: Path) -> int:
    with gzip.open(path, "rt") as f:
        return sum(1 for line in f if line.strip())


def test_librispeech_prepare_script(dl_dir, tmp_path, monkeypatch):
    work = tmp_path / "work"
    proc = _run_script(dl_dir, work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Done" in proc.stdout

    manifests = work / "data" / "manifests"
    for part in PARTS:
        for kind in ("recordings", "supervisions"):
            assert _count(manifests / f"librispeech_{kind}_{part}.jsonl.gz") == UTTS
    for part in ("music", "speech", "noise"):
        assert (manifests / f"musan_recordings_{part}.jsonl.gz").is_file()

    fbank = work / "data" / "fbank"
    # Two train parts, each utterance at speeds 1.0, 0.9 and 1.1.
    assert _count(fbank / "librispeech_cuts_train-all.jsonl.gz") == 2 * 3 * UTTS
    assert _count(fbank / "librispeech_cuts_dev-clean-first2.jsonl.gz") == 2
    splits = sorted(p.name for p in (fbank / "split2").iterdir())
    assert splits == ["librispeech_cuts_train-all.0.jsonl.gz", "librispeech_cuts_train-all.1.jsonl.gz"]
    assert sum(_count(fbank / "split2" / s) for s in splits) == 2 * 3 * UTTS
    with gzip.open(fbank / "librispeech_cuts_test-clean-long.jsonl.gz", "rt") as f:
        assert all(json.loads(line)["duration"] > 2.5 for line in f)
    assert proc.stdout.count("[OK]") == 2 + 2  # validate-pair x 2, validate x 2

    from nuptse.cut import CutSet

    monkeypatch.chdir(work)  # the feature paths are relative to where the script ran
    train = CutSet.from_file(fbank / "librispeech_cuts_train-all.jsonl.gz")
    sp = [c for c in train if c.id.endswith("_sp0.9")]
    assert len(sp) == 2 * UTTS
    orig = train[sp[0].id[: -len("_sp0.9")]]
    # 0.9x speed: ~1/0.9 as many frames, as the perturbed audio is longer.
    assert sp[0].features.num_frames == pytest.approx(orig.features.num_frames / 0.9, abs=2)
    feats = sp[0].load_features()
    assert feats.shape == (sp[0].num_frames, 80)

    # lhotse reads what the script wrote, to the same features (where it is installed).
    import importlib.util

    if importlib.util.find_spec("lhotse") is None:
        return
    import lhotse

    path = fbank / "librispeech_cuts_dev-clean-first2.jsonl.gz"
    for a, b in zip(CutSet.from_file(path), lhotse.load_manifest(path)):
        assert a.id == b.id
        assert (a.load_features() == b.load_features()).all()
