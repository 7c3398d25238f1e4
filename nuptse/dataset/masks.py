"""Where supervisions lie in a batch: ``sequence_idx`` and start/length tensors.

Frame and sample positions are computed with :mod:`nuptse.timing`, the same
way the cut layer counts a cut's frames and samples, so a supervision's
``start_frame + num_frames`` never exceeds its cut's ``num_frames``.  The
0/1 masks come from the cut layer (:mod:`nuptse.cut.masks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import torch

from nuptse.timing import compute_num_frames, supervision_to_frames, supervision_to_samples


def frame_intervals(
    cuts: Sequence, frame_shift: Optional[float] = None, pad_to: Optional[int] = None,
    pad_direction: str = "right",
) -> dict[str, torch.Tensor]:
    """``sequence_idx``/``start_frame``/``num_frames`` (int32) of every supervision.

    ``frame_shift`` defaults to each cut's own (precomputed features), and the
    spans are then clipped to the cut's frame count.  With ``pad_direction``
    ``"left"``, starts are shifted by each cut's padding up to ``pad_to``.
    """
    seq, starts, nums = [], [], []
    for i, cut in enumerate(cuts):
        shift = cut.frame_shift if frame_shift is None else frame_shift
        limit = cut.num_frames if frame_shift is None else None
        offset = 0
        if pad_direction == "left" and pad_to is not None:
            offset = pad_to - compute_num_frames(cut.duration, shift, cut.sampling_rate)
        for sup in cut.supervisions:
            start, num = supervision_to_frames(sup, shift, cut.sampling_rate, max_frames=limit)
            seq.append(i)
            starts.append(start + offset)
            nums.append(num)
    return {
        "sequence_idx": torch.tensor(seq, dtype=torch.int32),
        "start_frame": torch.tensor(starts, dtype=torch.int32),
        "num_frames": torch.tensor(nums, dtype=torch.int32),
    }


def sample_intervals(cuts: Sequence) -> dict[str, torch.Tensor]:
    """``sequence_idx``/``start_sample``/``num_samples`` (int32) of every supervision."""
    seq, starts, nums = [], [], []
    for i, cut in enumerate(cuts):
        for sup in cut.supervisions:
            start, num = supervision_to_samples(sup, cut.sampling_rate)
            seq.append(i)
            starts.append(start)
            nums.append(num)
    return {
        "sequence_idx": torch.tensor(seq, dtype=torch.int32),
        "start_sample": torch.tensor(starts, dtype=torch.int32),
        "num_samples": torch.tensor(nums, dtype=torch.int32),
    }
