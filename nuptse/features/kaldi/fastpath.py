"""The short path of the log-mel and MFCC layers: one utterance, CPU, no autograd.

:meth:`Wav2FFT._run` computes any layer on any input through general steps
(reflection, framing, per-block features) that cost about 45 small torch
calls per utterance.  For the common call, one row of float32 or float64
on the CPU without autograd, in one block of frames, :func:`run_fast` does
the same arithmetic, operation for operation (so the results are
bit-identical), with the fixed parts prepared once per layer and dtype
(:class:`~nuptse.features.kaldi.scratch._Plan`) and every intermediate written into buffers the layer
keeps between calls (:class:`~nuptse.features.kaldi.scratch._Buffers`):

* with pre-emphasis and without a per-frame first-sample fix or raw
  energy (the defaults), the reflected signal is never built: pre-emphasis
  (``e[0] = s[0]``, ``e[j] = s[j] - c * s[j-1]``) and the frame sums for
  the DC offset read the input in place, and only the few frames at the
  ends read small reflected copies (:func:`_direct`);
* otherwise the reflected signal goes into a buffer that starts with a
  zero sample, so that pre-emphasis is one subtraction;
* the frames buffer keeps its zero padding (only the frame bodies and the
  power spectrum, which is narrower than a frame, are ever written into it);
* the previous call's FFT output is freed just before the next FFT, so that
  its already mapped memory is reused (fresh multi-MiB outputs cost page
  faults);
* each mel block's product writes straight into its columns of the output
  (through the views of :class:`~nuptse.features.kaldi.scratch._Views`).

CPU batches with ``lengths`` run each row this way, straight into its part
of the output.  Anything else (other dtypes or devices, autograd, several
rows without ``lengths``, fewer than 16 or more than one block of frames,
TorchScript) takes the general path, whose frames buffer is kept in a
:class:`~nuptse.features.kaldi.scratch.Workspace`.
"""

from __future__ import annotations

from typing import Optional

import torch

from nuptse.features.kaldi.framing import _log_energy, _preemphasize_into
from nuptse.features.kaldi.scratch import FastState, _Buffers, _Plan, _Views, views_for
from nuptse.timing import kaldi_num_frames

__all__ = ["MIN_FRAMES", "plan_for", "rows_fast", "run_fast"]

#: Smallest frame count for the short path: :func:`framing._matmul` pads
#: smaller products so that a frame's bits do not depend on the row count.
MIN_FRAMES = 16


