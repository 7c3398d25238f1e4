"""Each recipe on its fixture corpus writes the manifests lhotse 1.33 writes.

The fixture corpora and lhotse's output for them live in
``tests/fixtures/corpora`` (see its README for how both were made).  A test
copies a corpus to a temporary folder, runs our recipe with an output
folder, and compares every written file with lhotse's: the same file names,
the same items (by id), field for field.  Item order is not compared where
lhotse's follows the filesystem's listing order.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from nuptse import recipes

CORPORA = Path(__file__).resolve().parents[1] / "fixtures" / "corpora"
EXPECTED = CORPORA / "expected"
PLACEHOLDER = "{CORPUS}"


def _load_ours(path: Path, corpus: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line.replace(str(corpus), PLACEHOLDER)) for line in f if line.strip()]


def _load_expected(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _by_id(items: list[dict], path) -> dict[str, dict]:
    out = {item["id"]: item for item in items}
    assert len(out) == len(items), f"duplicate ids in {path}"
    return out


def _compare_dirs(ours: Path, corpus: Path, expected: Path, fix_expected=None) -> None:
    """Every expected file exists in ``ours`` (and nothing else), with the same items."""
    want = sorted(p.relative_to(expected) for p in expected.rglob("*.jsonl"))
    got = sorted(p.relative_to(ours).with_suffix("") for p in ours.rglob("*.jsonl.gz"))
    assert got == want
    for rel in want:
        exp_items = _load_expected(expected / rel)
        if fix_expected is not None:
            exp_items = [fix_expected(item) for item in exp_items]
        ours_items = _load_ours(ours / rel.with_suffix(".jsonl.gz"), corpus)
        assert _by_id(ours_items, rel) == _by_id(exp_items, rel), rel


@pytest.fixture
def corpus(tmp_path):
    def copy(name: str) -> Path:
        dst = tmp_path / "corpus"
        shutil.copytree(CORPORA / name, dst)
        return dst

    return copy


def test_musan(corpus, tmp_path):
    root = corpus("musan")
    out = tmp_path / "out"
    manifests = recipes.prepare_musan(root / "musan", output_dir=out)
    _compare_dirs(out, root, EXPECTED / "musan")
    music = manifests["music"]["supervisions"]
    assert music["music-fma-0001"].custom == {"genres": ["pop", "rock"], "vocals": True}
    no_vocals = recipes.prepare_musan(root / "musan", parts=["music"], use_vocals=False)
    assert "music-fma-0001" not in no_vocals["music"]["supervisions"]
    assert "music-fma-0001" in no_vocals["music"]["recordings"]


def test_yesno(corpus, tmp_path):
    root = corpus("yesno")
    out = tmp_path / "out"
    manifests = recipes.prepare_yesno(root / "waves_yesno", output_dir=out)
    _compare_dirs(out, root, EXPECTED / "yesno")
    sup = manifests["train"]["supervisions"]["0_0_0_0_1_0_1_1"]
    assert sup.text == "NO NO NO NO YES NO YES YES"


def test_ljspeech(corpus, tmp_path):
    root = corpus("ljspeech")
    out = tmp_path / "out"
    recipes.prepare_ljspeech(root / "LJSpeech-1.1", output_dir=out)
    _compare_dirs(out, root, EXPECTED / "ljspeech")


def test_aishell(corpus, tmp_path):
    root = corpus("aishell")
    out = tmp_path / "out"
    manifests = recipes.prepare_aishell(root / "aishell", output_dir=out)
    _compare_dirs(out, root, EXPECTED / "aishell")
    assert manifests["test"]["supervisions"]["BAC009S0764W0121"].text == "K歌也是一种娱乐"


def test_commonvoice(corpus, tmp_path):
    root = corpus("commonvoice")
    out = tmp_path / "out"
    release = root / "cv-corpus-13.0-2023-03-09"
    manifests = recipes.prepare_commonvoice(release, output_dir=out, languages="auto")
    _compare_dirs(out, root, EXPECTED / "commonvoice")
    assert set(manifests["en"]) == {"train", "dev", "test"}
    # A second run reads the manifests it wrote instead of scanning the clips again.
    shutil.rmtree(release / "en" / "clips")
    again = recipes.prepare_commonvoice(release, output_dir=out, languages=["en"])
    assert again["en"]["dev"]["supervisions"] == manifests["en"]["dev"]["supervisions"]


def _trial_supervisions_as_list(item: dict) -> dict:
    # lhotse 1.33 stores the one supervision of a trial cut as a bare object,
    # which CutSet readers do not accept; we write the list a cut always has.
    if item.get("type") == "MonoCut" and isinstance(item.get("supervisions"), dict):
        item = dict(item, supervisions=[item["supervisions"]])
    return item


def test_voxceleb(corpus, tmp_path):
    root = corpus("voxceleb")
    out = tmp_path / "out"
    manifests = recipes.prepare_voxceleb(voxceleb1_root=root / "voxceleb1", output_dir=out)
    _compare_dirs(out, root, EXPECTED / "voxceleb", fix_expected=_trial_supervisions_as_list)
    pos1, pos2 = manifests["pos_trials"]
    assert [c.id for c in pos1] == [c.id for c in pos2] == ["trial-0"]
    assert pos2[0].supervisions[0].speaker == "id10270"
    from nuptse.cut import CutSet

    back = CutSet.from_file(out / "voxceleb_neg-trials_utt2.jsonl.gz")
    assert [c.recording_id for c in back] == [
        "id10300-ize_eiCFEg0-00003",
        "id10270-8jEAjG6SegY-00008",
    ]


def test_timit(corpus, tmp_path):
    root = corpus("timit")
    out = tmp_path / "out"
    manifests = recipes.prepare_timit(root / "timit", output_dir=out)
    recipes.prepare_timit(root / "timit", output_dir=out / "39", num_phones=39, num_jobs=2)
    _compare_dirs(out, root, EXPECTED / "timit")
    sup = manifests["DEV"]["supervisions"]["FADG0-SA2"]
    assert [a.symbol for a in sup.alignment["word"]] == ["don't", "ask", "me"]
    with pytest.raises(ValueError, match="num_phones"):
        recipes.prepare_timit(root / "timit", num_phones=50)


def test_ami(corpus, tmp_path):
    root = corpus("ami")
    out = tmp_path / "out"
    for mic in ("ihm", "sdm", "mdm"):
        recipes.prepare_ami(root / "amicorpus", output_dir=out, mic=mic)
    split = recipes.prepare_ami(
        root / "amicorpus",
        output_dir=out / "ihm-upper-split",
        mic="ihm",
        partition="full-corpus-asr",
        normalize_text="upper",
        max_words_per_segment=2,
        merge_consecutive=True,
    )
    _compare_dirs(out, root, EXPECTED / "ami")
    texts = sorted(s.text for s in split["train"]["supervisions"])
    assert "UM HELLO" in texts  # "Okay." and "um hello," became two supervisions


def test_ami_annotations_zip(corpus, tmp_path):
    """The annotations may come as the released zip (unpacked next to it)."""
    root = corpus("ami")
    ann = root / "amicorpus" / "ami_public_manual_1.6.2"
    zipped = tmp_path / "ann" / "ami_public_manual_1.6.2.zip"
    zipped.parent.mkdir()
    shutil.make_archive(str(zipped.with_suffix("")), "zip", ann)
    shutil.rmtree(ann)
    from_zip = recipes.prepare_ami(root / "amicorpus", annotations_dir=zipped, mic="sdm")
    assert len(from_zip["dev"]["supervisions"]) > 0


def test_tedlium(corpus, tmp_path):
    root = corpus("tedlium")
    out = tmp_path / "out"
    tedlium = root / "TEDLIUM_release-3"
    recipes.prepare_tedlium(tedlium, output_dir=out)
    kaldi = recipes.prepare_tedlium(tedlium, output_dir=out / "kaldi", normalize_text="kaldi")
    _compare_dirs(out, root, EXPECTED / "tedlium")
    texts = [s.text for s in kaldi["train"]["supervisions"]]
    assert texts == ["i'm going to tell you", "they're here"]


def test_malformed_annotations_name_the_file(corpus, tmp_path):
    """A damaged AMI NXT file or a Common Voice TSV row without columns is named, with its line."""
    root = corpus("ami")
    words = next((root / "amicorpus").rglob("*.words.xml"))
    seg = next((root / "amicorpus").rglob("*.segments.xml"))
    original = {p: p.read_text() for p in (words, seg)}

    words.write_text(original[words][:300])
    with pytest.raises(ValueError, match=words.name + ".*not well-formed XML"):
        recipes.prepare_ami(root / "amicorpus", mic="ihm")
    # well-formed, but a word with a text for a time, or a segment without its end time
    text = original[words]
    start = text.index('starttime="') + len('starttime="')
    words.write_text(text[:start] + "soon" + text[text.index('"', start) :])
    with pytest.raises(ValueError, match=words.name + ".*<w> starttime='soon' is not float"):
        recipes.prepare_ami(root / "amicorpus", mic="ihm")
    words.write_text(original[words])
    seg.write_text(original[seg].replace("transcriber_end=", "transcriber_stop=", 1))
    with pytest.raises(ValueError, match=seg.name + ".*<segment> without the 'transcriber_end'"):
        recipes.prepare_ami(root / "amicorpus", mic="ihm")

    cv = tmp_path / "cv"
    shutil.copytree(CORPORA / "commonvoice", cv)
    release = next(cv.iterdir())
    tsv = release / "en" / "dev.tsv"
    lines = tsv.read_text().count("\n")
    with open(tsv, "a") as f:
        f.write("a row without tabs\n")
    with pytest.raises(ValueError, match=rf"dev.tsv, line {lines + 1}: missing"):
        recipes.prepare_commonvoice(release, tmp_path / "out", languages="en", splits=["dev"])
