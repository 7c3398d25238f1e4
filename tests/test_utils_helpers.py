"""nuptse.utils: the small public helpers at lhotse's ``lhotse.utils`` path."""

import random
import subprocess
import sys
import tarfile
import uuid
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from nuptse import timing, utils
from nuptse.utils import (
    TimeSpan,
    asdict_nonull,
    compute_start_duration_for_extended_cut,
    fastcopy,
    measure_overlap,
    merge_items_with_delimiter,
    overlaps,
    overspans,
    split_sequence,
    streaming_shuffle,
)


def test_import_is_light():
    code = "import sys, nuptse.utils; print(any(m in sys.modules for m in ('torch', 'numpy', 'click')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_time_arithmetic_is_timings_own():
    for name in (
        "compute_num_samples",
        "compute_num_frames",
        "add_durations",
        "perturb_num_samples",
        "compute_num_windows",
        "time_diff_to_num_frames",
    ):
        assert getattr(utils, name) is getattr(timing, name)


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ((0, 1), (0.5, 2), True),
        ((0, 1), (1, 2), False),
        ((0, 1), (1 - 1e-12, 2), False),
        ((0, 0), (0, 1), False),
        ((-1, 1), (0, 1), True),
        ((2, 3), (0, 1), False),
    ],
)
def test_overlaps_is_symmetric_and_ignores_touching(a, b, expected):
    assert overlaps(TimeSpan(*a), TimeSpan(*b)) is expected
    assert overlaps(TimeSpan(*b), TimeSpan(*a)) is expected


def test_overspans_tolerance():
    assert overspans(TimeSpan(1, 2), TimeSpan(0.9995, 2.0005))
    assert not overspans(TimeSpan(1, 2), TimeSpan(0.99, 2))
    assert not overspans(TimeSpan(1, 2), TimeSpan(0.9995, 2.0005), tolerance=0)


def test_measure_overlap_relative_to_shorter_span():
    # [0, 10) and [8, 12): 2 s overlap out of the shorter 4 s.
    assert measure_overlap(TimeSpan(8, 12), TimeSpan(0, 10)) == pytest.approx(0.5)
    assert measure_overlap(TimeSpan(0, 1), TimeSpan(3, 4)) == 0.0


@pytest.mark.parametrize("direction, start", [("left", 3.0), ("right", 5.0), ("center", 4.0)])
def test_extended_cut_start(direction, start):
    assert compute_start_duration_for_extended_cut(5.0, 2.0, 4.0, direction) == (start, 4.0)


def test_extended_cut_clipped_at_zero_and_random_in_range():
    assert compute_start_duration_for_extended_cut(1.0, 2.0, 6.0, "left") == (0, 3.0)
    random.seed(1)
    s, d = compute_start_duration_for_extended_cut(5.0, 2.0, 4.0, "random")
    assert 3.0 <= s <= 5.0 and d == 4.0
    assert compute_start_duration_for_extended_cut(5.0, 2.0, 1.0) == (5.0, 2.0)
    with pytest.raises(ValueError, match="sideways"):
        compute_start_duration_for_extended_cut(5.0, 2.0, 4.0, "sideways")


