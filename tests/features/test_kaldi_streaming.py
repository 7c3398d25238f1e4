"""Streaming Kaldi frames: lhotse's remainder-tensor protocol, flushes, TorchScript callers."""

from __future__ import annotations

import math
from typing import Optional

import numpy as np
import pytest
import torch

from nuptse.features.kaldi.layers import (
    Wav2FFT,
    Wav2LogFilterBank,
    Wav2LogSpec,
    Wav2MFCC,
    Wav2Spec,
    Wav2Win,
    _get_strided_batch,
    _get_strided_batch_streaming,
)

SPECTRAL = [Wav2FFT, Wav2Spec, Wav2LogSpec, Wav2LogFilterBank, Wav2MFCC]


def _numpy_frames(x: np.ndarray, length: int, shift: int, snip_edges: bool) -> np.ndarray:
    """Kaldi framing written independently with numpy ('symmetric' padding is Kaldi's reflection)."""
    n = x.shape[-1]
    if snip_edges:
        count = 0 if n < length else 1 + (n - length) // shift
        offset = 0
    else:
        count = (n + shift // 2) // shift
        offset = length // 2 - shift // 2
    pad = length + shift
    padded = np.pad(x, ((0, 0), (pad, pad)), mode="symmetric")
    rows = [
        padded[:, pad + m * shift - offset : pad + m * shift - offset + length]
        for m in range(count)
    ]
    return np.stack(rows, axis=1) if rows else np.zeros((x.shape[0], 0, length))


@pytest.mark.parametrize("snip_edges", [False, True])
@pytest.mark.parametrize("n", [400, 401, 1000, 16000])
def test_strided_batch_matches_numpy(snip_edges, n):
    x = torch.randn(2, n, dtype=torch.float64)
    got = _get_strided_batch(x, 400, 160, snip_edges)
    want = _numpy_frames(x.numpy(), 400, 160, snip_edges)
    np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("snip_edges", [False, True])
@pytest.mark.parametrize("chunk", [1, 37, 160, 1200])
def test_strided_batch_streaming_with_flush_equals_offline(snip_edges, chunk):
    x = torch.randn(1, 3333, dtype=torch.float64)
    frames, rem = [], None
    for i in range(0, x.size(1), chunk):
        f, rem = _get_strided_batch_streaming(
            x[:, i : i + chunk], 160, 400, prev_remainder=rem, snip_edges=snip_edges
        )
        assert isinstance(rem, torch.Tensor) and rem.size(-1) < 400
        frames.append(f)
    f, rem = _get_strided_batch_streaming(x[:, :0], 160, 400, rem, snip_edges, flush=True)
    frames.append(f)
    assert rem.shape == (1, 1, 0)
    want = _numpy_frames(x.numpy(), 400, 160, snip_edges)
    np.testing.assert_array_equal(torch.cat(frames, 1).numpy(), want)


def test_reversed_tail_as_last_chunk_gives_the_end_frames():
    # The way lhotse's users end a stream: feed the last ``shift`` samples reversed.
    x = torch.randn(1, 16000)
    for cls in SPECTRAL:
        layer = cls()
        outs, rem = [], None
        for i in range(0, 16000, 1200):
            out, rem = layer.online_inference(x[:, i : i + 1200], context=rem)
            outs.append(out)
        out, rem = layer.online_inference(torch.flip(x[:, -160:], dims=(1,)), context=rem)
        outs.append(out)
        assert torch.equal(torch.cat(outs, 1), layer(x))


def test_remainder_equals_lhotses():
    layers = pytest.importorskip("lhotse.features.kaldi.layers")
    x = torch.randn(2, 5000)
    ours, theirs = Wav2LogFilterBank(), layers.Wav2LogFilterBank()
    rem_a = rem_b = None
    for i in range(0, 5000, 1200):
        feats_a, rem_a = ours.online_inference(x[:, i : i + 1200], rem_a)
        feats_b, rem_b = theirs.online_inference(x[:, i : i + 1200], rem_b)
        assert torch.equal(rem_a, rem_b)
        assert feats_a.shape == feats_b.shape
        assert torch.allclose(feats_a, feats_b, atol=2e-3)


def test_short_first_chunks_wait_for_the_left_reflection():
    x = torch.randn(1, 2000)
    layer = Wav2LogFilterBank()
    (a, rem) = layer.online_inference(x[:, :50])
    assert a.shape == (1, 0, 80) and rem.shape == (1, 1, 50)  # not framed yet
    b, rem = layer.online_inference(x[:, 50:100], rem)
    assert rem.shape == (1, 1, 100)
    c, rem = layer.online_inference(x[:, 100:], rem, flush=True)
    assert torch.equal(torch.cat([a, b, c], 1), layer(x))


@pytest.mark.parametrize("n", [0, 1, 80, 119, 121, 300])
def test_flush_of_very_short_streams_equals_forward(n):
    x = torch.randn(1, n)
    layer = Wav2MFCC()
    with torch.no_grad():
        out, rem = layer.online_inference(x, None, True)
        assert torch.allclose(out, layer(x), atol=1e-5)
    assert rem.shape == (1, 1, 0)


def test_bad_remainder_names_its_shape():
    with pytest.raises(ValueError, match=r"\[3, 5\]"):
        Wav2Spec().online_inference(torch.randn(2, 100), torch.randn(3, 5))


class _Caller(torch.nn.Module):
    """A TorchScript caller typed as lhotse's reference types ``online_inference``."""

    def __init__(self, layer: torch.nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(
        self, x: torch.Tensor, context: Optional[torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.layer.online_inference(x, context)


class _WinCaller(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer = Wav2Win()

    def forward(
        self, x: torch.Tensor, context: Optional[torch.Tensor]
    ) -> tuple[tuple[torch.Tensor, Optional[torch.Tensor]], torch.Tensor]:
        return self.layer.online_inference(x, context)


@pytest.mark.parametrize("cls", SPECTRAL)
def test_scripted_callers_with_reference_types(cls):
    layer = cls()
    caller = torch.jit.script(_Caller(layer))
    x = torch.randn(1, 4000)
    outs, rem = [], None
    for i in range(0, 4000, 700):
        out, rem = caller(x[:, i : i + 700], rem)
        assert isinstance(rem, torch.Tensor)
        outs.append(out)
    out, rem = torch.jit.script(layer).online_inference(x[:, :0], rem, True)
    outs.append(out)
    assert torch.equal(torch.cat(outs, 1), layer(x))


def test_scripted_wav2win_caller():
    caller = torch.jit.script(_WinCaller())
    x = torch.randn(1, 1600)
    (a, energy), rem = caller(x[:, :1000], None)
    assert energy is None and isinstance(rem, torch.Tensor)
    (b, _), rem = caller(x[:, 1000:], rem)
    frames, _ = Wav2Win()(x)
    complete = a.size(1) + b.size(1)
    assert complete == math.floor((1600 + 120 - 400) / 160) + 1
    assert torch.equal(torch.cat([a, b], 1), frames[:, :complete])
