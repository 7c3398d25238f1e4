"""State of the Kaldi layers' short path: its plans, scratch memory, and the views a call takes.

A layer's :class:`FastState` holds a :class:`_Plan` per dtype (the fixed
tables and sizes, built by :mod:`nuptse.features.kaldi.fastpath`) and the
scratch buffers.  The layer keeps its frames, pre-emphasis, signal and mel buffers between calls
(:class:`_Buffers`, handed out by :class:`FastState`; the general path's
frames buffer is a :class:`Workspace`), because fresh multi-MiB buffers cost
page faults on every call.  The buffers lie in one zero-filled region.  The ~20
views of them a call needs (:class:`_Views`, :func:`views_for`) are made per
call: keeping them per shape measured no faster (1.832 vs 1.830 ms per
10-16 s utterance of all-different lengths).
:mod:`nuptse.features.kaldi.fastpath` does the arithmetic on them.
"""

from __future__ import annotations

from typing import Optional

import torch

__all__ = ["FastState", "Workspace", "views_for"]


class _Plan:
    """Fixed tables and sizes of one layer for one dtype (built on first use).

    The layer drops its plans whenever its tensors may have changed
    (``.to()``, ``.double()``, ``load_state_dict``).
    """

    __slots__ = (
        "usable",
        "dtype",
        "length",
        "shift",
        "offset",
        "snip_edges",
        "dither",
        "pad",
        "bins",
        "window",
        "window_first",
        "c",
        "first_fix",
        "remove_dc",
        "need_energy",
        "raw_energy",
        "energy_floor",
        "kaldi_log_floor",
        "use_fft_mag",
        "left_index",
        "direct",
        "edge_frames",
        "edge_index",
        "length_t",
        "scale",
        "blocks",
        "bin_lo",
        "bin_hi",
        "mel_width",
        "mel_col0",
        "out_cols",
        "cep",
    )


