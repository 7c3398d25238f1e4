"""The feature extractor interface and the name -> class registry.

A :class:`FeatureExtractor` turns audio samples into a ``(frames, dims)``
matrix.  Its configuration is a dataclass, so an extractor serializes to a flat
dict (the config fields plus ``feature_type``, lhotse's layout) and back, and
an extractor can be recreated from a YAML file by its registered ``name``.

Nothing here imports torch: the built-in extractors that need it live in
:mod:`nuptse.features.kaldi.extractors` and are imported when first asked for
by name.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import logging
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Optional, Union

import numpy as np

from nuptse.features.manifest import Features, store_feature_array
from nuptse.serialization import Pathlike, load_yaml, save_to_yaml
from nuptse.timing import (
    Seconds,
    compute_num_frames,
    round_time,
    samples_to_seconds,
)

logger = logging.getLogger(__name__)

#: ``augment_fn(samples, sampling_rate) -> samples`` applied to audio before extraction.
AugmentFn = Callable[[np.ndarray, int], np.ndarray]

#: Smallest energy / value used to keep logarithms and SNR gains finite.
EPSILON = 1e-10

FEATURE_EXTRACTORS: dict[str, type[FeatureExtractor]] = {}

#: Modules that register the built-in extractors; imported when a name is unknown.
_BUILTIN_EXTRACTOR_MODULES = (
    "nuptse.features.kaldi.extractors",
    "nuptse.features.fbank",
    "nuptse.features.mfcc",
    "nuptse.features.spectrogram",
    "nuptse.features.librosa_fbank",
    "nuptse.features.whisper_fbank",
    "nuptse.features.kaldifeat",
    "nuptse.features.ssl",
    "nuptse.features.opensmile",
)


class UnknownFeatureExtractorError(KeyError):
    """No extractor is registered under the requested ``feature_type`` name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class FeatureMixingNotSupportedError(ValueError, NotImplementedError):
    """The extractor's features cannot be mixed without the audio (e.g. MFCCs).

    A ValueError as in lhotse (and a NotImplementedError, as the method is
    simply not provided).
    """


# --- config (de)serialization ---------------------------------------------------------


def config_to_dict(config: Any) -> dict[str, Any]:
    """A config dataclass as a dict without ``None`` fields (lhotse's layout)."""
    to_dict = getattr(config, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    if dataclasses.is_dataclass(config):
        return {f.name: v for f, v in _shallow_items(config) if v is not None}
    raise TypeError(
        f"feature extractor config {config!r} is neither a dataclass nor has a to_dict() method"
    )


def _shallow_items(config: Any):
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)
        yield f, value


def config_from_dict(config_type: type, data: dict[str, Any]) -> Any:
    """Build ``config_type`` from ``data``, naming any field the config does not have."""
    from_dict = getattr(config_type, "from_dict", None)
    if dataclasses.is_dataclass(config_type):
        known = {f.name for f in dataclasses.fields(config_type)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"{config_type.__name__} has no field(s) {unknown}; known fields: {sorted(known)}"
            )
    if callable(from_dict):
        return from_dict(dict(data))
    return config_type(**data)


def _device_name(device: Any) -> Any:
    """A device as YAML-friendly text: ``cuda:1`` is stored as ``cuda``."""
    if isinstance(device, str) or device is None:
        return device
    return getattr(device, "type", str(device))


# --- the interface --------------------------------------------------------------------