def test_split_sequence_sizes_cover_everything():
    for n in range(1, 15):
        for k in range(1, n + 1):
            parts = split_sequence(list(range(n)), k)
            assert [x for p in parts for x in p] == list(range(n))
            assert max(map(len, parts)) - min(map(len, parts)) <= 1
            assert sorted(map(len, parts), reverse=True) == list(map(len, parts))
            even = split_sequence(list(range(n)), k, drop_last=True)
            assert all(len(p) == n // k for p in even)
    with pytest.raises(ValueError, match="3 items into 4"):
        split_sequence([1, 2, 3], 4)


@pytest.mark.parametrize("n, bufsize", [(0, 5), (1, 0), (50, 1), (50, 7), (50, 1000)])
def test_streaming_shuffle_is_a_permutation(n, bufsize):
    out = list(streaming_shuffle(iter(range(n)), bufsize, rng=random.Random(2)))
    assert sorted(out) == list(range(n))
    if bufsize == 0:
        assert out == list(range(n))


def test_streaming_shuffle_matches_lhotse_order():
    lhotse_utils = pytest.importorskip("lhotse.utils")
    for n, b in [(100, 10), (33, 4), (5, 100)]:
        ours = list(streaming_shuffle(iter(range(n)), b, rng=random.Random(7)))
        theirs = list(lhotse_utils.streaming_shuffle(iter(range(n)), b, rng=random.Random(7)))
        assert ours == theirs


def test_uuid4_is_reproducible_after_fix_random_seed():
    utils.fix_random_seed(123)
    first = [utils.uuid4() for _ in range(3)]
    assert random.random() == random.Random(123).random()
    utils.fix_random_seed(123)
    assert [utils.uuid4() for _ in range(3)] == first
    # The ids are the seeded generator's 128-bit draws (as lhotse's).
    gen = random.Random(123)
    assert first[0] == uuid.UUID(int=gen.getrandbits(128))


def test_hash_str_to_int_is_sha1():
    import hashlib

    assert (
        utils.hash_str_to_int("hello", 1000) == int(hashlib.sha1(b"hello").hexdigest(), 16) % 1000
    )


@dataclass
class _Item:
    a: int
    b: object = None


def test_fastcopy_and_asdict_nonull():
    x = _Item(1, [1])
    y = fastcopy(x, a=2)
    assert (y.a, y.b) == (2, [1]) and y.b is x.b and x.a == 1
    assert asdict_nonull(_Item(1)) == {"a": 1}
    assert asdict_nonull(_Item(1, _Item(2))) == {"a": 1, "b": {"a": 2}}


def test_small_helpers():
    assert utils.ifnone(None, 1) == 1 and utils.ifnone(False, 1) is False
    assert utils.to_list((1, 2)) == [(1, 2)]
    assert utils.exactly_one_not_null(None, 0) and not utils.exactly_one_not_null(None, None)
    assert utils.is_none_or_gt(None, 3) and not utils.is_none_or_gt(3, 3)
    assert utils.is_equal_or_contains([0, 1, 2], [2, 0])
    assert merge_items_with_delimiter(["x", "y"], prefix="mix", delimiter="_") == "mix_x_y"
    assert merge_items_with_delimiter(["x", "y"], return_first=True) == "x"
    assert list(utils.pairwise("abc")) == [("a", "b"), ("b", "c")]
    assert utils.is_module_available("json") and not utils.is_module_available(
        "json", "no_such_mod_x"
    )
    assert utils.is_valid_url("https://example.com/a") and not utils.is_valid_url("a/b.wav")
    assert 1 in utils.SetContainingAnything()


def test_lens_to_mask_matches_comparison():
    torch = pytest.importorskip("torch")
    lens = torch.tensor([2, 0, 4])
    expected = torch.tensor([[1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]], dtype=torch.float32)
    assert torch.equal(utils.lens_to_mask(lens), expected)


def test_suppress_and_warn(caplog):
    with utils.suppress_and_warn(KeyError):
        raise KeyError("k")
    assert "Suppressed KeyError" in caplog.text
    with pytest.raises(KeyError), utils.suppress_and_warn(KeyError, enabled=False):
        raise KeyError("k")
    with pytest.raises(ValueError), utils.suppress_and_warn(KeyError):
        raise ValueError("v")


def test_rich_exception_info_keeps_type_and_adds_arguments():
    @utils.rich_exception_info
    def fail(x):
        raise ValueError("bad")

    with pytest.raises(ValueError, match=r"bad\n\[extra info\].*fail\(args=\(5,\)"):
        fail(5)


def test_deprecated_warns_at_call_site():
    @utils.deprecated("use g")
    def f():
        return 1

    with pytest.warns(utils.DeprecatedWarning, match="use g") as record:
        assert f() == 1
    assert record[0].filename == __file__


def test_nonpositive_energy_error_is_value_error():
    assert issubclass(utils.NonPositiveEnergyError, ValueError)


def test_nullcontext_and_recursion_limit():
    with utils.nullcontext(3) as v:
        assert v == 3
    before = sys.getrecursionlimit()
    with utils.recursion_limit(before + 100):
        assert sys.getrecursionlimit() == before + 100
    assert sys.getrecursionlimit() == before


def test_safe_extract_refuses_path_traversal(tmp_path):
    payload = tmp_path / "payload.txt"
    payload.write_text("x")
    good, bad = tmp_path / "good.tar", tmp_path / "bad.tar"
    with tarfile.open(good, "w") as tar:
        tar.add(payload, arcname="sub/payload.txt")
    with tarfile.open(bad, "w") as tar:
        tar.add(payload, arcname="../escaped.txt")
    with tarfile.open(good) as tar:
        utils.safe_extract(tar, tmp_path / "out")
    assert (tmp_path / "out/sub/payload.txt").read_text() == "x"
    with tarfile.open(bad) as tar, pytest.raises(utils.UnsafeArchiveError, match="escaped"):
        utils.safe_extract(tar, tmp_path / "out2")
    assert not (tmp_path / "escaped.txt").exists()


def test_check_and_rglob(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a/x.wav").write_bytes(b"")
    assert utils.check_and_rglob(tmp_path, "*.wav") == [tmp_path / "a/x.wav"]
    with pytest.raises(FileNotFoundError, match=r"\*\.flac"):
        utils.check_and_rglob(tmp_path, "*.flac")
    assert utils.check_and_rglob(tmp_path, "*.flac", strict=False) == []
    with pytest.raises(NotADirectoryError):
        utils.check_and_rglob(tmp_path / "missing", "*")


def test_python_literal_option():
    click = pytest.importorskip("click")
    from click.testing import CliRunner

    @click.command()
    @click.option("-n", cls=utils.PythonLiteralOption, default=None)
    def show(n):
        click.echo(repr(n))

    runner = CliRunner()
    assert runner.invoke(show, ["-n", "(1, 2)"]).output == "(1, 2)\n"
    assert runner.invoke(show, ["-n", "[7]"]).output == "7\n"
    assert runner.invoke(show, ["-n", "not python"]).output == "None\n"


def test_pipe_reads_command_output():
    with utils.Pipe(["printf", "a\\nb\\n"], mode="r") as p:
        assert list(p) == ["a\n", "b\n"]
    p = utils.Pipe(["false"], mode="r")
    with pytest.raises(OSError, match="status 1"):
        p.close()


def test_supervision_to_samples():
    sup = SimpleNamespace(start=0.5, duration=1.0)
    assert utils.supervision_to_samples(sup, 16000) == (8000, 16000)
    assert utils.supervision_to_samples(sup, 16000, max_samples=20000) == (8000, 12000)
