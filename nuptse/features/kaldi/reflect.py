"""Kaldi's reflection of a signal at its ends, for any range of positions.

Frames that reach before the first or past the last sample
(``snip_edges=False``) read the signal mirrored there: position ``-1`` is
sample ``0`` and position ``n`` is sample ``n - 1``, repeated as often as a
very short signal needs.
"""

from __future__ import annotations

import torch


def _reflect_segment(x: torch.Tensor, start: int, n: int, p0: int, p1: int) -> torch.Tensor:
    """Samples at positions ``[p0, p1)`` of a length-``n`` signal reflected at both ends.

    ``x`` (batch, W) holds the signal's positions ``[start, start + W)``.
    Reflection follows Kaldi: ``-1 -> 0``, ``n -> n - 1``, repeated as often
    as needed.  Returns (batch, p1 - p0); a view of ``x`` when no reflection
    is needed.
    """
    left = max(0, min(p1, 0) - p0)  # positions < 0 -> -p - 1
    right = max(0, p1 - max(p0, n))  # positions >= n -> 2n - 1 - p
    mid0 = min(max(p0, 0), n)
    mid1 = max(min(p1, n), mid0)
    simple = (
        -p0 <= n
        and 2 * n - p1 >= 0
        and (left == 0 or start == 0)
        and (mid1 == mid0 or mid0 >= start)
        and (right == 0 or 2 * n - p1 >= start)
    )
    if simple:
        pieces: list[torch.Tensor] = []
        if left > 0:
            lo = max(0, -p1)
            pieces.append(torch.flip(x.narrow(1, lo, -p0 - lo), [1]))
        if mid1 > mid0:
            pieces.append(x.narrow(1, mid0 - start, mid1 - mid0))
        if right > 0:
            hi = 2 * n - max(p0, n)
            pieces.append(torch.flip(x.narrow(1, 2 * n - p1 - start, hi - (2 * n - p1)), [1]))
        if len(pieces) == 1:
            return pieces[0]
        if len(pieces) == 0:
            return x[:, :0]
        return torch.cat(pieces, dim=1)
    pos = torch.arange(p0, p1, device=x.device)
    r = torch.remainder(pos, 2 * n)
    src = torch.where(r >= n, 2 * n - 1 - r, r) - start
    return x.index_select(1, src)
