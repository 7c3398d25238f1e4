"""The base of every audio transform: serialisation, the name registry, time mapping.

A :class:`~nuptse.audio.Recording` does not store perturbed audio; it stores
the recipe.  Each transform is a small picklable dataclass that

* turns ``(channels, samples)`` float32 audio at a rate into new audio
  (``__call__``);
* maps a requested ``offset``/``duration`` of its output back to the span of
  its input that has to be decoded (``reverse_timestamps``), so a short read
  of a perturbed recording decodes only what it needs;
* serializes to lhotse's ``{"name": <class name>, "kwargs": {...}}``; every
  subclass registers under its class name, so :meth:`AudioTransform.from_dict`
  finds it when a manifest is read.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Optional

import numpy as np

from nuptse.timing import compute_num_samples, perturb_num_samples, samples_to_seconds


class UnknownTransformError(ValueError):
    """A manifest names a transform that nuptse does not implement."""


class AudioTransform:
    """Base class: subclasses register themselves by class name for :meth:`from_dict`."""

    KNOWN_TRANSFORMS: ClassVar[dict[str, type]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        AudioTransform.KNOWN_TRANSFORMS.setdefault(cls.__name__, cls)

    def to_dict(self) -> dict:
        kwargs = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {"name": type(self).__name__, "kwargs": kwargs}

    @staticmethod
    def from_dict(data: dict) -> AudioTransform:
        """Build a transform from ``{"name": ..., "kwargs": ...}``.

        >>> AudioTransform.from_dict({"name": "Volume", "kwargs": {"factor": 0.5}})
        Volume(factor=0.5)
        """
        if isinstance(data, AudioTransform):
            return data
        name = data.get("name")
        cls = AudioTransform.KNOWN_TRANSFORMS.get(name)
        if cls is None:
            raise UnknownTransformError(
                f"Unknown audio transform {name!r} in {data!r}; nuptse implements "
                f"{sorted(AudioTransform.KNOWN_TRANSFORMS)}"
            )
        return cls(**dict(data.get("kwargs") or {}))

    def __call__(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        raise NotImplementedError

    def reverse_timestamps(
        self, offset: float, duration: Optional[float], sampling_rate: int
    ) -> tuple[float, Optional[float]]:
        """The input span (seconds) needed for output span ``offset``/``duration``."""
        return offset, duration

    def input_sampling_rate(self) -> Optional[int]:
        """The rate this transform expects its input at, if it records one (``Resample``)."""
        return None

    def output_sampling_rate(self, sampling_rate: int) -> int:
        """The rate of the output for input at ``sampling_rate`` (unchanged by default)."""
        return sampling_rate

    def with_path_prefix(self, path) -> AudioTransform:
        """A copy whose embedded file paths (if any) are joined to ``path``."""
        return self


def stretch_span(
    factor: float, offset: float, duration: Optional[float], sampling_rate: int
) -> tuple[float, Optional[float]]:
    # Output time t maps to input time t * factor; work in samples for exactness.
    start = perturb_num_samples(compute_num_samples(offset, sampling_rate), 1 / factor)
    num = (
        None
        if duration is None
        else perturb_num_samples(compute_num_samples(duration, sampling_rate), 1 / factor)
    )
    return (
        samples_to_seconds(start, sampling_rate),
        None if num is None else samples_to_seconds(num, sampling_rate),
    )


#: The Recording class, registered by :mod:`nuptse.audio.recording` when it is
#: imported (``import nuptse.audio`` always does).  Transforms that hold a
#: recording (the RIR of a reverb) deserialize it through this instead of
#: importing the recording module, which imports this one.
_RECORDING_TYPE: list = []


def register_recording_type(cls: type) -> None:
    _RECORDING_TYPE[:] = [cls]


def recording_type() -> type:
    if not _RECORDING_TYPE:
        import importlib

        importlib.import_module("nuptse.audio")
    return _RECORDING_TYPE[0]


def audio_array(samples, what: str) -> np.ndarray:
    """``samples`` (numpy or a torch tensor) as a numpy array shaped ``(channels, samples)``."""
    if hasattr(samples, "detach") and not isinstance(samples, np.ndarray):
        samples = samples.detach().cpu().numpy()
    x = np.asarray(samples)
    if x.ndim != 2:
        raise ValueError(f"{what}: expected audio shaped (channels, samples), got shape {x.shape}")
    return x


def optional_module(name: str, pip_name: str, what: str):
    """Import the optional dependency ``name``, or say which package ``what`` needs."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise ImportError(f"{what} needs the {pip_name} package: pip install {pip_name}") from e


__all__ = [
    "AudioTransform",
    "audio_array",
    "optional_module",
    "UnknownTransformError",
    "recording_type",
    "register_recording_type",
    "stretch_span",
]
