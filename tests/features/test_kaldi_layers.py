"""Tests of the Kaldi feature layers against kaldi-native-fbank and a float64 reference."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nuptse.features.kaldi.layers import (
    Wav2FFT,
    Wav2LogFilterBank,
    Wav2LogSpec,
    Wav2MFCC,
    Wav2Spec,
    Wav2Win,
)

sys.path.insert(0, str(Path(__file__).parent))
import kaldi_reference as ref  # noqa: E402

sf = pytest.importorskip("soundfile")

FILES = [
    "libri/libri-1088-134315-0000.wav",
    "ami/ES2011a.Headset-0-40s-46s.wav",
    "mix_cut_test/audio/storage/2412-153948-0000.flac",
    "mini_corpus/dev-clean-2/9001/500/9001-500-0005.flac",
    "mini_corpus/dev-clean-2/9003/502/9003-502-0002.flac",
]
SHORT_FILES = FILES[1:2] + FILES[3:4]
LAYERS = [Wav2Win, Wav2FFT, Wav2Spec, Wav2LogSpec, Wav2LogFilterBank, Wav2MFCC]

_AUDIO: dict = {}


@pytest.fixture(autouse=True)
def _seeded():
    # random inputs are the same on every run, so a tolerance holds or fails for good
    torch.manual_seed(0)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # Tiny products with 2 OpenMP threads are very slow on a busy 2-core box.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def load(fixtures_dir: Path, rel: str) -> np.ndarray:
    if rel not in _AUDIO:
        x, sr = sf.read(str(fixtures_dir / rel), dtype="float32")
        assert sr == 16000 and x.ndim == 1
        _AUDIO[rel] = x
    return _AUDIO[rel]


def run(layer: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return layer(torch.from_numpy(x)[None])[0].numpy()


def knf_features(x: np.ndarray, mfcc: bool = False, **opts) -> np.ndarray:
    """kaldi-native-fbank with Kaldi option names; times in seconds, dither 0."""
    knf = pytest.importorskip("kaldi_native_fbank")
    o = knf.MfccOptions() if mfcc else knf.FbankOptions()
    fo = o.frame_opts
    fo.dither = 0.0
    fo.samp_freq = opts.pop("sampling_rate", 16000)
    fo.frame_length_ms = opts.pop("frame_length", 0.025) * 1000
    fo.frame_shift_ms = opts.pop("frame_shift", 0.01) * 1000
    for key in (
        "snip_edges",
        "preemph_coeff",
        "remove_dc_offset",
        "window_type",
        "round_to_power_of_two",
    ):
        if key in opts:
            setattr(fo, key, opts.pop(key))
    for key in ("num_bins", "low_freq", "high_freq"):
        if key in opts:
            setattr(o.mel_opts, key, opts.pop(key))
    for key, value in opts.items():
        setattr(o, key, value)
    comp = knf.OnlineMfcc(o) if mfcc else knf.OnlineFbank(o)
    comp.accept_waveform(fo.samp_freq, x.tolist())
    comp.input_finished()
    if comp.num_frames_ready == 0:
        return np.zeros((0, o.num_ceps if mfcc else o.mel_opts.num_bins))
    return np.stack([comp.get_frame(i) for i in range(comp.num_frames_ready)])


def check_parity(ours, kaldi, reference, max_tol):
    assert ours.shape == kaldi.shape == reference.shape
    ours64 = ours.astype(np.float64)
    assert np.abs(ours64 - kaldi).max() <= max_tol
    assert np.abs(ours64 - reference).max() <= max_tol
    # At least as close to the exact answer as kaldi-native-fbank itself.
    assert np.abs(ours64 - reference).mean() <= np.abs(kaldi - reference).mean()


# ----------------------------------------------------------------------------- shapes


def test_documented_shapes():
    x = torch.randn(1, 16000)
    frames, no_energy = Wav2Win()(x)  # lhotse's documented (frames, Optional[log_energy])
    assert frames.shape == (1, 100, 400) and no_energy is None
    fft = Wav2FFT()(x)
    assert fft.shape == (1, 100, 257) and fft.dtype == torch.complex64
    assert Wav2Spec()(x).shape == (1, 100, 257)
    assert Wav2LogSpec()(x).shape == (1, 100, 257)
    assert Wav2LogFilterBank()(x).shape == (1, 100, 80)
    assert Wav2MFCC()(x).shape == (1, 100, 13)
    frames, log_e = Wav2Win(return_log_energy=True)(x)
    assert frames.shape == (1, 100, 400) and log_e.shape == (1, 100)
    assert Wav2Win(pad_length=512)(x)[0].shape == (1, 100, 512)
    assert Wav2LogFilterBank(use_energy=True)(x).shape == (1, 100, 81)


@pytest.mark.parametrize("n", [0, 1, 79, 80, 239, 399, 400, 401, 559, 560, 16000, 16079, 16080])
@pytest.mark.parametrize("snip_edges", [True, False])
def test_frame_counts_follow_kaldi(n, snip_edges):
    from nuptse.timing import kaldi_num_frames

    out = Wav2LogFilterBank(snip_edges=snip_edges)(torch.randn(2, n))
    assert out.shape == (2, kaldi_num_frames(n, 400, 160, snip_edges), 80)


def test_properties_and_helpers():
    t = Wav2MFCC(sampling_rate=8000, frame_shift=0.02, window_type="hamming", dither=0.1)
    assert (t.sampling_rate, t.frame_shift, t.window_type, t.dither) == (8000, 0.02, "hamming", 0.1)
    assert (t.frame_length, t.remove_dc_offset, t.preemph_coeff) == (0.025, True, 0.97)
    lifter = Wav2MFCC.make_lifter(13, 22)
    assert lifter.shape == (13,)
    assert float(lifter[1]) == pytest.approx(1 + 11 * math.sin(math.pi / 22))
    assert torch.equal(Wav2MFCC.make_lifter(5, 0), torch.ones(5))
    dct = Wav2MFCC.make_dct_matrix(13, 23)
    assert dct.shape == (23, 13)
    full = Wav2MFCC.make_dct_matrix(23, 23).double()
    assert torch.allclose(full.T @ full, torch.eye(23, dtype=torch.float64), atol=1e-6)
    with pytest.raises(ValueError, match="window_type"):
        Wav2Win(window_type="kaiser")
    with pytest.raises(ValueError, match="high_freq"):
        Wav2LogFilterBank(high_freq=9000)


# ----------------------------------------------------------------------------- parity


@pytest.mark.parametrize("rel", FILES)
@pytest.mark.parametrize("num_bins", [23, 40, 80])
@pytest.mark.parametrize("snip_edges", [False, True])
def test_fbank_parity(fixtures_dir, rel, num_bins, snip_edges):
    x = load(fixtures_dir, rel)
    opts = dict(num_bins=num_bins, low_freq=20.0, high_freq=-400.0, snip_edges=snip_edges)
    ours = run(Wav2LogFilterBank(num_filters=num_bins, snip_edges=snip_edges), x)
    check_parity(ours, knf_features(x, **opts), ref.fbank(x, **opts), 1e-3)


@pytest.mark.parametrize("rel", FILES)
@pytest.mark.parametrize("snip_edges", [False, True])
def test_mfcc_parity(fixtures_dir, rel, snip_edges):
    x = load(fixtures_dir, rel)
    opts = dict(num_bins=23, high_freq=-400.0, snip_edges=snip_edges, use_energy=False)
    ours = run(Wav2MFCC(snip_edges=snip_edges), x)
    check_parity(ours, knf_features(x, mfcc=True, **opts), ref.mfcc(x, **opts), 2e-3)


OPTION_CASES = [
    # (layer options, Kaldi options)
    (dict(use_energy=True), dict(use_energy=True)),
    (dict(use_energy=True, raw_energy=False), dict(use_energy=True, raw_energy=False)),
    (dict(use_energy=True, energy_floor=1.0), dict(use_energy=True, energy_floor=1.0)),
    (dict(preemph_coeff=0.0), dict(preemph_coeff=0.0)),
    (dict(remove_dc_offset=False), dict(remove_dc_offset=False)),
    (dict(high_freq=7000.0), dict(high_freq=7000.0)),
    (dict(high_freq=0.0, low_freq=0.0), dict(high_freq=0.0, low_freq=0.0)),
    (dict(use_fft_mag=True), dict(use_power=False)),
    (dict(frame_length=0.0250625, frame_shift=0.0100625), {}),  # odd length and shift
    (dict(frame_length=0.02, round_to_power_of_two=False), dict(round_to_power_of_two=False)),
] + [
    (dict(window_type=w), dict(window_type=w))
    for w in ("hamming", "hanning", "rectangular", "blackman")
]


def _kaldi_opts(layer_opts, kaldi_opts, snip_edges, num_bins):
    opts = dict(num_bins=num_bins, low_freq=20.0, high_freq=-400.0, snip_edges=snip_edges)
    for key in ("frame_length", "frame_shift"):
        if key in layer_opts:
            opts[key] = layer_opts[key]
    opts.update(kaldi_opts)
    return opts


@pytest.mark.parametrize("case", range(len(OPTION_CASES)))
@pytest.mark.parametrize("snip_edges", [False, True])
@pytest.mark.parametrize("rel", SHORT_FILES)
def test_fbank_and_mfcc_options_parity(fixtures_dir, case, snip_edges, rel):
    layer_opts, kaldi_opts = OPTION_CASES[case]
    x = load(fixtures_dir, rel)
    opts = _kaldi_opts(layer_opts, kaldi_opts, snip_edges, 40)
    ours = run(
        Wav2LogFilterBank(
            num_filters=40, snip_edges=snip_edges, kaldi_log_floor=True, **layer_opts
        ),
        x,
    )
    fopts = {k: v for k, v in opts.items() if k not in ("use_power",)}
    reference = ref.fbank(x, use_power=opts.get("use_power", True), **fopts)
    check_parity(ours, knf_features(x, **opts), reference, 1e-3)

    if "use_fft_mag" in layer_opts:
        return  # kaldi-native-fbank's MFCC has no magnitude option
    mopts = _kaldi_opts(layer_opts, kaldi_opts, snip_edges, 23)
    mopts.setdefault("use_energy", False)
    ours = run(Wav2MFCC(snip_edges=snip_edges, kaldi_log_floor=True, **layer_opts), x)
    check_parity(ours, knf_features(x, mfcc=True, **mopts), ref.mfcc(x, **mopts), 2e-3)


@pytest.mark.parametrize("rel", SHORT_FILES)
@pytest.mark.parametrize("snip_edges", [False, True])
@pytest.mark.parametrize("window_type", ["povey", "hamming", "rectangular"])
@pytest.mark.parametrize("preemph_coeff", [0.0, 0.97])
def test_spectrogram_parity(fixtures_dir, rel, snip_edges, window_type, preemph_coeff):
    x = load(fixtures_dir, rel)
    opts = dict(snip_edges=snip_edges, window_type=window_type, preemph_coeff=preemph_coeff)
    layer = Wav2LogSpec(kaldi_log_floor=True, **opts)
    ours = run(layer, x).astype(np.float64)
    reference = ref.spectrogram(x, **opts)
    assert ours.shape == reference.shape
    # Log power of single bins: float32 FFT noise shows in the weakest bins only.
    assert np.abs(ours - reference).mean() < 1e-4
    # Bins within 50 dB of their frame's strongest bin.
    strong = reference[:, 1:] > reference[:, 1:].max(axis=1, keepdims=True) - math.log(1e5)
    assert np.abs(ours - reference)[:, 1:][strong].max() < 1e-3
    assert np.abs(ours - reference)[:, 0].max() < 1e-3  # log energy
    power = run(Wav2Spec(use_energy=False, **opts), x).astype(np.float64)
    expected = np.exp(ref.spectrogram(x, **opts))[:, 1:]
    big = expected > 1e-4
    np.testing.assert_allclose(power[:, 1:][big], expected[big], rtol=1e-3)


@pytest.mark.parametrize("n", [1, 5, 50, 150, 250, 399, 600])
@pytest.mark.parametrize("snip_edges", [False, True])
def test_short_signals_reflect_like_kaldi(n, snip_edges):
    x = np.random.default_rng(n).standard_normal(n).astype(np.float32) * 0.1
    opts = dict(num_bins=23, high_freq=-400.0, snip_edges=snip_edges)
    ours = run(Wav2LogFilterBank(num_filters=23, snip_edges=snip_edges), x)
    reference = ref.fbank(x, **opts)
    assert ours.shape == reference.shape
    if reference.size:
        assert np.abs(ours - reference).max() < 1e-3
        kaldi = knf_features(x, **opts)
        assert np.abs(ours - kaldi).max() < 1e-3


def test_float64_matches_reference_closely(fixtures_dir):
    x = load(fixtures_dir, FILES[1]).astype(np.float64)
    layer = Wav2LogFilterBank(num_filters=40).double()
    with torch.no_grad():
        out = layer(torch.from_numpy(x)[None])
    assert out.dtype == torch.float64
    reference = ref.fbank(x, num_bins=40, high_freq=-400.0, snip_edges=False)
    assert np.abs(out[0].numpy() - reference).max() < 1e-8
    mfcc = Wav2MFCC(use_energy=True, kaldi_log_floor=True).double()
    with torch.no_grad():
        out = mfcc(torch.from_numpy(x)[None])[0].numpy()
    expected = ref.mfcc(x, high_freq=-400.0, snip_edges=False, use_energy=True)
    assert np.abs(out - expected).max() < 1e-8


def test_default_log_floors_are_lhotses():
    silence = torch.zeros(1, 3200)
    frames, log_e = Wav2Win(return_log_energy=True)(silence)
    assert torch.allclose(log_e, torch.full_like(log_e, math.log(1e-10)))
    fbank = Wav2LogFilterBank()(silence)
    assert torch.allclose(fbank, torch.full_like(fbank, math.log(ref.FLT_EPSILON)))
    spec = Wav2LogSpec(use_energy=False)(silence)
    assert torch.allclose(spec, torch.full_like(spec, math.log(1e-15)))
    kaldi = Wav2LogSpec(kaldi_log_floor=True)(silence)
    assert torch.allclose(kaldi, torch.full_like(kaldi, math.log(ref.FLT_EPSILON)))


def test_defaults_agree_with_lhotse_layers(fixtures_dir):
    layers = pytest.importorskip("lhotse.features.kaldi.layers")
    x = torch.from_numpy(load(fixtures_dir, FILES[1]))[None]
    with torch.no_grad():
        for ours, theirs in [
            (Wav2LogFilterBank(), layers.Wav2LogFilterBank()),
            (Wav2MFCC(), layers.Wav2MFCC()),
            (Wav2LogSpec(), layers.Wav2LogSpec()),
        ]:
            assert (ours(x) - theirs(x)).abs().max() < 2e-3


# ----------------------------------------------------------------------------- batches


def _make_layer(cls, snip_edges, **kw):
    if cls is Wav2Win:
        return cls(snip_edges=snip_edges, return_log_energy=True, **kw)
    return cls(snip_edges=snip_edges, **kw)


def _close(a, b, atol=1e-5):
    if isinstance(a, tuple):
        return all(_close(p, q, atol) for p, q in zip(a, b))
    if a.is_complex():
        return torch.allclose(a, b, atol=atol, rtol=1e-5)
    return a.shape == b.shape and torch.allclose(a, b, atol=atol, rtol=1e-5)


def _frames_of(out, n):
    if isinstance(out, tuple):
        return tuple(o[:, :n] for o in out)
    return out[:, :n]


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("snip_edges", [False, True])
@pytest.mark.parametrize("packed", [False, True])
def test_batch_equals_single(fixtures_dir, cls, snip_edges, packed):
    speech = torch.from_numpy(load(fixtures_dir, FILES[3]))
    lengths = [19665, 3000, 401, 399, 17, 0, 12345]
    batch = torch.zeros(len(lengths), max(lengths) + 37)
    for i, n in enumerate(lengths):
        batch[i, :n] = speech[i * 100 : i * 100 + n]
    layer = _make_layer(cls, snip_edges)
    if packed and cls is not Wav2Win:
        layer._pack_on_cpu = True  # the path other devices take
    with torch.no_grad():
        out = layer(batch, torch.tensor(lengths))
        counts = layer.num_frames(torch.tensor(lengths)).tolist()
        for i, n in enumerate(lengths):
            alone = layer(batch[i : i + 1, :n])
            assert _close(
                _frames_of(
                    tuple(o[i : i + 1] for o in out) if isinstance(out, tuple) else out[i : i + 1],
                    counts[i],
                ),
                alone,
            )
            rest = out[0][i, counts[i] :] if isinstance(out, tuple) else out[i, counts[i] :]
            assert not rest.any()


# --------------------------------------------------------------------------- streaming


def _stream(layer, x, chunks):
    outs = []
    ctx = None
    pos = 0
    max_tail = 0
    for size in chunks:
        piece = x[:, pos : pos + size]
        pos += piece.size(1)
        out, ctx = layer.online_inference(piece, ctx)
        assert isinstance(ctx, torch.Tensor)  # lhotse's remainder type
        max_tail = max(max_tail, ctx.size(-1))
        outs.append(out)
    out, ctx = layer.online_inference(x[:, pos:], ctx, flush=True)
    outs.append(out)
    assert ctx.shape == (x.size(0), 1, 0)  # a fresh stream
    length = layer._length if isinstance(layer, Wav2Win) else layer.wav2win._length
    assert max_tail <= length  # bounded state
    if isinstance(outs[0], tuple):
        frames = torch.cat([o[0] for o in outs], dim=1)
        log_e = torch.cat([o[1] for o in outs], dim=1)
        return frames, log_e
    return torch.cat(outs, dim=1)


def _close_stream(a, b):
    if isinstance(a, tuple):
        return all(_close_stream(p, q) for p, q in zip(a, b))
    if a.shape != b.shape:
        return False
    return bool(((a - b).abs() <= 1e-4 * (1 + b.abs())).all())


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("snip_edges", [False, True])
def test_streaming_one_sample_chunks(cls, snip_edges):
    x = torch.randn(2, 1234) * 0.1
    layer = _make_layer(cls, snip_edges)
    with torch.no_grad():
        whole = layer(x)
        streamed = _stream(layer, x, [1] * x.size(1))
    assert _close_stream(streamed, whole)


@settings(max_examples=25, deadline=None)
@given(
    cls_index=st.integers(0, len(LAYERS) - 1),
    snip_edges=st.booleans(),
    n=st.integers(0, 2500),
    chunks=st.lists(st.integers(0, 700), max_size=12),
)
def test_streaming_any_chunking_equals_forward(cls_index, snip_edges, n, chunks):
    torch.manual_seed(n)
    x = torch.randn(1, n) * 0.1
    layer = _make_layer(LAYERS[cls_index], snip_edges, frame_shift=0.0100625)
    with torch.no_grad():
        assert _close_stream(_stream(layer, x, chunks), layer(x))


# ---------------------------------------------------------------- scripting, autograd


@pytest.mark.parametrize("cls", LAYERS)
def test_torchscript(cls):
    layer = _make_layer(cls, False)
    scripted = torch.jit.script(layer)
    x = torch.randn(3, 4000)
    lengths = torch.tensor([4000, 2500, 100])
    with torch.no_grad():
        assert _close(scripted(x), layer(x), atol=1e-6)
        assert _close(scripted(x, lengths), layer(x, lengths), atol=1e-6)
        a, ctx = scripted.online_inference(x[:, :1500])
        assert isinstance(ctx, torch.Tensor)
        b, _ = scripted.online_inference(x[:, 1500:], ctx, True)
        streamed = (
            (torch.cat([a[0], b[0]], 1), torch.cat([a[1], b[1]], 1))
            if isinstance(a, tuple)
            else torch.cat([a, b], 1)
        )
        assert _close_stream(streamed, layer(x))


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize(
    "kw", [{}, {"use_fft_mag": True}, {"preemph_coeff": 0.0, "remove_dc_offset": False}]
)
def test_gradients_reach_the_input(cls, kw):
    if "use_fft_mag" in kw and cls in (Wav2Win, Wav2FFT):
        pytest.skip("no magnitude option")
    x = (torch.randn(2, 3000) * 0.1).requires_grad_()
    out = _make_layer(cls, False, **kw)(x, torch.tensor([3000, 1700]))
    if isinstance(out, tuple):
        out = out[0].sum() + out[1].sum()
    elif out.is_complex():
        out = torch.view_as_real(out).sum()
    else:
        out = out.sum()
    out.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    # Gradients do not change the values: same numbers as the no-grad fast path.


@pytest.mark.parametrize("cls", LAYERS)
def test_grad_path_equals_fast_path(cls):
    x = torch.randn(1, 5000)
    layer = _make_layer(cls, False)
    with torch.no_grad():
        fast = layer(x)
    slow = layer(x.clone().requires_grad_())
    slow = tuple(s.detach() for s in slow) if isinstance(slow, tuple) else slow.detach()
    assert _close(fast, slow, atol=1e-5)


@pytest.mark.parametrize("cls", LAYERS)
def test_dtype_and_device(cls):
    layer = _make_layer(cls, False).to("cpu").double()
    x = torch.randn(2, 3000, dtype=torch.float64)
    out = layer(x)
    first = out[0] if isinstance(out, tuple) else out
    assert first.dtype in (torch.float64, torch.complex128)
    if torch.cuda.is_available():
        gpu = _make_layer(cls, False).to("cuda")
        got = gpu(x.float().cuda())
        want = _make_layer(cls, False)(x.float())
        got = got[0] if isinstance(got, tuple) else got
        want = want[0] if isinstance(want, tuple) else want
        assert torch.allclose(got.cpu(), want, atol=1e-3, rtol=1e-3)


def test_state_dict_keys_match_lhotse():
    layers = pytest.importorskip("lhotse.features.kaldi.layers")
    for ours, theirs in [
        (Wav2LogFilterBank(), layers.Wav2LogFilterBank()),
        (Wav2MFCC(), layers.Wav2MFCC()),
        (Wav2Spec(), layers.Wav2Spec()),
    ]:
        mine, other = ours.state_dict(), theirs.state_dict()
        assert set(mine) == set(other)
        for key in mine:
            assert mine[key].shape == other[key].shape
        ours.load_state_dict(other)


def test_dither_changes_output_only_when_enabled():
    x = torch.randn(1, 4000)
    assert torch.equal(Wav2LogFilterBank()(x), Wav2LogFilterBank()(x))
    noisy = Wav2LogFilterBank(dither=1e-3)
    assert not torch.equal(noisy(x), noisy(x))


@pytest.mark.parametrize("cls", [Wav2LogFilterBank, Wav2MFCC, Wav2FFT])
def test_long_batch_equals_single(fixtures_dir, cls):
    speech = torch.from_numpy(load(fixtures_dir, FILES[0]))
    lengths = [len(speech), 100003, 160000 - 7]
    batch = torch.zeros(3, len(speech))
    for i, n in enumerate(lengths):
        batch[i, :n] = speech[-n:]
    layer = cls()
    with torch.no_grad():
        out = layer(batch, torch.tensor(lengths))
        layer._pack_on_cpu = True
        packed = layer(batch, torch.tensor(lengths))
        for i, n in enumerate(lengths):
            alone = layer(batch[i : i + 1, :n])
            assert torch.equal(out[i : i + 1, : alone.size(1)], alone)
            assert torch.equal(packed[i : i + 1, : alone.size(1)], alone)


@pytest.mark.parametrize("block", [1, 2, 3, 7])
@pytest.mark.parametrize("snip_edges", [False, True])
def test_tiny_blocks_give_the_same_frames(block, snip_edges):
    # Blocks that start or end inside a row's reflected edge, or span rows.
    x = torch.randn(4, 2000) * 0.1
    lengths = torch.tensor([2000, 577, 401, 1300])
    layer = Wav2MFCC(snip_edges=snip_edges)
    layer._pack_on_cpu = True
    with torch.no_grad():
        want = layer(x, lengths)
        single = layer(x[:1])
        layer._block_frames = block
        assert torch.allclose(layer(x, lengths), want, atol=1e-4)
        assert torch.allclose(layer(x[:1]), single, atol=1e-4)


# ------------------------------------------------------------------ reused buffers


def test_reused_frames_buffer_gives_the_same_features():
    # The spectral layers keep their frames buffer between calls (CPU, no
    # autograd); every call must still equal a fresh layer's, in and out of
    # inference mode, across sizes and dtypes.  Equal within float32 rounding,
    # not bit for bit: a fresh buffer may sit at another alignment, and BLAS
    # (and MKL's thread count on a busy machine) may then round differently;
    # a buffer-reuse bug would show as gross differences.
    import copy
    import io
    import pickle

    def close(a, b):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)

    x = torch.randn(2, 9000, generator=torch.Generator().manual_seed(0)) * 0.1
    # float32 vs float64: the log spectrum's bins far below the frame's peak
    # differ most (documented); over 40 random inputs the worst was 1.3e-3.
    tolerance = {Wav2LogSpec: 5e-3}
    for cls in (Wav2LogFilterBank, Wav2MFCC, Wav2LogSpec, Wav2Spec):
        layer = cls()
        with torch.inference_mode():
            big = layer(x)
        with torch.no_grad():
            small = layer(x[:1, :3000])
            again = layer(x)
            double = layer(x.double())
        close(big, cls()(x))
        close(again, big)
        close(small, cls()(x[:1, :3000]))
        assert torch.allclose(double.float(), big, atol=tolerance.get(cls, 1e-3))
        # The buffer never travels with copies, pickles or scripted modules.
        assert copy.deepcopy(layer)._workspace._items == []
        assert pickle.loads(pickle.dumps(layer))._workspace._items == []
        buffer = io.BytesIO()
        torch.jit.save(torch.jit.script(layer), buffer)
        buffer.seek(0)
        close(torch.jit.load(buffer)(x), big)


def test_reused_frames_buffer_is_not_shared_between_threads():
    from concurrent.futures import ThreadPoolExecutor

    layer = Wav2MFCC()
    xs = [torch.randn(1, 16000 + 997 * i) * 0.1 for i in range(8)]
    with torch.no_grad():
        want = [Wav2MFCC()(x) for x in xs]
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(layer, xs * 4))
    for i, out in enumerate(got):
        assert torch.equal(out, want[i % len(xs)])


# ------------------------------------------------------------------ the short path


SHORT_PATH_CASES = [
    {},
    {"snip_edges": True},
    {"window_type": "hamming"},  # non-zero first window sample
    {"use_energy": True},
    {"use_energy": True, "raw_energy": False, "kaldi_log_floor": True},
    {"use_fft_mag": True},
    {"preemph_coeff": 0.0, "remove_dc_offset": False},
    {"num_filters": 40},  # three mel blocks, the last half filled
    {"num_filters": 23, "torchaudio_compatible_mel_scale": False, "norm_filters": True},
    {"round_to_power_of_two": False},  # frames without zero padding
]


@pytest.mark.parametrize("cls", [Wav2LogFilterBank, Wav2MFCC])
@pytest.mark.parametrize("kw", SHORT_PATH_CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_short_path_is_bit_identical_to_the_general_path(fixtures_dir, monkeypatch, cls, kw, dtype):
    # One CPU row without autograd takes nuptse.features.kaldi.fastpath; it
    # must give exactly the general path's bits, alone and in a batch.
    from nuptse.features.kaldi import fastpath

    speech = torch.from_numpy(load(fixtures_dir, FILES[3])).to(dtype)
    layer = cls(**kw).to(dtype)
    rows = [speech[:n] for n in (len(speech), 48000, 2731, 1000)]
    batch = torch.zeros(len(rows), len(speech), dtype=dtype)
    for i, r in enumerate(rows):
        batch[i, : len(r)] = r
    lengths = torch.tensor([len(r) for r in rows])
    with torch.inference_mode():
        short = [layer(r[None]) for r in rows]
        short_batch = layer(batch, lengths)
    assert layer._fast._items  # the short path ran (and kept its buffers)
    monkeypatch.setattr(fastpath, "MIN_FRAMES", 1 << 40)  # general path only
    with torch.no_grad():
        general = [cls(**kw).to(dtype)(r[None]) for r in rows]
        general_batch = cls(**kw).to(dtype)(batch, lengths)
    for a, b in zip(short, general):
        assert a.dtype == dtype and torch.equal(a, b)
    assert torch.equal(short_batch, general_batch)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"frame_length": 0.05},  # two frames start before sample 0
        {"frame_length": 0.0251, "frame_shift": 0.0097},  # odd length and shift
        {"frame_length": 0.01, "frame_shift": 0.01},  # no reflected start
        {"remove_dc_offset": False},
        {"use_energy": True, "raw_energy": False},
    ],
)
def test_short_path_reads_the_signal_ends_as_the_general_path(monkeypatch, kw):
    # Without the reflected signal, the short path pre-emphasises and sums
    # frames from the input, and only the end frames from reflected copies;
    # every length modulo the shift must still give the general path's bits.
    from nuptse.features.kaldi import fastpath

    x = torch.randn(1, 4000) * 0.1
    lengths = [3999, 4000] + list(range(2600, 2600 + 170, 3))
    with torch.inference_mode():
        layers = [Wav2MFCC(**kw), Wav2LogFilterBank(**kw)]
        short = [[layer(x[:, :n]) for n in lengths] for layer in layers]
    monkeypatch.setattr(fastpath, "MIN_FRAMES", 1 << 40)  # general path only
    with torch.no_grad():
        for layer, outs in zip(layers, short):
            for n, out in zip(lengths, outs):
                assert torch.equal(out, layer(x[:, :n])), n


def test_short_path_shapes_in_and_out_of_inference_mode(monkeypatch):
    # Repeated and new lengths (some with the same frame count), in and out
    # of inference mode, all give the general path's bits.
    from nuptse.features.kaldi import fastpath

    x = torch.randn(1, 9000) * 0.1
    lengths = [9000, 8999, 8000, 9000, 7001, 6500, 5003, 9000, 8000]
    layer = Wav2MFCC()
    with torch.inference_mode():
        inside = [layer(x[:, :n]) for n in lengths]
    outside = [layer(x[:, :n]) for n in lengths]
    monkeypatch.setattr(fastpath, "MIN_FRAMES", 1 << 40)  # general path only
    with torch.no_grad():
        for n, a, b in zip(lengths, inside, outside):
            general = Wav2MFCC()(x[:, :n])
            assert torch.equal(a, general) and torch.equal(b, general), n


def test_short_path_buffers_give_repeatable_results():
    # The kept buffers start zero-filled: a second layer gives the same bits.
    x = torch.randn(1, 40000) * 0.1
    with torch.no_grad():
        assert torch.equal(Wav2MFCC()(x), Wav2MFCC()(x))


def test_mfcc_blocks_keep_their_padding():
    # Each mel block of an MFCC layer keeps its zero-padded columns, and the
    # cepstrum matrix has a zero row for each of them.
    layer = Wav2MFCC()
    width = layer._fb_blocks.size(1)
    assert len(layer._blocks) == 2 and layer._cep.shape == (2 * width, 13)
    cep = (layer._dct * layer._lifter).float()
    for i, (_at, _r0, _r1, c0, count) in enumerate(layer._blocks):
        block = layer._cep_f32[i * width : (i + 1) * width]
        assert torch.equal(block[:count], cep[c0 : c0 + count])
        assert not block[count:].any()


def test_short_path_follows_dtype_and_state_changes():
    x = torch.randn(1, 8000) * 0.1
    layer = Wav2MFCC()
    with torch.no_grad():
        layer(x)  # builds the float32 plan
        assert torch.equal(layer.double()(x.double()), Wav2MFCC().double()(x.double()))
        # (.float() after .double() would round the float64 tables: start afresh.)
        layer = Wav2MFCC()
        layer(x)
        other = Wav2MFCC(window_type="hamming", cepstral_lifter=0)
        layer.load_state_dict(other.state_dict())
        assert torch.equal(layer(x), other(x))
        fb = Wav2LogFilterBank()
        fb(x)
        state = fb.state_dict()
        state["_fb"] = state["_fb"] * 2.0
        fb.load_state_dict(state)
        assert torch.allclose(fb(x), Wav2LogFilterBank()(x) + math.log(2.0), atol=1e-5)


def test_short_path_state_is_not_copied():
    import copy
    import pickle

    layer = Wav2LogFilterBank()
    with torch.no_grad():
        layer(torch.randn(1, 8000))
    assert layer._fast.plans and layer._fast._items
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        assert not clone._fast.plans and not clone._fast._items


def test_short_path_built_in_inference_mode_works_outside():
    x = torch.randn(1, 8000) * 0.1
    layer = Wav2LogFilterBank()
    with torch.inference_mode():
        first = layer(x)
    again = layer(x)  # grad mode on, input without grad: the same short path
    assert not again.is_inference() and torch.equal(first, again)
    y = x.clone().requires_grad_()
    out = layer(y)  # autograd: the general path
    out.sum().backward()
    assert y.grad is not None and torch.allclose(out.detach(), first, atol=1e-5)
