"""Kaldi's frame extraction as a layer: :class:`Wav2Win` and the helpers it shares.

Framing, reflection at the ends, batching with ``lengths`` and streaming
live here; :mod:`nuptse.features.kaldi.layers` builds the spectral layers on
top (and documents the behaviour of all of them).
"""

from __future__ import annotations

import math
from typing import Optional

import torch
from torch import nn

from nuptse.features.kaldi.dsp import frame_window
from nuptse.features.kaldi.reflect import _reflect_segment
from nuptse.features.kaldi.streaming import stream_step
from nuptse.timing import compute_num_samples, kaldi_num_frames


def _log_energy(energy: torch.Tensor, energy_floor: float, kaldi_log_floor: bool) -> torch.Tensor:
    if kaldi_log_floor:
        log_e = energy.clamp_min(1.1920928955078125e-07).log()  # FLT_EPSILON
    else:
        log_e = (energy + 1e-15).log()  # lhotse's additive epsilon
    if energy_floor > 0.0:
        log_e = log_e.clamp_min(math.log(energy_floor))
    return log_e


def _matmul(a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``a @ w`` whose rows do not depend on how many rows there are.

    BLAS switches kernels for very few rows, which changes the rounding; a
    frame must give the same bits alone, in a batch or in a stream, so small
    products are padded to 16 rows.
    """
    rows = a.numel() // max(1, a.size(-1))
    if rows >= 16:
        return torch.matmul(a, w)
    flat = a.reshape(rows, a.size(-1))
    flat = torch.cat([flat, flat.new_zeros((16 - rows, a.size(-1)))], dim=0)
    out = torch.matmul(flat, w)[:rows]
    shape: list[int] = list(a.shape[:-1]) + [w.size(-1)]
    return out.reshape(shape)


def _replace_first(feats: torch.Tensor, first: torch.Tensor) -> torch.Tensor:
    """``feats`` (B, T, D) with column 0 replaced by ``first`` (B, T)."""
    if torch.is_grad_enabled() and feats.requires_grad:
        # Out of place: the op that made ``feats`` may need it for backward.
        return torch.cat([first.unsqueeze(-1).to(feats.dtype), feats[:, :, 1:]], dim=-1)
    feats[:, :, 0] = first
    return feats


def _preemphasize_into(seg: torch.Tensor, out: torch.Tensor, c: float, dim: int) -> None:
    """Kaldi's pre-emphasis along ``dim`` into ``out``: ``e[0] = s[0]``, ``e[j] = s[j] - c * s[j-1]``.

    (``e[0]`` here is before DC removal's correction of the first sample; see
    ``Wav2Win._process``.)
    """
    n = seg.size(dim)
    out.narrow(dim, 0, 1).copy_(seg.narrow(dim, 0, 1))
    torch.sub(
        seg.narrow(dim, 1, n - 1), seg.narrow(dim, 0, n - 1), alpha=c, out=out.narrow(dim, 1, n - 1)
    )


def _reflect_into(dst: torch.Tensor, x: torch.Tensor, n: int, p0: int) -> None:
    """Write positions ``[p0, p0 + dst.size(1))`` of ``x`` (length ``n``, reflected) into ``dst``."""
    dst.copy_(_reflect_segment(x, 0, n, p0, p0 + dst.size(1)))


class Wav2Win(nn.Module):
    """Kaldi's frame extraction and per-frame processing, without any transform.

    Dither, remove each frame's DC offset, pre-emphasise, apply the window
    and zero-pad to ``pad_length`` samples (default: the frame length).

    >>> x = torch.randn(1, 16000, dtype=torch.float32)
    >>> x.shape
    torch.Size([1, 16000])
    >>> frames, log_energy = Wav2Win()(x)
    >>> frames.shape, log_energy
    (torch.Size([1, 100, 400]), None)
    >>> frames, log_energy = Wav2Win(return_log_energy=True)(x)
    >>> frames.shape, log_energy.shape
    (torch.Size([1, 100, 400]), torch.Size([1, 100]))

    Input ``(batch, num_samples)``; output the tuple ``(frames, log_energy)``:
    frames of shape ``(batch, num_frames, pad_length)`` and, when
    ``return_log_energy=True``, the log energy of shape ``(batch,
    num_frames)`` (None otherwise), as lhotse's documented return type says.

    :param sampling_rate: Hz.
    :param frame_length: seconds per frame (Kaldi ``--frame-length``, in s).
    :param frame_shift: seconds between frame starts.
    :param pad_length: zero-pad each frame to this many samples (>= frame length).
    :param remove_dc_offset: subtract each frame's mean.
    :param preemph_coeff: pre-emphasis coefficient (0 disables).
    :param window_type: ``povey``, ``hanning``, ``hamming``, ``rectangular``,
        ``blackman`` or ``sine``.
    :param dither: standard deviation of Gaussian noise added to each sample.
    :param snip_edges: only frames that fit in the signal (True) or Kaldi's
        centred frames with reflection at the ends (False).
    :param energy_floor: floor of the log energy (as ``log(energy_floor)``); 0 disables.
    :param raw_energy: log energy before (True) or after (False) pre-emphasis and window.
    :param return_log_energy: also return the log energy of each frame.
    :param kaldi_log_floor: floor energies at FLT_EPSILON before the log as
        Kaldi does, instead of lhotse's ``log(E + 1e-15)`` (see the module notes).
    """

    def __init__(
        self,
        sampling_rate: int = 16000,
        frame_length: float = 0.025,
        frame_shift: float = 0.01,
        pad_length: Optional[int] = None,
        remove_dc_offset: bool = True,
        preemph_coeff: float = 0.97,
        window_type: str = "povey",
        dither: float = 0.0,
        snip_edges: bool = False,
        energy_floor: float = 1e-10,
        raw_energy: bool = True,
        return_log_energy: bool = False,
        kaldi_log_floor: bool = False,
    ) -> None:
        super().__init__()
        length = compute_num_samples(frame_length, sampling_rate)
        shift = compute_num_samples(frame_shift, sampling_rate)
        if length < 1 or shift < 1:
            raise ValueError(
                f"frame_length={frame_length} s and frame_shift={frame_shift} s must each "
                f"span at least one sample at sampling_rate={sampling_rate} "
                f"(got {length} and {shift})"
            )
        padded = length if pad_length is None else int(pad_length)
        if padded < length:
            raise ValueError(
                f"pad_length={pad_length} is shorter than the frame ({length} samples)"
            )
        self.sampling_rate = sampling_rate
        self.frame_length = frame_length
        self.frame_shift = frame_shift
        self.pad_length = padded
        self.remove_dc_offset = remove_dc_offset
        self.preemph_coeff = float(preemph_coeff)
        self.window_type = window_type
        self.dither = float(dither)
        self.snip_edges = snip_edges
        self.energy_floor = float(energy_floor)
        self.raw_energy = raw_energy
        self.return_log_energy = return_log_energy
        self.kaldi_log_floor = kaldi_log_floor
        self._length = length
        self._shift = shift
        # Frame m starts at m * shift - _offset (Kaldi's FirstSampleOfFrame).
        self._offset = 0 if snip_edges else length // 2 - shift // 2
        window = frame_window(length, window_type)
        self._window_first = float(window[0])
        self.register_buffer("_window", window)  # float64 master copy
        # float32 working copy: saves a cast per call for the common dtype.
        self.register_buffer("_window_f32", window.float(), persistent=False)

    def _load_from_state_dict(self, *args, **kwargs):
        super()._load_from_state_dict(*args, **kwargs)
        self._window_f32 = self._window.detach().float()  # follow a loaded window
        self._window_first = float(self._window[0]) if self._window.numel() > 0 else 0.0

    def extra_repr(self) -> str:
        return (
            f"sampling_rate={self.sampling_rate}, frame_length={self.frame_length}, "
            f"frame_shift={self.frame_shift}, pad_length={self.pad_length}, "
            f"remove_dc_offset={self.remove_dc_offset}, preemph_coeff={self.preemph_coeff}, "
            f"window_type={self.window_type!r}, dither={self.dither}, "
            f"snip_edges={self.snip_edges}, energy_floor={self.energy_floor}, "
            f"raw_energy={self.raw_energy}, return_log_energy={self.return_log_energy}, "
            f"kaldi_log_floor={self.kaldi_log_floor}"
        )

    # ------------------------------------------------------------------ frames
    @torch.jit.export
    def num_frames(self, lengths: torch.Tensor) -> torch.Tensor:
        """Kaldi's frame count for each sample count in ``lengths`` (int64 tensor)."""
        lengths = lengths.long()
        if self.snip_edges:
            full = torch.div(lengths - self._length, self._shift, rounding_mode="floor") + 1
            return torch.where(lengths >= self._length, full, torch.zeros_like(full))
        return torch.div(lengths + self._shift // 2, self._shift, rounding_mode="floor")

    def _process(
        self,
        seg: torch.Tensor,
        num_frames: int,
        need_energy: bool,
        work: Optional[torch.Tensor] = None,
    ) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Processed frames of a segment whose frame m starts at sample m * shift.

        Returns frames (batch, num_frames, pad_length), zero-padded after the
        window, and the log energy (batch, num_frames) when ``need_energy``.
        Without autograd the frames are written into ``work`` (a flat tensor
        of the segment's dtype and device) when it is large enough.
        """
        length, padded = self._length, self.pad_length
        batch = seg.size(0)
        if num_frames <= 0:
            empty_e: Optional[torch.Tensor] = None
            if need_energy:
                empty_e = seg.new_zeros((batch, 0))
            return seg.new_zeros((batch, 0, padded)), empty_e
        if seg.dtype == torch.float32:
            window = self._window_f32.to(seg.dtype)
        else:
            window = self._window.to(seg.dtype)
        c = self.preemph_coeff
        # (narrow/select rather than [] indexing below: a few us less per call each)
        raw = seg.unfold(1, length, self._shift).narrow(1, 0, num_frames)  # (B, T, L) view
        fast = not (torch.is_grad_enabled() and seg.requires_grad)  # no autograd: in place
        energy: Optional[torch.Tensor] = None
        # Per-frame constant to subtract, times ``scale``: pre-emphasis P maps
        # a constant m to (1 - c) m, so P(f - m) = P f - (1 - c) m.
        offset: Optional[torch.Tensor] = None
        scale = 1.0
        mean: Optional[torch.Tensor] = None
        first_fix = c != 0.0 and self._window_first != 0.0
        if self.remove_dc_offset:
            if need_energy and self.raw_energy:
                var, mean = torch.var_mean(raw, dim=-1, correction=0, keepdim=True)
                energy = var.squeeze(-1) * length  # sum of squares after DC removal
                offset, scale = mean, 1.0 - c
            else:
                # The frame sums, scaled within the subtraction below (one
                # rounding, and two small ops fewer than mean * (1 - c)).
                offset = raw.sum(dim=-1, keepdim=True)  # (B, T, 1)
                scale = (1.0 - c) / length
                if first_fix:
                    mean = offset / length
        elif need_energy and self.raw_energy:
            energy = raw.square().sum(-1)
        if c != 0.0:
            # Pre-emphasise the whole segment once: e[j] = s[j] - c * s[j-1].
            if fast:
                emph = torch.empty_like(seg)
                _preemphasize_into(seg, emph, c, 1)
            else:
                emph = torch.cat([seg[:, :1], torch.sub(seg[:, 1:], seg[:, :-1], alpha=c)], dim=1)
            frames = emph.unfold(1, length, self._shift).narrow(1, 0, num_frames)  # (B, T, L)
        else:
            frames = raw
        if fast:
            # Write straight into the zero-padded FFT buffer (no autograd here).
            need = batch * num_frames * padded
            if (
                work is not None
                and work.numel() >= need
                and work.dtype == seg.dtype
                and work.device == seg.device
            ):
                out = work.narrow(0, 0, need).view(batch, num_frames, padded)
            else:
                out = seg.new_empty((batch, num_frames, padded))
            if padded > length:
                out.narrow(2, length, padded - length).zero_()
            body = out.narrow(2, 0, length)
            if offset is not None:
                torch.sub(frames, offset, alpha=scale, out=body)
                body.mul_(window)
            else:
                torch.mul(frames, window, out=body)
        else:
            if offset is not None:
                body = torch.sub(frames, offset, alpha=scale) * window
            else:
                body = frames * window
            out = body
            if padded > length:
                out = nn.functional.pad(body, [0, padded - length])
        if first_fix:
            # Kaldi's first sample is (1 - c) * (f[0] - m); the segment-level
            # difference used the previous sample instead.  (Windows that start
            # at 0, as the default povey does, zero that sample either way.)
            first = raw[:, :, 0]
            if mean is not None:
                first = first - mean.squeeze(-1)
            out[:, :, 0] = first * ((1.0 - c) * self._window_first)
        log_e: Optional[torch.Tensor] = None
        if need_energy:
            if not self.raw_energy:
                energy = out.square().sum(-1)
            assert energy is not None
            log_e = _log_energy(energy, self.energy_floor, self.kaldi_log_floor)
        return out, log_e

    def _dither(self, x: torch.Tensor) -> torch.Tensor:
        if self.dither != 0.0:
            return x + self.dither * torch.randn_like(x)
        return x

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 2:
            raise ValueError(
                "Expected a waveform batch of shape (batch, num_samples), got shape "
                + str(list(x.shape))
            )
        if x.is_complex():
            raise TypeError(
                "Expected a real float32 or float64 waveform, got the complex dtype "
                + str(x.dtype)
            )
        if not x.is_floating_point():
            raise TypeError(
                "Expected a float32 or float64 waveform, got dtype "
                + str(x.dtype)
                + " (convert integer PCM with x.float() / 32768)"
            )
        if x.dtype == torch.float16 or x.dtype == torch.bfloat16:
            raise TypeError(
                "Expected a float32 or float64 waveform, got dtype "
                + str(x.dtype)
                + " (convert it with x.float(); the Kaldi layers compute in float32 or more)"
            )

    def _full_segment(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Reflected signal of each full row (frame m starts at m * shift) and its frame count."""
        n = x.size(1)
        num = kaldi_num_frames(n, self._length, self._shift, self.snip_edges)
        if num <= 0:
            return x[:, :0], 0
        p0 = -self._offset
        p1 = p0 + (num - 1) * self._shift + self._length
        return _reflect_segment(x, 0, n, p0, p1), num

    def _frames(
        self, x: torch.Tensor, need_energy: bool
    ) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Frames of each full row of ``x``: (B, T, pad_length) and log energy (B, T)."""
        seg, num = self._full_segment(x)
        return self._process(seg, num, need_energy)

    def _pack_layout(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[list[int], list[int], list[int], list[int], int, int]:
        """Where each row goes when the valid rows are packed into one signal.

        Row b's reflected samples (``spans[b]`` of them) start at packed sample
        ``bases[b] * shift``, followed by zeros up to the next multiple of the
        shift, so that packed frame ``bases[b] + m`` is the row's frame m.
        Returns (lengths, bases, counts, spans, packed samples, output frames T).
        """
        batch, n = x.size(0), x.size(1)
        if lengths.dim() != 1 or lengths.size(0) != batch:
            raise ValueError(
                "lengths must be a 1-D tensor with one entry per row; got shape "
                + str(list(lengths.shape))
                + " for a batch of "
                + str(batch)
            )
        out_frames = kaldi_num_frames(n, self._length, self._shift, self.snip_edges)
        lens: list[int] = lengths.tolist()
        shift = self._shift
        bases: list[int] = []
        counts: list[int] = []
        spans: list[int] = []
        pos = 0
        for b in range(batch):
            nb = int(lens[b])
            if nb < 0 or nb > n:
                raise ValueError(
                    "lengths[" + str(b) + "]=" + str(nb) + " is outside [0, " + str(n) + "]"
                )
            tb = kaldi_num_frames(nb, self._length, shift, self.snip_edges)
            span = (tb - 1) * shift + self._length if tb > 0 else 0
            bases.append(pos // shift)
            counts.append(tb)
            spans.append(span)
            pos += -(-span // shift) * shift
        return lens, bases, counts, spans, pos, out_frames

    def _packed_slice(
        self,
        x: torch.Tensor,
        lens: list[int],
        bases: list[int],
        spans: list[int],
        q0: int,
        q1: int,
    ) -> torch.Tensor:
        """Samples ``[q0, q1)`` of the packed signal described by :meth:`_pack_layout`."""
        shift = self._shift
        for b in range(len(bases)):
            # A range inside one row's samples (no reflection) is read in place.
            s0 = bases[b] * shift
            p0 = q0 - s0 - self._offset
            if s0 <= q0 and q1 <= s0 + spans[b] and p0 >= 0 and p0 + q1 - q0 <= lens[b]:
                return x[b : b + 1, p0 : p0 + q1 - q0]
        seg = x.new_empty((1, q1 - q0))
        for b in range(len(bases)):
            span = spans[b]
            if span == 0:
                continue
            s0 = bases[b] * shift
            a0 = max(q0, s0)
            a1 = min(q1, s0 + -(-span // shift) * shift)
            if a0 >= a1:
                continue
            v1 = min(a1, s0 + span)
            if v1 > a0:
                nb = lens[b]
                _reflect_into(
                    seg[:, a0 - q0 : v1 - q0], x[b : b + 1, :nb], nb, a0 - s0 - self._offset
                )
            if a1 > max(a0, v1):
                seg[:, max(a0, v1) - q0 : a1 - q0].zero_()
        return seg

    @staticmethod
    def _unpack(
        packed: torch.Tensor, bases: list[int], counts: list[int], out_frames: int
    ) -> torch.Tensor:
        """(1, G, ...) packed frames -> (B, T, ...), zeros after each row's own frames."""
        shape: list[int] = [len(bases), out_frames] + list(packed.shape[2:])
        out = packed.new_zeros(shape)
        for b in range(len(bases)):
            count = counts[b]
            if count > 0:
                out[b, :count] = packed[0, bases[b] : bases[b] + count]
        return out

    def forward(
        self, x: torch.Tensor, lengths: Optional[torch.Tensor] = None
    ) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        """``(frames, log_energy)`` of ``x`` (batch, num_samples); see the class docstring.

        ``lengths`` (optional, int tensor of shape (batch,)) gives each row's
        true number of samples in a zero-padded batch.
        """
        if not torch.jit.is_scripting() and not isinstance(x, torch.Tensor):
            raise TypeError(
                f"Expected a torch.Tensor waveform, got {type(x).__name__} "
                "(convert a numpy array with torch.from_numpy)"
            )
        self._check_input(x)
        x = self._dither(x)
        need_energy = self.return_log_energy
        if lengths is None:
            frames, log_e = self._frames(x, need_energy)
        else:
            lens, bases, counts, spans, pos, out_frames = self._pack_layout(x, lengths)
            total = (pos - self._length) // self._shift + 1 if pos > 0 else 0
            flat = self._packed_slice(x, lens, bases, spans, 0, pos)
            packed, packed_e = self._process(flat, total, need_energy)
            frames = self._unpack(packed, bases, counts, out_frames)
            log_e: Optional[torch.Tensor] = None
            if packed_e is not None:
                log_e = self._unpack(packed_e, bases, counts, out_frames)
        return frames, log_e

    # --------------------------------------------------------------- streaming
    def _stream(
        self,
        x: torch.Tensor,
        context: Optional[torch.Tensor],
        flush: bool,
        need_energy: bool,
    ) -> tuple[torch.Tensor, Optional[torch.Tensor], torch.Tensor]:
        """Frames, log energy and remainder of one streaming step (see :mod:`.streaming`)."""
        self._check_input(x)
        x = self._dither(x)
        seg, count, remainder = stream_step(
            x, context, self._length, self._shift, self.snip_edges, flush
        )
        frames, log_e = self._process(seg, count, need_energy)
        return frames, log_e, remainder

    @torch.jit.export
    def online_inference(
        self,
        x: torch.Tensor,
        context: Optional[torch.Tensor] = None,
        flush: bool = False,
    ) -> tuple[tuple[torch.Tensor, Optional[torch.Tensor]], torch.Tensor]:
        """Streaming :meth:`forward`: returns ``((frames, log_energy), remainder)``.

        Pass the returned remainder (a tensor, see
        :mod:`nuptse.features.kaldi.streaming`) with the next chunk, and
        ``flush=True`` with the last chunk (which may be empty) to get the
        frames that reach past the end.  ``log_energy`` is None unless
        ``return_log_energy=True``.

        >>> t = Wav2Win()
        >>> x = torch.randn(1, 1000)
        >>> (a, _), rem = t.online_inference(x[:, :700])
        >>> (b, _), rem = t.online_inference(x[:, 700:], rem, flush=True)
        >>> torch.allclose(torch.cat([a, b], 1), t(x)[0])
        True
        """
        frames, log_e, remainder = self._stream(x, context, flush, self.return_log_energy)
        return (frames, log_e), remainder


def _stack_rows(rows: list[torch.Tensor], out_frames: int) -> torch.Tensor:
    """(1, T_b, ...) per row -> (B, out_frames, ...), zero after each row's frames."""
    first = rows[0]
    shape: list[int] = [len(rows), out_frames] + list(first.shape[2:])
    out = first.new_zeros(shape)
    for b in range(len(rows)):
        count = rows[b].size(1)
        if count > 0:
            out[b].narrow(0, 0, count).copy_(rows[b][0])
    return out
