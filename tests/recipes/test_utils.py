"""nuptse.recipes.utils: cached-manifest lookup and the recipes' text normalisers."""

from __future__ import annotations

import pytest

from nuptse.recipes import utils
from nuptse.recipes.utils import manifests_exist, read_manifests_if_cached
from nuptse.supervision import SupervisionSegment, SupervisionSet


@pytest.fixture
def written(tmp_path):
    sups = SupervisionSet.from_items(
        [SupervisionSegment(id=f"s{i}", recording_id="r", start=i, duration=1.0) for i in range(3)]
    )
    sups.to_file(tmp_path / "corpus_supervisions_dev.jsonl.gz")
    sups.to_file(tmp_path / "corpus_supervisions_test.json")
    sups.to_file(tmp_path / "supervisions_dev.jsonl.gz")
    return tmp_path, sups


def test_read_manifests_if_cached(written):
    out, sups = written
    found = read_manifests_if_cached(["dev", "train"], out, prefix="corpus")
    assert list(found) == ["dev"] and list(found["dev"]) == ["supervisions"]
    assert found["dev"]["supervisions"] == sups
    # A prefix given with its underscore, a suffix with its dot, a single part as a string.
    assert read_manifests_if_cached("test", out, prefix="corpus_", suffix=".json")["test"][
        "supervisions"
    ] == sups
    assert read_manifests_if_cached("dev", out)["dev"]["supervisions"] == sups
    lazy = read_manifests_if_cached(["dev"], out, prefix="corpus", lazy=True)["dev"]["supervisions"]
    assert lazy.is_lazy and list(lazy) == list(sups)
    assert read_manifests_if_cached(["dev"], None) is None
    assert read_manifests_if_cached(["train"], out) == {}
    with pytest.raises(ValueError, match="JSONL"):
        read_manifests_if_cached(["test"], out, prefix="corpus", suffix="json", lazy=True)


def test_manifests_exist(written):
    out, _ = written
    assert manifests_exist("dev", out, types=["supervisions"], prefix="corpus")
    assert not manifests_exist("dev", out, prefix="corpus")  # no recordings there
    assert manifests_exist("test", out, types=["supervisions"], prefix="corpus", suffix="json")
    assert not manifests_exist("dev", None)


TEXTS = [
    "Mm hmm, uh huh. O K o_k the A.M.I. meeting's 2nd-item",
    "they 're here <unk> [NOISE] ' cause i 'd {NOISE}",
    "[redacted] what? mm- yes - no [inaudible 0:12:34.5] [inaudible]",
    "好的<sil>，ｋ歌<%>ok。、？丶`&,Ａ",
    "plain text",
]


@pytest.mark.parametrize("text", TEXTS)
def test_normalizers_match_lhotse(text):
    lhotse_utils = pytest.importorskip("lhotse.recipes.utils")
    for name, modes in (
        ("normalize_text_ami", ("none", "upper", "kaldi")),
        ("normalize_text_chime6", ("none", "upper", "kaldi")),
        ("normalize_text_tedlium", ("none", "upper", "kaldi")),
        ("normalize_text_alimeeting", ("none", "m2met")),
    ):
        for mode in modes:
            ours = getattr(utils, name)(text, normalize=mode)
            assert ours == getattr(lhotse_utils, name)(text, normalize=mode), (name, mode)


def test_normalizers_by_hand():
    assert utils.normalize_text_ami("mm hmm, O K!", normalize="kaldi") == "MM-HMM OK"
    assert utils.normalize_text_tedlium("i 'm <unk> here", normalize="kaldi") == "i'm  here"
    assert utils.normalize_text_chime6("[redacted] hi", normalize="kaldi") == ""
    with pytest.raises(ValueError, match="bogus"):
        utils.normalize_text_ami("x", normalize="bogus")


def test_time_format_converter():
    conv = utils.TimeFormatConverter
    assert conv.hms_to_seconds("01:02:03.500") == 3723.5
    assert conv.seconds_to_hms(3723.5) == "01:02:03.500"
    with pytest.raises(ValueError, match="HH:MM:SS"):
        conv.hms_to_seconds("3723.5")


def test_module_exposes_lhotse_names_lazily():
    from nuptse.cut import CutSet

    assert utils.CutSet is CutSet
    assert set(utils.TYPES_TO_CLASSES) == {"recordings", "supervisions", "features", "cuts"}