def _build_plan(layer, dtype: torch.dtype) -> _Plan:
    """The short-path plan of a log-mel or MFCC layer (``usable`` False where it does not apply)."""
    win = layer.wav2win
    f32 = dtype == torch.float32
    plan = _Plan()
    plan.usable = False
    plan.dtype = dtype
    plan.length, plan.shift, plan.offset = win._length, win._shift, win._offset
    plan.snip_edges = win.snip_edges
    plan.dither = win.dither != 0.0
    plan.pad = win.pad_length
    plan.bins = layer.fft_length // 2 + 1
    if plan.pad != layer.fft_length or plan.bins > plan.length:
        return plan  # the power spectrum must fit in the frame bodies
    if plan.offset < 0:
        return plan  # a shift longer than the frame: frames skip samples, general path
    plan.window = (win._window_f32 if f32 else win._window).contiguous()
    plan.window_first = win._window_first
    plan.c = win.preemph_coeff
    plan.first_fix = plan.c != 0.0 and plan.window_first != 0.0
    plan.remove_dc = win.remove_dc_offset
    plan.need_energy = layer.use_energy
    plan.raw_energy = win.raw_energy
    plan.energy_floor = win.energy_floor
    plan.kaldi_log_floor = win.kaldi_log_floor
    plan.use_fft_mag = layer.use_fft_mag
    # Without a per-frame first-sample fix or a raw energy, frames do not
    # need the reflected signal itself: pre-emphasis and frame sums read the
    # input directly, and only the frames at the ends read small reflected
    # copies (see _direct).
    plan.direct = (
        not plan.snip_edges
        and plan.c != 0.0
        and not plan.first_fix
        and not (plan.need_energy and plan.raw_energy)
    )
    # Frames that start before sample 0, and the input samples they read
    # (positions -offset ... of the reflected signal).
    plan.edge_frames = (plan.offset + plan.shift - 1) // plan.shift
    edge_len = plan.offset + 1
    if plan.edge_frames > 0:
        edge_len = max(edge_len, (plan.edge_frames - 1) * plan.shift + plan.length)
    pos = torch.arange(-plan.offset, edge_len - plan.offset)
    plan.scale = (1.0 - plan.c) / plan.length  # as Wav2Win._process
    with torch.inference_mode(False):  # usable in and out of inference mode
        # Positions -1, -2, ... of the signal are samples 0, 1, ... (Kaldi's reflection).
        plan.left_index = torch.arange(plan.offset - 1, -1, -1)
        plan.edge_index = torch.where(pos < 0, -1 - pos, pos)
        # Scalars as 0-d tensors of the dtype: Python numbers are converted on every op.
        plan.length_t = torch.tensor(float(plan.length), dtype=dtype)
    weights = layer._fb_blocks_f32 if f32 else layer._fb_blocks
    mfcc = getattr(layer, "_cep", None) is not None
    # MFCC keeps the blocks' zero-padded columns (its cepstrum matrix has
    # matching zero rows), as Wav2MFCC._features does.
    keep_padding = mfcc
    padded = weights.size(1)  # every block's product has this many columns
    widths = [padded if keep_padding else count for (*_, count) in layer._blocks]
    plan.mel_width = sum(widths)
    if mfcc:
        plan.cep = layer._cep_f32 if f32 else layer._cep
        plan.mel_col0 = 0
        plan.out_cols = plan.cep.size(1)
        row = plan.mel_width  # the mel buffer's row length
    else:
        plan.cep = None
        plan.mel_col0 = 1 if plan.need_energy else 0
        plan.out_cols = plan.mel_col0 + plan.mel_width
        row = plan.out_cols
    size = torch.empty(0, dtype=dtype).element_size()
    blocks = []
    col = 0
    for (at, r0, r1, _c0, _count), width in zip(layer._blocks, widths):
        # BLAS may round differently for other alignments of the result, so
        # a block's product goes straight into the output only where its
        # rows are laid out as in a fresh (T, width) tensor or start on 64
        # bytes, as a fresh tensor's do; otherwise it goes via a fresh one.
        at_col = plan.mel_col0 + col
        aligned = row == padded or (row * size % 64 == 0 and at_col * size % 64 == 0)
        direct = padded == width and aligned
        blocks.append((r0, r1 - r0, col, width, weights.narrow(0, at, r1 - r0), direct))
        col += width
    plan.blocks = blocks
    plan.bin_lo = min(b[0] for b in blocks)
    plan.bin_hi = max(b[0] + b[1] for b in blocks)
    plan.usable = True
    return plan


def plan_for(layer, dtype: torch.dtype) -> Optional[_Plan]:
    """The layer's short-path plan for ``dtype`` (built on first use), or None where it does not apply."""
    state: FastState = layer._fast
    plan = state.plans.get(dtype)
    if plan is None:
        if dtype != torch.float32 and dtype != torch.float64:
            return None
        plan = _build_plan(layer, dtype)
        state.plans[dtype] = plan
    return plan if plan.usable else None


def run_fast(
    layer, x: torch.Tensor, num_frames: int = -1, dest: Optional[torch.Tensor] = None
) -> Optional[torch.Tensor]:
    """Features of ``x`` (1, n) as ``layer._run`` computes them, or None where the short path does not apply.

    ``num_frames`` < 0 means all of the signal's frames (``forward`` without
    lengths; the layer must not dither).  With ``dest`` (num_frames,
    features), a view of a larger output, the features are written there
    (and ``dest`` is returned).
    """
    shape = x.shape
    if (
        len(shape) != 2
        or shape[0] != 1
        or not x.is_cpu
        or (x.requires_grad and torch.is_grad_enabled())
    ):
        return None
    plan = plan_for(layer, x.dtype)
    if plan is None:
        return None
    if num_frames < 0:
        if plan.dither:
            return None
        num_frames = kaldi_num_frames(shape[1], plan.length, plan.shift, plan.snip_edges)
    if num_frames < MIN_FRAMES or num_frames > layer._block_frames:
        return None
    state: FastState = layer._fast
    bufs = state.take(plan, num_frames)
    try:
        if dest is not None and dest.data_ptr() % 64 != 0:
            # Products land in ``dest`` only where it is laid out as a fresh
            # (64-byte aligned) tensor, so that BLAS rounds the same way.
            dest.copy_(_compute(plan, bufs, x, shape[1], num_frames, None)[0])
            return dest
        return _compute(plan, bufs, x, shape[1], num_frames, dest)
    finally:
        state.give(bufs)


