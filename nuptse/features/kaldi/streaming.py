"""Streaming framing: Kaldi frames of a signal that arrives in chunks.

The state passed from one chunk to the next is a single tensor, the
*remainder*, as in lhotse's ``online_inference``; everything the next call
needs is recoverable from it:

* a 2-D remainder ``(batch, r)`` holds the samples from the start of the
  next frame onwards (for ``snip_edges=False`` the reflected samples before
  the signal's start included), i.e. exactly lhotse's remainder; it is
  shorter than one frame;
* a 3-D remainder ``(batch, 1, n)`` holds the first ``n`` samples of a
  stream that is still too short to place its first frame (with
  ``snip_edges=False`` the left reflection needs ``length // 2 - shift // 2``
  samples, 7.5 ms at the default 25/10 ms frames).  ``(batch, 1, 0)`` is a
  fresh stream, which is what a flush returns.

Frames are emitted as soon as all their samples have arrived.  The end of
the stream is signalled with ``flush=True``: the frames that reach past the
last sample are then emitted, reflected at the end as Kaldi does, so that
the concatenated output equals ``forward`` on the whole signal.  (lhotse
itself has no flush; its tests feed the reversed last ``shift`` samples as
an extra chunk, which gives the same frames for the default options and
works here too.)

>>> import torch
>>> x = torch.arange(1000.0).unsqueeze(0)
>>> a, rem = _get_strided_batch_streaming(x[:, :700], window_shift=160, window_length=400)
>>> b, rem = _get_strided_batch_streaming(x[:, 700:], 160, 400, prev_remainder=rem)
>>> a.shape, b.shape, rem.shape
(torch.Size([1, 3, 400]), torch.Size([1, 2, 400]), torch.Size([1, 320]))
>>> c, rem = _get_strided_batch_streaming(x[:, :0], 160, 400, prev_remainder=rem, flush=True)
>>> bool(torch.equal(torch.cat([a, b, c], 1), _get_strided_batch(x, 400, 160, False)))
True
"""

from __future__ import annotations

from typing import Optional

import torch

from nuptse.features.kaldi.reflect import _reflect_segment
from nuptse.timing import kaldi_num_frames


def frame_offset(window_length: int, window_shift: int, snip_edges: bool) -> int:
    """How many samples before the signal frame 0 starts (Kaldi's ``FirstSampleOfFrame(0)``, negated)."""
    if snip_edges:
        return 0
    return window_length // 2 - window_shift // 2


def _check_remainder(context: torch.Tensor, x: torch.Tensor) -> None:
    if context.dim() not in (2, 3) or context.size(0) != x.size(0):
        raise ValueError(
            "the streaming remainder must be a tensor of shape (batch, samples) or "
            "(batch, 1, samples) with the chunk's batch size "
            + str(x.size(0))
            + "; got shape "
            + str(list(context.shape))
        )


def stream_step(
    x: torch.Tensor,
    context: Optional[torch.Tensor],
    window_length: int,
    window_shift: int,
    snip_edges: bool,
    flush: bool,
) -> tuple[torch.Tensor, int, torch.Tensor]:
    """One streaming step: ``(segment, num_frames, remainder)``.

    Frame ``m`` of the new frames starts at sample ``m * window_shift`` of
    ``segment``; ``remainder`` is the state for the next call (see the module
    notes).
    """
    if x.dim() != 2:
        raise ValueError(
            "Expected a waveform chunk of shape (batch, num_samples), got shape "
            + str(list(x.shape))
        )
    batch = x.size(0)
    offset = frame_offset(window_length, window_shift, snip_edges)
    fresh = x.new_zeros((batch, 1, 0))
    started = False
    if context is None:
        buf = x
    else:
        _check_remainder(context, x)
        prev = context.to(x.dtype)
        if prev.dim() == 2:
            started = True
            buf = torch.cat([prev, x], dim=1) if prev.size(1) > 0 else x
        else:
            prev = prev.select(1, 0)
            buf = torch.cat([prev, x], dim=1) if prev.size(1) > 0 else x
    if not started:
        # ``buf`` holds the stream from its first sample; place the first frame.
        n = buf.size(1)
        if n >= abs(offset) and n > 0:
            buf = _reflect_segment(buf, 0, n, -offset, n)
            started = True
        elif flush:
            # The whole stream is shorter than the left reflection: frame it
            # as forward would (Kaldi reflects such short signals repeatedly).
            count = kaldi_num_frames(n, window_length, window_shift, snip_edges)
            if count <= 0:
                return buf[:, :0], 0, fresh
            span = (count - 1) * window_shift + window_length
            return _reflect_segment(buf, 0, n, -offset, span - offset), count, fresh
        else:
            return buf[:, :0], 0, buf.unsqueeze(1)
    r = buf.size(1)
    count = kaldi_num_frames(r, window_length, window_shift, True)  # frames that are complete
    if flush:
        if not snip_edges:
            # Frames reaching past the end: as many as Kaldi's count for the
            # samples after the remainder's start (which is a frame start).
            count = max(count, kaldi_num_frames(max(0, r - offset), window_length, window_shift, False))
        if count <= 0:
            return buf[:, :0], 0, fresh
        span = (count - 1) * window_shift + window_length
        return _reflect_segment(buf, 0, r, 0, span), count, fresh
    if count <= 0:
        return buf[:, :0], 0, buf
    return buf, count, buf[:, count * window_shift :]


def _get_strided_batch(
    waveform: torch.Tensor, window_length: int, window_shift: int, snip_edges: bool
) -> torch.Tensor:
    """Kaldi frames ``(batch, num_frames, window_length)`` of raw samples of ``waveform``.

    No processing, only framing: with ``snip_edges=False`` frames are
    centred and the signal is reflected at both ends as Kaldi does.

    >>> import torch
    >>> _get_strided_batch(torch.arange(16000.0).unsqueeze(0), 400, 160, False).shape
    torch.Size([1, 100, 400])
    """
    if waveform.dim() != 2:
        raise ValueError(
            "Expected a waveform batch of shape (batch, num_samples), got shape "
            + str(list(waveform.shape))
        )
    n = waveform.size(1)
    count = kaldi_num_frames(n, window_length, window_shift, snip_edges)
    if count <= 0:
        return waveform.new_zeros((waveform.size(0), 0, window_length))
    offset = frame_offset(window_length, window_shift, snip_edges)
    span = (count - 1) * window_shift + window_length
    seg = _reflect_segment(waveform, 0, n, -offset, span - offset)
    return seg.unfold(1, window_length, window_shift)


def _get_strided_batch_streaming(
    waveform: torch.Tensor,
    window_shift: int,
    window_length: int,
    prev_remainder: Optional[torch.Tensor] = None,
    snip_edges: bool = False,
    flush: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Streaming :func:`_get_strided_batch`: ``(frames, remainder)`` for one chunk.

    Pass ``prev_remainder=None`` with a stream's first chunk and the returned
    remainder with each next one; ``flush=True`` with the last chunk (which
    may be empty) emits the frames that reach past the end.  See the module
    notes for what the remainder holds.
    """
    seg, count, remainder = stream_step(
        waveform, prev_remainder, window_length, window_shift, snip_edges, flush
    )
    if count <= 0:
        return waveform.new_zeros((waveform.size(0), 0, window_length)), remainder
    frames = seg.unfold(1, window_length, window_shift).narrow(1, 0, count)
    return frames, remainder