class _Buffers:
    """Scratch tensors for up to ``rows`` frames, kept between calls (see :class:`FastState`).

    Each call takes the first rows of the views prepared here.
    """

    __slots__ = (
        "plan",
        "rows",
        "spent",
        "seg",
        "prev",
        "seg2d",
        "prev2d",
        "raw",
        "emph",
        "emph2d",
        "emph_frames",
        "edge_l",
        "edge_l_in",
        "left_cur",
        "left_prev",
        "emph_left",
        "left_frames",
        "left_sums",
        "edge_r",
        "right_ends",
        "sums",
        "frames",
        "body",
        "power",
        "block_src",
        "mel",
        "block_dst",
    )

    def __init__(self, plan: _Plan, rows: int) -> None:
        self.plan = plan  # the views below follow its blocks and sizes
        self.rows = rows
        length, shift = plan.length, plan.shift
        samples = (rows - 1) * shift + length
        self.spent: Optional[torch.Tensor] = None  # the last FFT output (see _compute)
        with torch.inference_mode(False):  # usable in and out of inference mode
            # segz[0] stays 0: the sample "before" the reflected signal, so
            # that pre-emphasis (e[0] = s[0] - c * 0) is one subtraction.
            # One zero-filled region, each buffer on 64 bytes.
            size = torch.empty(0, dtype=plan.dtype).element_size()
            counts = [rows * plan.pad, samples, samples + 1, rows * plan.mel_width]
            starts = [0]
            for count in counts:
                starts.append(starts[-1] + (count * size + 63) // 64 * 64)
            region = torch.zeros(starts[-1], dtype=torch.uint8)
            frames, emph, segz, mel = (
                region[at : at + count * size].view(plan.dtype) for at, count in zip(starts, counts)
            )
            # The frames stay zero past ``length``: calls write only the bodies.
            frames = frames.view(rows, plan.pad)
            mel = mel.view(rows, plan.mel_width)
            self.seg = segz.narrow(0, 1, samples)
            self.prev = segz.narrow(0, 0, samples)
            self.seg2d = self.seg.unsqueeze(0)
            self.prev2d = self.prev.unsqueeze(0)
            self.raw = self.seg.unfold(0, length, shift)  # (rows, length)
            self.emph = emph
            self.emph2d = emph.unsqueeze(0)
            self.emph_frames = emph.unfold(0, length, shift)
            # The reflected ends for _direct: edge_l[0] stays 0 (the sample
            # before the signal), edge_r holds at most the last frames' samples.
            left, first_mid = plan.offset, plan.edge_frames
            edge_l = torch.zeros(1 + plan.edge_index.numel(), dtype=plan.dtype)
            self.sums = torch.empty(rows, 1, dtype=plan.dtype)
            self.edge_l = edge_l
            self.edge_l_in = edge_l[1:]
            self.left_cur = edge_l[1 : left + 2]
            self.left_prev = edge_l[: left + 1]
            self.emph_left = emph[: left + 1]
            self.left_frames = (
                edge_l[1:].unfold(0, length, shift)[:first_mid] if first_mid > 0 else None
            )
            self.left_sums = self.sums[:first_mid]
            self.edge_r = torch.empty(2 * length + 2 * shift + 2, dtype=plan.dtype)
            # (samples after the last frames' start, reflected samples) -> what
            # _direct reads there; at most one entry per length modulo the shift.
            self.right_ends: dict = {}
            self.frames = frames
            self.body = frames.narrow(1, 0, length)
            # Only the bins some mel block reads, written over the spent bodies.
            self.power = frames.narrow(1, plan.bin_lo, plan.bin_hi - plan.bin_lo)
            self.block_src = [frames.narrow(1, b[0], b[1]) for b in plan.blocks]
            self.mel = mel
            self.block_dst = [mel.narrow(1, b[2], b[3]) for b in plan.blocks]


class _Views:
    """The views of one :class:`_Buffers` that a call with a given signal length and frame count uses.

    Made for each call (see :func:`views_for`).
    """

    __slots__ = (
        "direct",
        "emph_mid",
        "mid",
        "right_index",
        "right_from",
        "edge_r",
        "cur_r",
        "prev_r",
        "emph_right",
        "mid_frames",
        "sums_mid",
        "frames_r",
        "sums_right",
        "offset",
        "frames",
        "out",
        "body",
        "power",
        "src",
        "dst",
        "mel",
    )


class _Scratch:
    """Scratch a layer keeps between calls; never copied, pickled or saved.

    ``_pop`` removes the kept item (``list.pop`` is atomic), so a call running
    at the same time in another thread allocates its own instead of sharing;
    ``give`` keeps one item for the next call.
    """

    def __init__(self) -> None:
        self._items: list = []

    def _pop(self):
        try:
            return self._items.pop()
        except IndexError:
            return None

    def give(self, item) -> None:
        if not self._items:
            self._items.append(item)

    def __reduce__(self):
        return (type(self), ())

    def __deepcopy__(self, memo):
        return type(self)()


class Workspace(_Scratch):
    """The general path's frames buffer, reused across calls."""

    def take(self, like: torch.Tensor, numel: int) -> torch.Tensor:
        work: Optional[torch.Tensor] = self._pop()
        if (
            work is None
            or work.numel() < numel
            or work.dtype != like.dtype
            or work.device != like.device
        ):
            with torch.inference_mode(False):  # usable in and out of inference mode
                work = like.new_empty(numel)
        return work


class FastState(_Scratch):
    """A layer's short-path plans (per dtype) and buffers."""

    def __init__(self) -> None:
        super().__init__()
        self.plans: dict = {}

    def clear(self) -> None:
        """Forget plans and buffers (the layer's tensors changed)."""
        self.plans = {}
        self._items = []

    def take(self, plan: _Plan, rows: int) -> _Buffers:
        bufs: Optional[_Buffers] = self._pop()
        if bufs is None or bufs.rows < rows or bufs.plan is not plan:
            # Grow by a quarter at least, so that slowly growing inputs do
            # not allocate on every call.
            size = rows if bufs is None else max(rows, bufs.rows + bufs.rows // 4)
            bufs = _Buffers(plan, (size + 63) // 64 * 64)
        return bufs


def _right_ends(bufs: _Buffers, after: int, right: int, count: int) -> tuple:
    """What :func:`~nuptse.features.kaldi.fastpath._direct` reads for the last ``count`` frames (built once per shape).

    The frames start ``after`` samples before the signal's end, which is
    followed by ``right`` reflected samples.  Returns the index (into the
    signal from the sample before the frames) that gathers those samples
    into ``bufs.edge_r``, that view, its samples from the signal's end and
    the samples before them (for the pre-emphasis), and the frames.
    """
    plan = bufs.plan
    span = after + 1 + right
    with torch.inference_mode(False):  # usable in and out of inference mode
        index = torch.cat([torch.arange(after + 1), torch.arange(after, after - right, -1)])
        edge_r = bufs.edge_r[:span]
        ends = (
            index,
            edge_r,
            edge_r[after + 1 :],
            edge_r[after : span - 1],
            bufs.edge_r.as_strided((count, plan.length), (plan.shift, 1), 1),
        )
    bufs.right_ends[(after, right)] = ends
    return ends


def views_for(plan: _Plan, bufs: _Buffers, n: int, num_frames: int) -> _Views:
    """The views of ``bufs`` for a signal of ``n`` samples and ``num_frames`` frames."""
    views = _Views()
    first = slice(0, num_frames)
    views.offset = bufs.sums[first]
    views.frames = bufs.emph_frames[first]
    views.out = bufs.frames[first]
    views.body = bufs.body[first]
    views.power = bufs.power[first]
    views.src = [src[first] for src in bufs.block_src]
    views.dst = [dst[first] for dst in bufs.block_dst]
    views.mel = bufs.mel[first]
    views.direct = plan.direct and _direct_views(plan, bufs, views, n, num_frames)
    return views


def _direct_views(plan: _Plan, bufs: _Buffers, views: _Views, n: int, num_frames: int) -> bool:
    """Fill the views :func:`~nuptse.features.kaldi.fastpath._direct` uses; False where it does not apply (the ends are too long)."""
    length, shift, left = plan.length, plan.shift, plan.offset
    samples = (num_frames - 1) * shift + length
    first_mid = plan.edge_frames  # frames [first_mid, first_right) read x in place
    first_right = (left + n - length) // shift + 1 if left + n >= length else 0
    first_right = min(first_right, num_frames)
    mid = min(samples - left, n)  # signal samples the frames read
    right = samples - left - mid  # reflected samples after the signal
    start_r = first_right * shift - left  # where the last frames start in x
    span_r = samples - first_right * shift + 1  # their samples and the one before
    if (
        plan.edge_index.numel() - left > n
        or right > n
        or first_right < first_mid
        or mid < 2
        or (first_right < num_frames and (start_r < 1 or span_r > bufs.edge_r.size(0)))
    ):
        return False
    views.mid = mid
    views.emph_mid = bufs.emph[left + 1 : left + mid]
    views.right_index = None
    if first_right < num_frames:
        # samples start_r - 1, ..., n - 1, then n - 1, n - 2, ... (Kaldi's reflection)
        ends = bufs.right_ends.get((n - start_r, right))
        if ends is None:
            ends = _right_ends(bufs, n - start_r, right, num_frames - first_right)
        views.right_index, views.edge_r, views.cur_r, views.prev_r, views.frames_r = ends
        views.right_from = start_r - 1
        views.emph_right = bufs.emph[left + n : samples]
        views.sums_right = bufs.sums[first_right:num_frames]
    views.mid_frames = None
    if first_right > first_mid:
        # (frames, offset into the signal) of the frames read in place
        views.mid_frames = (first_right - first_mid, first_mid * shift - left)
        views.sums_mid = bufs.sums[first_mid:first_right]
    return True