def rows_fast(
    layer, x: torch.Tensor, lens: list[int], counts: list[int], out_frames: int
) -> Optional[torch.Tensor]:
    """Rows of a CPU batch, each written straight into its part of the output, or None.

    ``lens``/``counts`` are each row's samples and frames, ``out_frames``
    the output's frame count; rows the short path does not take go through
    ``layer._run``.  Frames past a row's own count are zero.
    """
    if torch.is_grad_enabled() and x.requires_grad:
        return None
    plan = plan_for(layer, x.dtype)
    if plan is None:
        return None
    out = x.new_empty((x.size(0), out_frames, plan.out_cols))
    for b in range(x.size(0)):
        row = out[b]
        count = counts[b]
        if count > 0:
            signal = x.narrow(0, b, 1).narrow(1, 0, lens[b])
            dest = row.narrow(0, 0, count)
            if run_fast(layer, signal, count, dest) is None:
                dest.copy_(layer._run(signal, -layer.wav2win._offset, count)[0])
        if count < out_frames:
            row.narrow(0, count, out_frames - count).zero_()
    return out


def _direct(plan: _Plan, bufs: _Buffers, views: _Views, x: torch.Tensor) -> None:
    """Pre-emphasis of the reflected signal and each frame's sum, without building that signal.

    Writes what the general path computes from the reflected signal ``s``:
    ``e[0] = s[0]``, ``e[p] = s[p] - c * s[p - 1]`` into ``bufs.emph`` and
    (with ``remove_dc``) each frame's sum of ``s`` into ``bufs.sums``, with
    the same operations on the same values.  The middle of the signal is
    read in place; only the frames that start before sample 0 (from
    ``bufs.edge_l``) or end after the signal's last sample (from
    ``bufs.edge_r``) read reflected copies.
    """
    c = plan.c
    x1 = x[0]
    mid = views.mid
    # positions -left, ..., of s after the zero at edge_l[0]
    torch.index_select(x1, 0, plan.edge_index, out=bufs.edge_l_in)
    torch.sub(bufs.left_cur, bufs.left_prev, alpha=c, out=bufs.emph_left)
    torch.sub(x1[1:mid], x1[: mid - 1], alpha=c, out=views.emph_mid)
    if views.right_index is not None:
        torch.index_select(x1[views.right_from :], 0, views.right_index, out=views.edge_r)
        torch.sub(views.cur_r, views.prev_r, alpha=c, out=views.emph_right)
    if plan.remove_dc:
        if plan.edge_frames > 0:
            torch.sum(bufs.left_frames, -1, True, out=bufs.left_sums)
        if views.mid_frames is not None:
            count, at = views.mid_frames
            step = x1.stride(0)
            frames = x1.as_strided(
                (count, plan.length), (plan.shift * step, step), x1.storage_offset() + at * step
            )
            torch.sum(frames, -1, True, out=views.sums_mid)
        if views.right_index is not None:
            torch.sum(views.frames_r, -1, True, out=views.sums_right)