class FeatureExtractor(metaclass=ABCMeta):
    """Base class of every feature extractor.

    A subclass sets ``name`` and ``config_type`` (a dataclass), and implements
    :meth:`extract`, :attr:`frame_shift` and :meth:`feature_dim`.  Extractors
    whose features can be mixed without the audio also implement the static
    methods :meth:`mix` and :meth:`compute_energy`.  The storing pipelines
    (:meth:`extract_from_samples_and_store`,
    :meth:`extract_from_recording_and_store`) are shared by all extractors.
    """

    name: ClassVar[Optional[str]] = None
    config_type: ClassVar[Optional[type]] = None

    def __init__(self, config: Optional[Any] = None):
        if config is None:
            if self.config_type is None:
                raise TypeError(f"{type(self).__name__} defines no config_type to default to")
            config = self.config_type()
        elif self.config_type is not None and not isinstance(config, self.config_type):
            raise TypeError(
                f"{type(self).__name__} expects a {self.config_type.__name__} config, "
                f"got {type(config).__name__}: {config!r}"
            )
        self.config = config

    def __repr__(self) -> str:
        return f"{type(self).__name__}(config={self.config!r})"

    # --- what every extractor implements --------------------------------------------

    @abstractmethod
    def extract(self, samples: np.ndarray, sampling_rate: int) -> np.ndarray:
        """The feature matrix ``(num_frames, feature_dim)`` of ``samples``."""

    @property
    @abstractmethod
    def frame_shift(self) -> Seconds:
        """Seconds between consecutive frames."""

    @abstractmethod
    def feature_dim(self, sampling_rate: int) -> int:
        """Number of values per frame for audio at ``sampling_rate``."""

    @property
    def device(self) -> Union[str, Any]:
        """Where the computation runs (``"cpu"`` unless the extractor says otherwise)."""
        return "cpu"

    # --- feature-domain mixing ------------------------------------------------------

    @staticmethod
    def mix(
        features_a: np.ndarray, features_b: np.ndarray, energy_scaling_factor_b: float
    ) -> np.ndarray:
        """Mix two equally shaped feature matrices, scaling ``b``'s energy first."""
        raise FeatureMixingNotSupportedError(
            "this feature extractor does not support feature-domain mixing; "
            "mix the audio and extract features from the mixture instead"
        )

    @staticmethod
    def compute_energy(features: np.ndarray) -> float:
        """Total (positive, never zero) energy of a feature matrix, for SNR gains."""
        raise FeatureMixingNotSupportedError(
            "this feature extractor does not support feature-domain mixing, "
            "so it cannot compute the energy of its features"
        )

    # --- batches --------------------------------------------------------------------

    def extract_batch(
        self,
        samples: Union[np.ndarray, Sequence[np.ndarray], Any],
        sampling_rate: int,
        lengths: Optional[Sequence[int]] = None,
    ) -> Union[np.ndarray, list[np.ndarray], Any]:
        """Features of several signals.

        ``samples`` is a list of 1-D signals, a 2-D array of equally long
        signals, or (with ``lengths``) a padded ``(batch, max_len)`` array.
        Returns one stacked array when every result has the same shape, else a
        list.  This default extracts the signals one by one.
        """
        signals = split_batch(samples, lengths)
        results = [self.extract(s, sampling_rate) for s in signals]
        return stack_if_same_shape(results, as_list=isinstance(samples, list))

    # --- pipelines ------------------------------------------------------------------

    def extract_from_samples_and_store(
        self,
        samples: np.ndarray,
        storage: Any,
        sampling_rate: int,
        offset: Seconds = 0,
        channel: Optional[Union[int, list[int]]] = None,
        augment_fn: Optional[AugmentFn] = None,
    ) -> Features:
        """Augment, extract and store ``samples``; describe the result.

        The returned :class:`Features` names no recording: this is meant for
        audio that is not one recording's, such as a mixed cut.
        """
        if augment_fn is not None:
            samples = augment_fn(samples, sampling_rate)
        num_samples = samples.shape[-1]
        duration = round_time(samples_to_seconds(num_samples, sampling_rate))
        feats = self.extract(samples=samples, sampling_rate=sampling_rate)
        feats = _as_numpy(feats)
        _check_features(self, feats, duration, sampling_rate)
        storage_key = store_feature_array(feats, storage=storage)
        return Features(
            type=self.name,
            num_frames=feats.shape[0],
            num_features=feats.shape[1],
            frame_shift=self.frame_shift,
            sampling_rate=sampling_rate,
            start=offset,
            duration=duration,
            storage_type=storage.name,
            storage_path=_storage_path(storage),
            storage_key=storage_key,
            channels=channel,
        )

    def extract_from_recording_and_store(
        self,
        recording: Any,
        storage: Any,
        offset: Seconds = 0,
        duration: Optional[Seconds] = None,
        channels: Optional[Union[int, list[int]]] = None,
        augment_fn: Optional[AugmentFn] = None,
    ) -> Features:
        """Load ``recording``'s audio, augment, extract and store; describe the result.

        The manifest's ``duration`` is ``duration`` or the rest of the
        recording after ``offset``; ``channels`` default to all of the
        recording's channels.
        """
        samples = recording.load_audio(offset=offset, duration=duration, channels=channels)
        if augment_fn is not None:
            samples = augment_fn(samples, recording.sampling_rate)
        feats = _as_numpy(self.extract(samples=samples, sampling_rate=recording.sampling_rate))
        key = store_feature_array(feats, storage=storage)
        return self._describe_recording_features(
            recording, feats, key, storage, offset, duration, channels
        )

    def _describe_recording_features(
        self,
        recording: Any,
        feats: np.ndarray,
        storage_key: Any,
        storage: Any,
        offset: Seconds,
        duration: Optional[Seconds],
        channels: Optional[Union[int, list[int]]],
    ) -> Features:
        if duration is None:
            duration = round_time(recording.duration - offset)
        _check_features(self, feats, duration, recording.sampling_rate, recording.id)
        return Features(
            type=self.name,
            num_frames=feats.shape[0],
            num_features=feats.shape[1],
            frame_shift=self.frame_shift,
            sampling_rate=recording.sampling_rate,
            start=offset,
            duration=duration,
            storage_type=storage.name,
            storage_path=_storage_path(storage),
            storage_key=storage_key,
            recording_id=recording.id,
            channels=channels if channels is not None else recording.channel_ids,
        )

    # --- serialization --------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict) -> FeatureExtractor:
        """An extractor from its dict; ``feature_type`` names the class."""
        data = dict(data)
        try:
            feature_type = data.pop("feature_type")
        except KeyError:
            raise ValueError(
                f"a feature extractor dict needs a 'feature_type' key; got keys {sorted(data)}"
            ) from None
        extractor_type = get_extractor_type(feature_type)
        config = config_from_dict(extractor_type.config_type, data)
        return extractor_type(config)

    def to_dict(self) -> dict[str, Any]:
        """The config fields plus ``feature_type`` (this extractor's ``name``)."""
        data = config_to_dict(self.config)
        data["feature_type"] = self.name
        return data

    @classmethod
    def from_yaml(cls, path: Pathlike) -> FeatureExtractor:
        data = load_yaml(path)
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of config fields, got {data!r}")
        try:
            return cls.from_dict(data)
        except (ValueError, TypeError, KeyError) as e:
            raise type(e)(f"{path}: {e}") from None

    def to_yaml(self, path: Pathlike) -> None:
        data = self.to_dict()
        if "device" in data:
            data["device"] = _device_name(data["device"])
        save_to_yaml(data, path)


