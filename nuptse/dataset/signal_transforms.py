"""Transforms applied to collated batches of features or waveforms.

:class:`SpecAugment` (time warping, frequency and time masks),
:class:`GlobalMVN` (normalisation with statistics from
:func:`nuptse.features.compute_global_stats`), :class:`RandomizedSmoothing`
(Gaussian noise on waveforms) and :class:`DereverbWPE` (needs ``nara_wpe``).

The masks of a batch are drawn and applied together (one comparison against
``arange`` per axis) rather than example by example; all randomness comes
from torch's generator, which DataLoader seeds per worker, so a seeded run
repeats exactly.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any, Optional, TypeVar, Union

import torch

from nuptse.timing import Seconds  # noqa: F401 - keeps time types in one place

T = TypeVar("T")


class GlobalMVN(torch.nn.Module):
    """Normalise features with a global mean and standard deviation per dimension.

    Buffers ``norm_means`` and ``norm_stds`` hold the statistics, as in the
    dict that :func:`nuptse.features.compute_global_stats` returns.
    """

    def __init__(self, feature_dim: int):
        super().__init__()
        self.feature_dim = feature_dim
        self.register_buffer("norm_means", torch.zeros(feature_dim))
        self.register_buffer("norm_stds", torch.ones(feature_dim))

    @classmethod
    def from_stats(cls, stats: dict) -> GlobalMVN:
        stats = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in stats.items()}
        (dim,) = stats["norm_means"].shape
        mvn = cls(dim)
        mvn.load_state_dict({"norm_means": stats["norm_means"], "norm_stds": stats["norm_stds"]})
        return mvn

    @classmethod
    def from_cuts(cls, cuts, max_cuts: Optional[int] = None, extractor=None) -> GlobalMVN:
        """Statistics of the cuts' features (or of ``extractor``'s features of their audio)."""
        return cls.from_stats(cuts.compute_global_feature_stats(max_cuts=max_cuts, extractor=extractor))

    @classmethod
    def from_file(cls, stats_file) -> GlobalMVN:
        """Read a file written by :meth:`to_file` or by ``compute_global_stats(storage_path=...)``."""
        import zipfile

        if zipfile.is_zipfile(stats_file):
            try:
                return cls.from_stats(torch.load(stats_file, weights_only=True))
            except RuntimeError:
                pass  # an .npz archive, not a torch one
        from nuptse.features.stats import load_stats

        return cls.from_stats(load_stats(stats_file))

    def to_file(self, stats_file) -> None:
        torch.save(self.state_dict(), stats_file)

    def forward(self, features: torch.Tensor, supervision_segments: Optional[torch.IntTensor] = None) -> torch.Tensor:
        return (features - self.norm_means) / self.norm_stds

    def inverse(self, features: torch.Tensor) -> torch.Tensor:
        return features * self.norm_stds + self.norm_means


def schedule_value_for_step(schedule: Sequence[tuple[int, T]], step: int) -> T:
    """The value of a ``[(from_step, value), ...]`` schedule at ``step``."""
    milestones = [m for m, _ in schedule]
    if step < milestones[0]:
        raise ValueError(
            f"schedule {list(schedule)} starts at step {milestones[0]}; no value for step {step}"
        )
    return schedule[bisect.bisect_right(milestones, step) - 1][1]


def random_mask_along_batch_axis(tensor: torch.Tensor, p: float = 0.5) -> torch.Tensor:
    """``(N, 1, 1, ...)`` float mask: each example is zeroed with probability ``p``."""
    shape = (tensor.shape[0],) + (1,) * (tensor.ndim - 1)
    return (torch.rand(shape) > p).to(torch.float32)


class RandomizedSmoothing(torch.nn.Module):
    """Add Gaussian noise to waveforms with probability ``p`` per example; clip to [-1, 1].

    ``sigma`` is a float or a ``[(step, sigma), ...]`` schedule (advanced by
    one step per call).  With ``sample_sigma`` each example's deviation is
    drawn uniformly from ``[-sigma, sigma]``.
    """

    def __init__(
        self,
        sigma: Union[float, Sequence[tuple[int, float]]] = 0.1,
        sample_sigma: bool = True,
        p: float = 0.3,
    ):
        super().__init__()
        self.sigma = sigma
        self.sample_sigma = sample_sigma
        self.p = p
        self.step = 0

    def forward(self, audio: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        if isinstance(self.sigma, (int, float)):
            sigma = float(self.sigma)
        else:
            sigma = schedule_value_for_step(self.sigma, self.step)
            self.step += 1
        shape = (audio.shape[0],) + (1,) * (audio.ndim - 1)
        scale: Union[float, torch.Tensor] = sigma
        if self.sample_sigma:
            scale = sigma * (2 * torch.rand(shape) - 1)
        noise = scale * torch.randn_like(audio)
        noise = noise * random_mask_along_batch_axis(noise, p=1.0 - self.p)
        return torch.clamp(audio + noise, -1.0, 1.0)


def time_warp(features: torch.Tensor, factor: int) -> torch.Tensor:
    """SpecAugment's time warp of one ``(T, F)`` matrix.

    A centre frame is drawn in ``[factor + 1, T - factor)`` and moved by up to
    ``factor`` frames; both sides are resized (bicubic) to meet there.
    Matrices too short for ``factor`` are returned unchanged.
    """
    t = features.size(0)
    if t - factor <= factor + 1:
        return features
    center = int(torch.randint(factor + 1, t - factor, ()))
    warped = int(torch.randint(center - factor, center + factor + 1, ()))
    if warped == center:
        return features
    x = features.unsqueeze(0).unsqueeze(0)
    dim = features.size(1)
    left = torch.nn.functional.interpolate(
        x[:, :, :center], size=(warped, dim), mode="bicubic", align_corners=False
    )
    right = torch.nn.functional.interpolate(
        x[:, :, center:], size=(t - warped, dim), mode="bicubic", align_corners=False
    )
    return torch.cat((left, right), dim=2)[0, 0]


def _span_masks(lengths: torch.Tensor, max_width: int, count: int, axis_size: int) -> torch.Tensor:
    """``(B, axis_size)`` bool: ``count`` spans per example, widths in ``[0, max_width)``.

    Each span starts uniformly where it fits within the example's ``lengths``.
    """
    batch = lengths.shape[0]
    if count <= 0 or max_width <= 0:
        return torch.zeros(batch, axis_size, dtype=torch.bool)
    widths = torch.randint(0, max_width, (batch, count))
    room = (lengths.unsqueeze(1) - widths).clamp(min=0).to(torch.float32)
    starts = (torch.rand(batch, count) * room).long()
    ends = starts + widths
    pos = torch.arange(axis_size).view(1, 1, -1)
    return ((pos >= starts.unsqueeze(2)) & (pos < ends.unsqueeze(2))).any(dim=1)


class SpecAugment(torch.nn.Module):
    """SpecAugment on a ``(B, T, F)`` batch: time warp, frequency masks, time masks.

    Each example is augmented with probability ``p``.  Masks are filled with
    the example's mean.  Time masks are limited to ``max_frames_mask_fraction``
    of the frames in total.  With ``supervision_segments`` (rows of
    ``sequence_idx, start_frame, num_frames``) warping is applied to each
    supervised span separately and masking to whole examples.

    >>> feats = torch.randn(2, 300, 80)
    >>> SpecAugment(p=1.0)(feats).shape
    torch.Size([2, 300, 80])
    """

    def __init__(
        self,
        time_warp_factor: Optional[int] = 80,
        num_feature_masks: int = 2,
        features_mask_size: int = 27,
        num_frame_masks: int = 10,
        frames_mask_size: int = 100,
        max_frames_mask_fraction: float = 0.15,
        p: float = 0.9,
    ):
        super().__init__()
        for name, ok in (
            ("p", 0 <= p <= 1),
            ("num_feature_masks", num_feature_masks >= 0),
            ("num_frame_masks", num_frame_masks >= 0),
            ("features_mask_size", features_mask_size > 0),
            ("frames_mask_size", frames_mask_size > 0),
        ):
            if not ok:
                raise ValueError(f"SpecAugment: invalid {name}={locals()[name]!r}")
        self.time_warp_factor = time_warp_factor
        self.num_feature_masks = num_feature_masks
        self.features_mask_size = features_mask_size
        self.num_frame_masks = num_frame_masks
        self.frames_mask_size = frames_mask_size
        self.max_frames_mask_fraction = max_frames_mask_fraction
        self.p = p

    def _warps(self) -> bool:
        return self.time_warp_factor is not None and self.time_warp_factor >= 1

    def forward(
        self,
        features: torch.Tensor,
        supervision_segments: Optional[torch.IntTensor] = None,
        *args: Any,
        **kwargs: Any,
    ) -> torch.Tensor:
        if features.ndim != 3:
            raise AssertionError(
                f"SpecAugment takes a (batch, frames, features) tensor, got shape {tuple(features.shape)}"
            )
        features = features.clone()
        batch = features.shape[0]
        if supervision_segments is None:
            chosen = torch.rand(batch) <= self.p
            if self._warps():
                for i in chosen.nonzero().flatten().tolist():
                    features[i] = time_warp(features[i], self.time_warp_factor)
        else:
            if self._warps():
                for seq, start, num in supervision_segments.tolist():
                    if float(torch.rand(())) <= self.p:
                        end = start + num
                        features[seq, start:end] = time_warp(
                            features[seq, start:end], self.time_warp_factor
                        )
            chosen = torch.rand(batch) <= self.p
        if chosen.any():
            features = self._mask(features, chosen)
        return features

    def _mask(self, features: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
        batch, frames, dims = features.shape
        masked = _span_masks(
            torch.full((batch,), dims), self.features_mask_size, self.num_feature_masks, dims
        ).unsqueeze(1)
        budget = self.max_frames_mask_fraction * frames
        count = min(self.num_frame_masks, math.ceil(budget / self.frames_mask_size))
        if count > 0:
            width = int(min(self.frames_mask_size, budget // count))
            time = _span_masks(torch.full((batch,), frames), width, count, frames).unsqueeze(2)
            masked = masked | time
        masked = masked & chosen.view(-1, 1, 1)
        means = features.mean(dim=(1, 2), keepdim=True)
        return torch.where(masked, means.to(features.dtype), features)

    def state_dict(self, **kwargs: Any) -> dict[str, Any]:
        return {
            "time_warp_factor": self.time_warp_factor,
            "num_feature_masks": self.num_feature_masks,
            "features_mask_size": self.features_mask_size,
            "num_frame_masks": self.num_frame_masks,
            "frames_mask_size": self.frames_mask_size,
            "max_frames_mask_fraction": self.max_frames_mask_fraction,
            "p": self.p,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        for key in self.state_dict():
            if key in state_dict:
                setattr(self, key, state_dict[key])


class DereverbWPE(torch.nn.Module):
    """Weighted Prediction Error dereverberation of ``(B, T)`` or ``(B, C, T)`` audio.

    Uses the ``nara_wpe`` package (its defaults: 512-point FFT, hop 128).
    """

    def __init__(self, n_fft: int = 512, hop_length: int = 128):
        super().__init__()
        self.n_fft = n_fft
        self.hop_length = hop_length

    def _one(self, audio: torch.Tensor) -> torch.Tensor:
        """Dereverberate one ``(C, T)`` signal."""
        from nara_wpe.torch_wpe import wpe_v6

        window = torch.hann_window(self.n_fft, device=audio.device)
        spec = torch.stft(
            audio, n_fft=self.n_fft, hop_length=self.hop_length, window=window, return_complex=True
        )
        # nara_wpe wants (frequency, channels, frames)
        out = wpe_v6(spec.permute(1, 0, 2))
        out = out.permute(1, 0, 2)
        return torch.istft(
            out, n_fft=self.n_fft, hop_length=self.hop_length, window=window, length=audio.shape[-1]
        )

    def forward(self, audio: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        if audio.ndim == 2:
            return torch.cat([self._one(a.unsqueeze(0)) for a in audio], dim=0)
        if audio.ndim != 3:
            raise ValueError(f"DereverbWPE takes (B, T) or (B, C, T) audio, got {tuple(audio.shape)}")
        return torch.stack([self._one(a) for a in audio], dim=0)