def _compute(
    plan: _Plan,
    bufs: _Buffers,
    x: torch.Tensor,
    n: int,
    num_frames: int,
    dest: Optional[torch.Tensor],
) -> torch.Tensor:
    """The features of the signal ``x`` (1, n): Wav2Win._process, then the layer's _features.

    Written into ``dest`` (num_frames, features; 64-byte aligned) when given.
    """
    length, shift, c = plan.length, plan.shift, plan.c
    samples = (num_frames - 1) * shift + length
    views = views_for(plan, bufs, n, num_frames)
    # ---- the signal the frames read (frame m starts at sample m * shift)
    # ([:k] slicing is a little cheaper per call than narrow.)
    direct = views.direct
    if direct:
        # pre-emphasised into bufs.emph, frame sums in bufs.sums
        _direct(plan, bufs, views, x)
    elif plan.snip_edges:
        seg = x[0, :samples]
        raw = seg.unfold(0, length, shift)
    else:
        left = plan.offset
        mid = min(samples - left, n)
        right = samples - left - mid
        if left > n or right > n:
            return None  # repeated reflection: the general path does it
        seg = bufs.seg2d[:, :samples]  # (1, S)
        # Kaldi's reflection: position -1 - k is sample k, n + k is n - 1 - k.
        pieces = [torch.index_select(x, 1, plan.left_index)] if left > 0 else []
        pieces.append(x[:, :mid])
        if right > 0:
            pieces.append(x[:, n - right :].flip(1))
        torch.cat(pieces, 1, out=seg)
        raw = bufs.raw[:num_frames]  # (T, L) view
    # ---- DC offset, raw energy, pre-emphasis, window (as Wav2Win._process)
    energy: Optional[torch.Tensor] = None
    offset: Optional[torch.Tensor] = None  # subtracted times ``scale``
    scale = plan.scale  # (1 - c) / length: offset is the frame sums
    mean: Optional[torch.Tensor] = None
    if direct:
        if plan.remove_dc:
            offset = views.offset
    elif plan.remove_dc:
        if plan.need_energy and plan.raw_energy:
            var, mean = torch.var_mean(raw, dim=-1, correction=0, keepdim=True)
            energy = var.squeeze(-1) * length
            offset, scale = mean, 1.0 - c
        else:
            offset = torch.sum(raw, -1, True, out=views.offset)  # (T, 1)
            if plan.first_fix:
                mean = offset.div(plan.length_t)
    elif plan.need_energy and plan.raw_energy:
        energy = raw.square().sum(-1)
    if direct:
        frames = views.frames
    elif c != 0.0:
        if plan.snip_edges:
            _preemphasize_into(seg, bufs.emph.narrow(0, 0, samples), c, 0)
        else:
            # The sample before seg is 0, so e[0] = s[0] - c * 0 = s[0].
            torch.sub(seg, bufs.prev2d[:, :samples], alpha=c, out=bufs.emph2d[:, :samples])
        frames = views.frames
    else:
        frames = raw
    out = views.out  # (T, pad), zero padding kept
    body = views.body
    if offset is not None:
        torch.sub(frames, offset, alpha=scale, out=body)
        body.mul_(plan.window)
    else:
        torch.mul(frames, plan.window, out=body)
    if plan.first_fix:
        first = raw.select(1, 0)
        if mean is not None:
            first = first - mean.squeeze(-1)
        out.select(1, 0).copy_(first * ((1.0 - c) * plan.window_first))
    log_e: Optional[torch.Tensor] = None
    if plan.need_energy:
        if not plan.raw_energy:
            energy = out.square().sum(-1)
        log_e = _log_energy(energy, plan.energy_floor, plan.kaldi_log_floor)
    # ---- power spectrum, written over the spent frame bodies
    # The FFT's output is a fresh multi-MiB tensor (rfft's out= computes into
    # a fresh one and copies).  The previous call's spectrum is kept and
    # freed just before, so that the allocator hands the same, already
    # mapped, memory back instead of faulting in new pages (measured ~5%
    # of a call on 4-16 s utterances).
    bufs.spent = None
    spec = torch.fft.rfft(out)
    bufs.spent = spec
    # The bins no mel block reads are left out (the bins read are as in _power).
    power = views.power
    parts = torch.view_as_real(spec)[:, plan.bin_lo : plan.bin_hi]
    parts.mul_(parts)  # square_ is pow_(2), which spends a few calls on the exponent
    re, im = parts.unbind(2)
    torch.add(re, im, out=power)
    if plan.use_fft_mag:
        power.sqrt_()
    # ---- mel bank, block by block, into the output (log-mel) or a buffer (MFCC)
    if plan.cep is None:
        if dest is None:
            result = x.new_empty((1, num_frames, plan.out_cols))
            dest = result.view(num_frames, plan.out_cols)
        else:
            result = dest
        mel = dest if plan.mel_width == plan.out_cols else dest[:, plan.mel_col0 :]
        for src, (_r0, _rows, col, width, w, direct) in zip(views.src, plan.blocks):
            if direct:
                torch.mm(src, w, out=mel[:, col : col + width])
            else:
                prod = torch.mm(src, w)
                mel[:, col : col + width].copy_(prod[:, :width])
        mel.clamp_min_(1.1920928955078125e-07).log_()  # FLT_EPSILON
        if log_e is not None:
            dest.select(1, 0).copy_(log_e)
        return result
    mel = views.mel
    if len(plan.blocks) == 1 and plan.blocks[0][5]:
        torch.mm(views.src[0], plan.blocks[0][4], out=mel)
    else:
        for src, dst, block in zip(views.src, views.dst, plan.blocks):
            if block[5]:
                torch.mm(src, block[4], out=dst)
            else:
                dst.copy_(torch.mm(src, block[4])[:, : block[3]])
    mel.clamp_min_(1.1920928955078125e-07).log_()  # FLT_EPSILON
    if dest is None:
        result = torch.mm(mel, plan.cep).unsqueeze(0)
        if log_e is not None:
            result[0].select(1, 0).copy_(log_e)
        return result
    torch.mm(mel, plan.cep, out=dest)
    if log_e is not None:
        dest.select(1, 0).copy_(log_e)
    return dest