# --- registry -------------------------------------------------------------------------


def register_extractor(cls):
    """Class decorator: make ``cls`` creatable from its ``name`` (and YAML configs).

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class HalfConfig:
    ...     scale: float = 0.5
    >>> @register_extractor
    ... class Half(FeatureExtractor):
    ...     name = "doc-half"
    ...     config_type = HalfConfig
    ...     frame_shift = 0.01
    ...     def extract(self, samples, sampling_rate):
    ...         return samples.reshape(-1, 1) * self.config.scale
    ...     def feature_dim(self, sampling_rate):
    ...         return 1
    >>> get_extractor_type("doc-half") is Half
    True
    >>> create_default_feature_extractor("doc-half").to_dict()
    {'scale': 0.5, 'feature_type': 'doc-half'}
    """
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise ValueError(f"{cls!r} needs a non-empty string class attribute 'name' to register")
    FEATURE_EXTRACTORS[name] = cls
    return cls


def get_extractor_type(name: str) -> type[FeatureExtractor]:
    """The extractor class registered under ``name`` (e.g. ``"kaldi-fbank"``)."""
    if name not in FEATURE_EXTRACTORS:
        _import_builtin_extractors()
    try:
        return FEATURE_EXTRACTORS[name]
    except KeyError:
        raise UnknownFeatureExtractorError(
            f"no feature extractor is registered as {name!r}; known names: "
            f"{', '.join(sorted(FEATURE_EXTRACTORS))}"
        ) from None


def create_default_feature_extractor(name: str) -> Optional[FeatureExtractor]:
    """A new extractor of the type registered as ``name``, with its default config."""
    return get_extractor_type(name)()


def _import_builtin_extractors() -> None:
    for module in _BUILTIN_EXTRACTOR_MODULES:
        try:
            importlib.import_module(module)
        except ImportError as e:  # a module whose own dependencies are missing
            logger.debug("could not import %s: %s", module, e)


