"""The compiled loops of the Kaldi layers' short path give torch's bits, or stay unused."""

from __future__ import annotations

import logging
import shutil
import sysconfig
from pathlib import Path

import numpy as np
import pytest
import torch

from nuptse.features.kaldi import fastpath, native
from nuptse.features.kaldi.layers import Wav2LogFilterBank, Wav2MFCC

sf = pytest.importorskip("soundfile")

SPEECH = "libri/libri-1088-134315-0000.wav"


@pytest.fixture
def lib():
    loops = native.loops()
    if loops is None:
        pytest.skip("nuptse was installed without its compiled Kaldi loops")
    return loops


@pytest.fixture(params=[1, 2], ids=["1-thread", "2-threads"])
def threads(request):
    before = torch.get_num_threads()
    torch.set_num_threads(request.param)
    yield request.param
    torch.set_num_threads(before)


def _speech(fixtures_dir: Path, dtype=torch.float32) -> torch.Tensor:
    x, sr = sf.read(str(fixtures_dir / SPEECH), dtype="float32")
    return torch.from_numpy(x * 32768.0).to(dtype)


def _fresh_loops(monkeypatch, loops) -> None:
    """Make the next ``native.loops()`` return ``loops`` (None: torch ops only)."""
    monkeypatch.setattr(native, "_loops", [loops])


def test_extension_is_built_where_a_compiler_is():
    # setup.py builds it as optional; a silent build failure would cost the
    # speed it exists for, so where a compiler and Python's headers are
    # there, it must have been built and must agree with torch.
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not (shutil.which("cc") or shutil.which("gcc")) or not headers.exists():
        pytest.skip("no C compiler or Python headers here")
    from nuptse.features.kaldi import _native

    assert native._self_check(_native) is None


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_body_matches_torch_bits(fixtures_dir, lib, threads, dtype):
    speech = _speech(fixtures_dir, dtype)
    frames = speech.unfold(0, 400, 160)  # (T, 400), rows overlapping
    rows = frames.size(0)
    offset = frames.sum(-1, True)
    window = torch.hann_window(400, periodic=False, dtype=dtype).pow(0.85)
    for off, scale in ((offset, 0.03 / 400), (None, 1.0)):
        want = torch.zeros(rows, 512, dtype=dtype)
        got = torch.zeros(rows, 512, dtype=dtype)
        if off is None:
            torch.mul(frames, window, out=want[:, :400])
        else:
            torch.sub(frames, off, alpha=scale, out=want[:, :400])
            want[:, :400].mul_(window)
        assert native.body(lib, frames, off, scale, window, got[:, :400])
        assert torch.equal(got, want)


def test_body_leaves_lengths_with_a_scalar_tail_to_torch(lib):
    # torch rounds the tail after its vector loop differently; 401 floats
    # are not a whole number of 64-byte vectors.
    frames = torch.randn(2000).unfold(0, 401, 160)
    out = torch.zeros(frames.size(0), 512)
    window = torch.ones(401)
    assert not native.body(lib, frames, None, 1.0, window, out[:, :401])
    assert not out.any()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_power_matches_torch_bits(fixtures_dir, lib, threads, dtype):
    speech = _speech(fixtures_dir, dtype)
    frames = torch.zeros(speech.numel() // 160 - 2, 512, dtype=dtype)
    frames[:, :400] = speech.unfold(0, 400, 160)[: frames.size(0)]
    spec = torch.fft.rfft(frames)
    for lo, hi in ((0, 257), (1, 244), (5, 6)):
        parts = torch.view_as_real(spec.clone())[:, lo:hi]
        parts.mul_(parts)
        re, im = parts.unbind(2)
        want = torch.zeros(frames.size(0), 512, dtype=dtype)
        torch.add(re, im, out=want[:, lo:hi])
        got = torch.zeros_like(want)
        assert native.power(lib, spec, lo, got[:, lo:hi])
        assert torch.equal(got, want)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("step", [1, 3])
def test_reflect_matches_torch_bits(fixtures_dir, lib, threads, dtype, step):
    speech = _speech(fixtures_dir, dtype)
    x = speech.repeat_interleave(step)[None, ::step] if step > 1 else speech[None]
    n = x.size(1)
    assert x.stride(1) == step
    for left, right, c in ((200, 200, 0.97), (0, 17, 0.5), (n, n, 0.97), (3, 0, 0.0)):
        seg_want = torch.cat([x[:, :left].flip(1), x, x[:, n - right :].flip(1)], 1)[0]
        prev = torch.cat([seg_want.new_zeros(1), seg_want[:-1]])
        emph_want = torch.sub(seg_want, prev, alpha=c)
        seg = torch.full_like(seg_want, float("nan"))
        emph = torch.full_like(seg_want, float("nan"))
        native.reflect(lib, x, left, n + left + right, c, seg, emph)
        assert torch.equal(seg, seg_want) and torch.equal(emph, emph_want), (left, right, c)
        seg.fill_(float("nan"))
        native.reflect(lib, x, left, n + left + right, c, seg, None)  # the signal only
        assert torch.equal(seg, seg_want)


def test_reflect_refuses_a_second_reflection(lib):
    x = torch.randn(1, 100)
    out = torch.empty(400)
    with pytest.raises(ValueError, match="reflection"):
        native.reflect(lib, x, 101, 201, 0.97, out, None)
    with pytest.raises(ValueError, match="reflection"):
        native.reflect(lib, x, 0, 201, 0.97, out, None)


@pytest.mark.parametrize("cls", [Wav2LogFilterBank, Wav2MFCC])
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"use_energy": True},
        {"use_energy": True, "raw_energy": False},
        {"snip_edges": True},
        {"snip_edges": True, "preemph_coeff": 0.0},  # frames are views of the input
        {"preemph_coeff": 0.0, "remove_dc_offset": False},
    ],
)
def test_layers_give_the_same_bits_with_and_without_the_loops(
    fixtures_dir, lib, threads, monkeypatch, cls, kw
):
    speech = _speech(fixtures_dir) / 32768.0
    rows = [speech, speech[:48000], speech[:2731]]
    batch = torch.zeros(len(rows), speech.numel())
    for i, r in enumerate(rows):
        batch[i, : r.numel()] = r
    lengths = torch.tensor([r.numel() for r in rows])
    with torch.inference_mode():
        layer = cls(**kw)
        with_loops = [layer(r[None]) for r in rows] + [layer(batch, lengths)]
        assert layer._fast.plans[torch.float32].native is lib
        _fresh_loops(monkeypatch, None)
        layer = cls(**kw)
        without = [layer(r[None]) for r in rows] + [layer(batch, lengths)]
        assert layer._fast.plans[torch.float32].native is None
        monkeypatch.setattr(fastpath, "MIN_FRAMES", 1 << 40)  # general path only
        general = [cls(**kw)(r[None]) for r in rows] + [cls(**kw)(batch, lengths)]
    for a, b, g in zip(with_loops, without, general):
        assert torch.equal(a, b) and torch.equal(a, g)


