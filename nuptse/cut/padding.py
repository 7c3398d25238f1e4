"""Silence (zeros in audio, a constant in features) used to pad cuts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nuptse.cut.base import Cut, CutError, register_cut_type, uuid_id
from nuptse.timing import (
    add_durations,
    compute_num_frames,
    compute_num_samples,
    perturb_num_samples,
    samples_to_seconds,
)


@register_cut_type
@dataclass(eq=True)
class PaddingCut(Cut):
    """A stretch of padding: ``num_samples`` zeros and ``num_frames`` rows of ``feat_value``.

    >>> p = PaddingCut(id="p", duration=0.5, sampling_rate=16000, feat_value=-23.0,
    ...                num_samples=8000)
    >>> p.load_audio().shape
    (1, 8000)
    """

    id: str
    duration: float
    sampling_rate: int
    feat_value: float
    num_frames: int | None = None
    num_features: int | None = None
    frame_shift: float | None = None
    num_samples: int | None = None
    video: Any = None
    custom: dict | None = None

    start = 0.0
    channel = 0

    @property
    def end(self) -> float:
        return self.duration

    @property
    def supervisions(self) -> list:
        return []

    @property
    def has_recording(self) -> bool:
        return self.num_samples is not None

    @property
    def has_features(self) -> bool:
        return self.num_frames is not None

    @property
    def has_video(self) -> bool:
        return False

    @property
    def recording_id(self) -> str:
        return "PAD"

    @property
    def recording(self):
        return None

    @property
    def features(self):
        return None

    @property
    def num_channels(self) -> int:
        return 1

    def load_audio(self, *args, **kwargs) -> np.ndarray | None:
        """``(1, num_samples)`` zeros (None without samples); takes and ignores the
        arguments other cut types' ``load_audio`` take, so any cut can be loaded alike."""
        if self.num_samples is None:
            return None
        return np.zeros((1, self.num_samples), dtype=np.float32)

    def load_features(self, *args, **kwargs) -> np.ndarray | None:
        """``(num_frames, num_features)`` of ``feat_value`` (None without frames); takes and
        ignores other cut types' ``load_features`` arguments."""
        if self.num_frames is None:
            return None
        return np.full((self.num_frames, self.num_features), self.feat_value, dtype=np.float32)

    def _resized(self, duration: float, sampling_rate: int | None = None, **extra) -> PaddingCut:
        sr = sampling_rate or self.sampling_rate
        return self._copy(
            duration=duration,
            sampling_rate=sr,
            num_samples=compute_num_samples(duration, sr) if self.has_recording else None,
            num_frames=(
                compute_num_frames(duration, self.frame_shift, sr) if self.has_features else None
            ),
            **extra,
        )

    def truncate(
        self,
        *,
        offset: float = 0.0,
        duration: float | None = None,
        keep_excessive_supervisions: bool = True,
        preserve_id: bool = False,
        _supervisions_index=None,
    ) -> PaddingCut:
        avail = samples_to_seconds(
            compute_num_samples(self.duration, self.sampling_rate)
            - compute_num_samples(offset, self.sampling_rate),
            self.sampling_rate,
        )
        new = avail if duration is None else min(duration, avail)
        if new <= 0:
            raise CutError(f"padding cut {self.id!r}: truncating at {offset}s leaves nothing")
        return self._resized(new, id=self.id if preserve_id else uuid_id())

    def perturb_speed(self, factor: float, affix_id: bool = True) -> PaddingCut:
        n = perturb_num_samples(compute_num_samples(self.duration, self.sampling_rate), factor)
        return self._resized(
            samples_to_seconds(n, self.sampling_rate),
            id=f"{self.id}_sp{factor}" if affix_id else self.id,
        )

    def perturb_tempo(self, factor: float, affix_id: bool = True) -> PaddingCut:
        n = perturb_num_samples(compute_num_samples(self.duration, self.sampling_rate), factor)
        return self._resized(
            samples_to_seconds(n, self.sampling_rate),
            id=f"{self.id}_tp{factor}" if affix_id else self.id,
        )

    def perturb_volume(self, factor: float, affix_id: bool = True) -> PaddingCut:
        return self._copy(id=f"{self.id}_vp{factor}" if affix_id else self.id)

    def reverb_rir(
        self,
        rir_recording=None,
        normalize_output: bool = True,
        early_only: bool = False,
        affix_id: bool = True,
        rir_channels: list[int] | tuple[int, ...] = (0,),
        room_rng_seed: int | None = None,
        source_rng_seed: int | None = None,
    ) -> PaddingCut:
        """Silence stays silence; only the id changes (with ``affix_id``)."""
        return self._copy(id=f"{self.id}_rvb" if affix_id else self.id)

    def normalize_loudness(self, target: float, affix_id: bool = False) -> PaddingCut:
        """Silence stays silence; only the id changes (with ``affix_id``)."""
        return self._copy(id=f"{self.id}_ln{target}" if affix_id else self.id)

    def dereverb_wpe(self, affix_id: bool = True) -> PaddingCut:
        return self._copy(id=f"{self.id}_wpe" if affix_id else self.id)

    def extend_by(
        self,
        *,
        duration: float,
        direction: str = "both",
        preserve_id: bool = False,
        pad_silence: bool = True,
    ) -> PaddingCut:
        """Longer padding: ``duration`` s more on each side named by ``direction``."""
        grow = 2 * duration if direction == "both" else duration
        new = add_durations(self.duration, grow, sampling_rate=self.sampling_rate)
        if new <= 0:
            raise CutError(f"padding cut {self.id!r}: extend_by({duration}) leaves nothing")
        return self._resized(new, id=self.id if preserve_id else uuid_id())

    def compute_and_store_features(self, extractor, storage=None, augment_fn=None) -> PaddingCut:
        """Padding that now also spans the frames ``extractor`` would give (nothing is
        stored: padding features are ``feat_value``)."""
        sr = self.sampling_rate
        return self._copy(
            num_features=extractor.feature_dim(sr),
            num_frames=compute_num_frames(self.duration, extractor.frame_shift, sr),
            frame_shift=extractor.frame_shift,
        )

    def fill_supervision(self, add_empty: bool = True, shrink_ok: bool = False) -> PaddingCut:
        return self

    def merge_supervisions(
        self, merge_policy: str = "delimiter", custom_merge_fn=None
    ) -> PaddingCut:
        return self

    def move_to_memory(
        self,
        audio_format: str = "flac",
        load_audio: bool = True,
        load_features: bool = True,
        load_custom: bool = True,
    ) -> PaddingCut:
        return self

    def drop_in_memory_data(self) -> PaddingCut:
        return self

    @property
    def is_in_memory(self) -> bool:
        return False

    def resample(self, sampling_rate: int, affix_id: bool = False) -> PaddingCut:
        n = compute_num_samples(self.duration, sampling_rate)
        return self._resized(
            samples_to_seconds(n, sampling_rate),
            sampling_rate=sampling_rate,
            id=f"{self.id}_rs{sampling_rate}" if affix_id else self.id,
        )

    def with_recording_path_prefix(self, path) -> PaddingCut:
        return self

    def with_features_path_prefix(self, path) -> PaddingCut:
        return self

    def drop_features(self) -> PaddingCut:
        return self._copy(num_frames=None, num_features=None, frame_shift=None)

    def drop_recording(self) -> PaddingCut:
        return self._copy(num_samples=None)

    def drop_supervisions(self) -> PaddingCut:
        return self

    def drop_alignments(self) -> PaddingCut:
        return self

    def filter_supervisions(self, predicate) -> PaddingCut:
        return self

    def map_supervisions(self, transform_fn) -> PaddingCut:
        return self

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"id": self.id, "duration": self.duration}
        for key in (
            "sampling_rate",
            "feat_value",
            "num_frames",
            "num_features",
            "frame_shift",
            "num_samples",
        ):
            value = getattr(self, key)
            if value is not None:
                d[key] = value
        if self.video is not None:
            d["video"] = self.video.to_dict() if hasattr(self.video, "to_dict") else self.video
        if self.custom:
            from nuptse.cut.custom import custom_to_dict

            d["custom"] = custom_to_dict(self.custom)
        d["type"] = "PaddingCut"
        return d

    @classmethod
    def from_dict(cls, data: dict) -> PaddingCut:
        custom = data.get("custom")
        if custom:
            from nuptse.cut.custom import custom_from_dict

            custom = custom_from_dict(custom)
        return cls(
            id=data["id"],
            duration=data["duration"],
            sampling_rate=data["sampling_rate"],
            feat_value=data["feat_value"],
            num_frames=data.get("num_frames"),
            num_features=data.get("num_features"),
            frame_shift=data.get("frame_shift"),
            num_samples=data.get("num_samples"),
            video=data.get("video"),
            custom=custom or None,
        )