class LogEnergyMixing:
    """Feature-domain mixing for features that are natural logs of energies.

    Mixed as energies, ``log(max(1e-10, e^a + g e^b))``; the energy of a
    matrix is ``sum e^x`` (floored at 1e-10 so SNR gains stay finite); scaling
    the audio's energy by ``g`` adds ``log g``.  Put it before the extractor
    base class: ``class Fbank(LogEnergyMixing, FeatureExtractor)``.
    """

    @staticmethod
    def mix(
        features_a: np.ndarray, features_b: np.ndarray, energy_scaling_factor_b: float
    ) -> np.ndarray:
        return np.log(
            np.maximum(EPSILON, np.exp(features_a) + energy_scaling_factor_b * np.exp(features_b))
        )

    @staticmethod
    def compute_energy(features: np.ndarray) -> float:
        return max(float(np.sum(np.exp(np.asarray(features, dtype=np.float64)))), EPSILON)

    @staticmethod
    def scale(features: np.ndarray, energy_scaling_factor: float) -> np.ndarray:
        return features + np.log(energy_scaling_factor)


# --- torchaudio-based extractors --------------------------------------------------------


@dataclasses.dataclass
class TorchaudioFramingConfig:
    """Framing options of the torchaudio-named configs (torchaudio's names; times in seconds)."""

    dither: float = 0.0
    window_type: str = "povey"
    frame_length: Seconds = 0.025  # torchaudio's option is in milliseconds
    frame_shift: Seconds = 0.01
    remove_dc_offset: bool = True
    round_to_power_of_two: bool = True
    energy_floor: float = EPSILON
    min_duration: float = 0.0
    preemphasis_coefficient: float = 0.97
    raw_energy: bool = True

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        return cls(**data)


@dataclasses.dataclass
class TorchaudioMelConfig(TorchaudioFramingConfig):
    """Framing plus the mel bank options (``fbank`` and ``mfcc``)."""

    low_freq: float = 20.0
    high_freq: float = -400.0
    num_mel_bins: int = 80
    use_energy: bool = False
    vtln_low: float = 100.0
    vtln_high: float = -500.0
    vtln_warp: float = 1.0


class TorchaudioFeatureExtractor(FeatureExtractor):
    """Base of lhotse's ``torchaudio.compliance.kaldi`` extractors (``fbank``, ``mfcc``, ``spectrogram``).

    Their configs keep torchaudio's option names, but the built-in ones
    compute on nuptse's Kaldi layers, so torchaudio is not needed: a subclass
    names the layer in ``layer_type`` and translates its config in
    :meth:`_layer_kwargs`.  Frames are always centred (``snip_edges=False``)
    and the logs are floored at FLT_EPSILON as torchaudio and Kaldi do
    (``kaldi_log_floor=True``); only the first channel is used, as in
    torchaudio.  A user subclass may still implement ``_feature_fn(waveform,
    **torchaudio_kwargs)`` instead, as in lhotse; it then receives every
    config field with frame length and shift in milliseconds.
    """

    layer_type: ClassVar[Optional[str]] = None  # "module:Class" of a Kaldi layer

    def extract(self, samples: Any, sampling_rate: int) -> np.ndarray:
        import torch

        waveform = samples if isinstance(samples, torch.Tensor) else torch.from_numpy(
            np.ascontiguousarray(samples)
        )
        if waveform.ndim == 1:
            waveform = waveform.unsqueeze(0)
        if self.layer_type is None:
            params = dataclasses.asdict(self.config)
            params.update(
                sample_frequency=sampling_rate,
                snip_edges=False,
                frame_shift=params["frame_shift"] * 1000.0,
                frame_length=params["frame_length"] * 1000.0,
            )
            return self._feature_fn(waveform, **params).to(torch.float32).numpy()
        if waveform.ndim != 2:
            raise ValueError(
                f"{type(self).__name__}.extract takes (num_samples,) or (channels, num_samples) "
                f"audio; got shape {tuple(waveform.shape)}"
            )
        vtln_warp = getattr(self.config, "vtln_warp", 1.0)
        if vtln_warp != 1.0:
            raise ValueError(
                f"{type(self).__name__}: vtln_warp={vtln_warp} is not supported (only 1.0, no "
                "warping)"
            )
        waveform = waveform[:1].to(torch.float32)
        min_duration = getattr(self.config, "min_duration", 0.0)
        if waveform.shape[1] < min_duration * sampling_rate:
            return np.zeros((0, self.feature_dim(sampling_rate)), dtype=np.float32)
        with torch.inference_mode():
            feats = self._layer(sampling_rate)(waveform)[0]
        return feats.to(torch.float32).numpy()

    def _layer(self, sampling_rate: int):
        """The Kaldi layer for ``sampling_rate`` (built once per rate, not pickled)."""
        cache = self.__dict__.setdefault("_layers", {})
        if sampling_rate not in cache:
            module, name = self.layer_type.split(":")
            cls = getattr(importlib.import_module(module), name)
            c = self.config
            kwargs = dict(
                sampling_rate=sampling_rate,
                frame_length=c.frame_length,
                frame_shift=c.frame_shift,
                round_to_power_of_two=c.round_to_power_of_two,
                remove_dc_offset=c.remove_dc_offset,
                preemph_coeff=c.preemphasis_coefficient,
                window_type=c.window_type,
                dither=c.dither,
                snip_edges=False,
                energy_floor=c.energy_floor,
                raw_energy=c.raw_energy,
                kaldi_log_floor=True,
            )
            kwargs.update(self._layer_kwargs())
            cache[sampling_rate] = cls(**kwargs).eval()
        return cache[sampling_rate]

    def _layer_kwargs(self) -> dict[str, Any]:
        """The layer's options beyond the framing ones (mel bank, cepstrum, energy)."""
        return {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_layers", None)
        return state

    def _feature_fn(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} sets no layer_type and does not implement _feature_fn"
        )

    @property
    def frame_shift(self) -> Seconds:
        return self.config.frame_shift