def test_environment_switch_turns_the_loops_off(monkeypatch):
    monkeypatch.setenv("NUPTSE_NATIVE_KALDI", "0")
    monkeypatch.setattr(native, "_loops", [])
    assert native.loops() is None
    with torch.inference_mode():
        layer = Wav2MFCC()
        layer(torch.randn(1, 16000))
    assert layer._fast.plans[torch.float32].native is None


class _WrongLoops:
    """Loops that skip the work: the self-check must catch them."""

    def __init__(self, real):
        self._real = real

    def body(self, *args):
        pass  # leaves the output as it was

    def power(self, *args):
        self._real.power(*args)

    def reflect_emph(self, *args):
        self._real.reflect_emph(*args)


def test_loops_that_disagree_with_torch_are_not_used(lib, monkeypatch, caplog):
    import nuptse.features.kaldi as package

    assert native._self_check(lib) is None
    assert "frame bodies" in native._self_check(_WrongLoops(lib))
    monkeypatch.setattr(package, "_native", _WrongLoops(lib), raising=False)
    monkeypatch.setattr(native, "_loops", [])
    with caplog.at_level(logging.WARNING, logger="nuptse.features.kaldi.native"):
        assert native.loops() is None
    assert "disagree with torch" in caplog.text


def test_mfcc_with_the_loops_matches_numpy_statistics(fixtures_dir, lib):
    # An independent check of the numbers the loops feed: the frame energy
    # of the first frames (numpy, float64) equals use_energy's log energy.
    speech = _speech(fixtures_dir) / 32768.0
    with torch.inference_mode():
        out = Wav2MFCC(use_energy=True)(speech[None])[0]
    x = speech.double().numpy()
    for t in range(5, 40):
        frame = x[t * 160 - 120 : t * 160 - 120 + 400]
        energy = np.sum((frame - frame.mean()) ** 2)
        assert abs(out[t, 0].item() - np.log(energy)) < 1e-3


def test_loops_share_rows_on_torchs_own_openmp_threads(lib):
    # The loops find the OpenMP runtime torch loaded, so that they run on
    # torch's threads and start none of their own; a second runtime would
    # mean a second set of threads competing with torch's for the cores.
    if not lib.threaded():
        pytest.skip("torch has no OpenMP runtime loaded here")
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("no /proc here")
    runtimes = {
        line.split()[-1]
        for line in maps.read_text().splitlines()
        if "libgomp" in line or "libiomp" in line or "libomp" in line
    }
    assert len(runtimes) == 1, runtimes


def test_kept_arguments_follow_grown_buffers(fixtures_dir, lib, monkeypatch):
    # The loops' arguments (addresses in the layer's buffers) are kept per
    # shape; when a longer signal makes the layer grow its buffers, the new
    # buffers get new arguments: growing, shrinking and repeated lengths all
    # give the general path's bits.
    speech = _speech(fixtures_dir) / 32768.0
    lengths = [4000, 16000, 4000, 48000, 16000, speech.numel(), 4000]
    layer = Wav2MFCC()
    with torch.inference_mode():
        outs = [layer(speech[None, :n]) for n in lengths]
    assert layer._fast._items[0].views  # the kept views carry the arguments
    monkeypatch.setattr(fastpath, "MIN_FRAMES", 1 << 40)  # general path only
    with torch.no_grad():
        for n, out in zip(lengths, outs):
            assert torch.equal(out, Wav2MFCC()(speech[None, :n])), n


def test_layer_buffers_moved_to_shared_memory_are_followed(fixtures_dir, lib):
    # Pickling a layer for a process pool moves its tensors' storage into
    # shared memory (torch's multiprocessing reductions call share_memory_()
    # on each); the loops' kept arguments must not point at the old storage.
    speech = _speech(fixtures_dir) / 32768.0
    layer = Wav2LogFilterBank()
    with torch.inference_mode():
        before = layer(speech[None])
        for tensor in list(layer.buffers()) + [layer.wav2win._window_f32]:
            tensor.share_memory_()
        for _ in range(3):  # freed storage gets reused: write over it
            torch.randn(1 << 20).fill_(float("nan"))
            assert torch.equal(layer(speech[None]), before)