# --- helpers --------------------------------------------------------------------------


def _as_numpy(feats: Any) -> np.ndarray:
    if isinstance(feats, np.ndarray):
        return feats
    detach = getattr(feats, "detach", None)
    if callable(detach):  # a torch tensor
        return feats.detach().cpu().numpy()
    return np.asarray(feats)


def _storage_path(storage: Any) -> Optional[str]:
    path = storage.storage_path
    return None if path is None else str(path)


def _check_features(
    extractor: FeatureExtractor,
    feats: np.ndarray,
    duration: Seconds,
    sampling_rate: int,
    where: Optional[str] = None,
) -> None:
    """Reject feature matrices that cannot describe ``duration`` seconds."""
    if feats.ndim != 2:
        raise ValueError(
            f"{type(extractor).__name__}.extract returned an array of shape {feats.shape}"
            f"{f' for {where}' if where else ''}; expected (num_frames, num_features)"
        )
    expected = compute_num_frames(duration, extractor.frame_shift, sampling_rate)
    if abs(expected - feats.shape[0]) > 1:
        logger.warning(
            "%s%s: %d frames for %.4f s of audio, while %.4f s at %.4f s shift suggests %d",
            type(extractor).__name__,
            f" ({where})" if where else "",
            feats.shape[0],
            duration,
            duration,
            extractor.frame_shift,
            expected,
        )


def split_batch(samples: Any, lengths: Optional[Sequence[int]] = None) -> list:
    """A batch argument of ``extract_batch`` as a list of 1-D signals."""
    if lengths is not None:
        lengths = [int(n) for n in lengths]
        if len(lengths) != len(samples):
            raise ValueError(
                f"got {len(lengths)} lengths for a batch of {len(samples)} padded signals"
            )
        return [samples[i][:n] for i, n in enumerate(lengths)]
    if isinstance(samples, (list, tuple)):
        return [_squeeze(s) for s in samples]
    if samples.ndim == 1:
        return [samples]
    return [samples[i] for i in range(samples.shape[0])]


def _squeeze(x: Any) -> Any:
    if x.ndim == 2 and x.shape[0] == 1:
        return x[0]
    return x


def stack_if_same_shape(results: list, as_list: bool = False) -> Any:
    """One stacked array if all results share a shape, else the list.

    A single result is returned as is (or as a one-item list for list input).
    """
    if len(results) == 1:
        return results if as_list else results[0]
    if results and all(r.shape == results[0].shape for r in results[1:]):
        if isinstance(results[0], np.ndarray):
            return np.stack(results, axis=0)
        import torch

        return torch.stack(results, dim=0)
    return results
