"""The :class:`Recording` manifest: one recording session and how to read it.

A recording has an id, one or more :class:`AudioSource` s that together hold
its channels (one stereo file, or one file per microphone), its sampling
rate, exact ``num_samples`` and ``duration = num_samples / sampling_rate``,
and an optional list of transforms (speed, tempo, volume, resampling,
reverberation) applied lazily when the audio is loaded.

The dict layout is lhotse's, so manifests interchange both ways::

    {"id": ..., "sources": [{"type": "file", "channels": [0], "source": "a.wav"}],
     "sampling_rate": 16000, "num_samples": 16000, "duration": 1.0,
     "channel_ids": [0], "transforms": [{"name": "Speed", "kwargs": {"factor": 1.1}}]}

``load_audio`` returns float32 ``(channels, samples)`` holding exactly
``compute_num_samples(duration, sampling_rate)`` samples (or the rest of the
recording), decoding only the requested span of seekable formats.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from nuptse.audio.backend import info as audio_info
from nuptse.audio.backend import save_audio
from nuptse.audio.errors import (
    AudioLoadingError,
    ChannelNotFoundError,
    DurationMismatchError,
    OffsetOutOfRangeError,
    SamplingRateMismatchError,
)
from nuptse.audio.rir import FastRandomRIRGenerator
from nuptse.audio.shortfall import warn_shortfall
from nuptse.audio.source import AudioSource
from nuptse.audio.transforms import (
    AudioTransform,
    Clipping,
    Compress,
    DereverbWPE,
    LoudnessNormalization,
    Resample,
    ReverbWithImpulseResponse,
    Speed,
    Tempo,
    Volume,
    register_recording_type,
)
from nuptse.audio.transforms.codec import GSM_SAMPLING_RATE
from nuptse.audio.transforms.narrowband import NARROWBAND_SAMPLING_RATE, Narrowband
from nuptse.audio.utils import get_audio_duration_mismatch_tolerance
from nuptse.timing import (
    compute_num_samples,
    perturb_num_samples,
    samples_to_seconds,
)
from nuptse.utils.field_types import CHANNEL, INT, NUMBER, POSITIVE_INT, check_fields

logger = logging.getLogger(__name__)

Channels = Union[int, Sequence[int]]


@dataclass
class Recording:
    """A recording session: its sources, rate, exact length and lazy transforms.

    >>> rec = Recording(
    ...     id="rec1",
    ...     sources=[AudioSource(type="file", channels=[0], source="rec1.wav")],
    ...     sampling_rate=16000, num_samples=32000, duration=2.0,
    ... )
    >>> rec.num_channels
    1
    >>> sp = rec.perturb_speed(1.1)
    >>> sp.id, sp.num_samples, sp.duration
    ('rec1_sp1.1', 29091, 1.8181875)
    """

    id: str
    sources: list[AudioSource]
    sampling_rate: int
    num_samples: int
    duration: float
    channel_ids: Optional[list[int]] = None
    transforms: Optional[list] = field(default=None)

    def __post_init__(self):
        # Dicts (from a manifest) become AudioSources; any other object is kept
        # as it is: it only has to provide ``channels``, ``type`` and ``load_audio``.
        self.sources = [
            AudioSource.from_dict(s) if isinstance(s, dict) else s for s in self.sources
        ]
        if self.channel_ids is None:
            self.channel_ids = sorted(c for s in self.sources for c in s.channels)
        else:
            self.channel_ids = [int(c) for c in self.channel_ids]
        if self.transforms is not None:
            self.transforms = [AudioTransform.from_dict(t) for t in self.transforms]
        self.sampling_rate = int(self.sampling_rate)
        self.num_samples = int(self.num_samples)

    # ------------------------------------------------------------------ properties
    @property
    def num_channels(self) -> int:
        return len(self.channel_ids)

    @property
    def is_in_memory(self) -> bool:
        return any(s.type == "memory" for s in self.sources)

    @property
    def is_placeholder(self) -> bool:
        """True for Shar placeholders whose audio is not attached yet."""
        return any(s.type == "shar" for s in self.sources)

    @property
    def has_video(self) -> bool:
        return any(s.has_video for s in self.sources)

    @property
    def source_format(self) -> str:
        """The sources' common format (e.g. ``"flac"``); raises if they differ."""
        formats = {s.format for s in self.sources}
        if len(formats) != 1:
            raise NotImplementedError(
                f"Recording '{self.id}' mixes source formats {sorted(formats)}"
            )
        return formats.pop()

    @property
    def has_transforms(self) -> bool:
        return bool(self.transforms)

    # ------------------------------------------------------------------ constructors
    @staticmethod
    def from_file(
        path,
        recording_id: Optional[Union[str, Callable[[Path], str]]] = None,
        relative_path_depth: Optional[int] = None,
        force_opus_sampling_rate: Optional[int] = None,
        force_read_audio: bool = False,
    ) -> Recording:
        """Describe one audio file (all its channels) from its header.

        ``recording_id`` is a string, a function of the path, or None for the
        file name's stem.  ``relative_path_depth`` keeps only the last that many
        path components in the stored path.
        """
        path = Path(path)
        if recording_id is None:
            rid = path.stem
        elif callable(recording_id):
            rid = recording_id(path)
        else:
            rid = recording_id
        i = audio_info(
            path,
            force_opus_sampling_rate=force_opus_sampling_rate,
            force_read_audio=force_read_audio,
        )
        if relative_path_depth is not None and relative_path_depth > 0:
            stored = "/".join(path.parts[-relative_path_depth:])
        else:
            stored = str(path)
        return Recording(
            id=rid,
            sources=[AudioSource(type="file", channels=list(range(i.channels)), source=stored)],
            sampling_rate=i.samplerate,
            num_samples=i.frames,
            duration=samples_to_seconds(i.frames, i.samplerate),
        )

    @staticmethod
    def from_bytes(data: bytes, recording_id: str) -> Recording:
        """Describe encoded audio held in memory; loading it does no I/O."""
        i = audio_info(io.BytesIO(data))
        return Recording(
            id=recording_id,
            sources=[AudioSource(type="memory", channels=list(range(i.channels)), source=data)],
            sampling_rate=i.samplerate,
            num_samples=i.frames,
            duration=samples_to_seconds(i.frames, i.samplerate),
        )

    # ------------------------------------------------------------------ (de)serialization
    def to_dict(self) -> dict:
        d = {
            "id": self.id,
            "sources": [s.to_dict() for s in self.sources],
            "sampling_rate": self.sampling_rate,
            "num_samples": self.num_samples,
            "duration": self.duration,
            "channel_ids": list(self.channel_ids),
        }
        if self.transforms is not None:
            d["transforms"] = [t.to_dict() for t in self.transforms]
        return d

    @staticmethod
    def from_dict(data: dict) -> Recording:
        data = dict(data)
        _check_recording_fields(data)
        try:
            return Recording(
                id=data.pop("id"),
                sources=[AudioSource.from_dict(s) for s in data.pop("sources")],
                sampling_rate=data.pop("sampling_rate"),
                num_samples=data.pop("num_samples"),
                duration=data.pop("duration"),
                channel_ids=data.pop("channel_ids", None),
                transforms=data.pop("transforms", None),
                **data,
            )
        except (KeyError, TypeError) as e:
            raise ValueError(f"Not a valid Recording dict ({e}): {data!r}") from e

    # ------------------------------------------------------------------ loading
    def _source_sampling_rate(self) -> int:
        """The rate of the encoded audio: the input rate of the first transform
        that records one (a ``Resample``), else the recording's rate."""
        for t in self.transforms or []:
            if t.input_sampling_rate() is not None:
                return t.input_sampling_rate()
        return self.sampling_rate

    def _requested_channels(self, channels: Optional[Channels]) -> list[int]:
        if channels is None:
            return list(self.channel_ids)
        wanted = [channels] if isinstance(channels, (int, np.integer)) else list(channels)
        missing = [c for c in wanted if c not in self.channel_ids]
        if missing:
            raise ChannelNotFoundError(
                f"Recording '{self.id}' ({self._describe_sources()}) has channels "
                f"{self.channel_ids}; requested {wanted}, of which {missing} do not exist"
            )
        return [int(c) for c in wanted]

    def _describe_sources(self) -> str:
        # Custom source objects (anything with channels/type/load_audio) may lack _describe.
        return ", ".join(
            s._describe() if hasattr(s, "_describe") else repr(s) for s in self.sources
        )

    def load_audio(
        self,
        channels: Optional[Channels] = None,
        offset: float = 0.0,
        duration: Optional[float] = None,
        *,
        allow_commands: Optional[bool] = None,
        tolerance: Optional[float] = None,
    ) -> np.ndarray:
        """Decode the audio as float32 ``(channels, samples)``.

        ``offset``/``duration`` are seconds of this (possibly transformed)
        recording; the result has exactly ``compute_num_samples(duration,
        sampling_rate)`` samples (the rest of the recording when ``duration``
        is None).  Channels come back in the recording's order.  When the
        decoder yields a different count than the manifest implies (lossy
        codecs, transform rounding), up to ``tolerance`` seconds (default
        :func:`~nuptse.audio.utils.get_audio_duration_mismatch_tolerance`,
        0.5 s) are padded with zeros or trimmed; more raises
        :class:`DurationMismatchError`.  ``allow_commands`` lets ``command``
        sources run (see :mod:`nuptse.audio.source`).
        """
        wanted = self._requested_channels(channels)
        sr = self.sampling_rate
        tol = get_audio_duration_mismatch_tolerance() if tolerance is None else tolerance
        allowed = compute_num_samples(tol, sr)
        if offset < 0:
            raise OffsetOutOfRangeError(
                f"Recording '{self.id}' ({self._describe_sources()}): negative offset {offset} s"
            )
        start = compute_num_samples(offset, sr)
        if start > self.num_samples:
            raise OffsetOutOfRangeError(
                f"Recording '{self.id}' ({self._describe_sources()}) lasts {self.duration} s "
                f"({self.num_samples} samples) but offset {offset} s (sample {start}) was requested"
            )
        if duration is None:
            expected = self.num_samples - start
        else:
            if duration < 0:
                raise ValueError(f"Recording '{self.id}': negative duration {duration} s")
            expected = compute_num_samples(duration, sr)
            if start + expected > self.num_samples + allowed:
                raise DurationMismatchError(
                    f"Recording '{self.id}' ({self._describe_sources()}) lasts {self.duration} s "
                    f"({self.num_samples} samples); requested offset {offset} s + duration "
                    f"{duration} s ends {start + expected - self.num_samples} samples past the end"
                )

        if expected == 0:
            return np.zeros((len(self._output_channels(wanted)), 0), dtype=np.float32)

        # Reading everything and trimming is cheaper than a seek for almost-full reads.
        read_offset: float = offset
        read_duration: Optional[float] = duration
        if start == 0 and (duration is None or abs(expected - self.num_samples) <= 1):
            read_offset, read_duration = 0.0, None
        rates = self._rates_before_each_transform()
        for t, rate in zip(reversed(self.transforms or []), reversed(rates)):
            read_offset, read_duration = t.reverse_timestamps(read_offset, read_duration, rate)

        source_rate = self._source_sampling_rate()
        every_channel = channels is None
        per_source = []
        for src in self.sources:
            rows = None  # None: all of this source's channels
            if not every_channel:
                rows = [i for i, c in enumerate(src.channels) if c in wanted]
                if not rows:
                    continue
            try:
                # lhotse's source interface; allow_commands only when given, so that
                # custom source objects with lhotse's signature work too.
                extra = {} if allow_commands is None else {"allow_commands": allow_commands}
                data = src.load_audio(
                    offset=read_offset,
                    duration=read_duration,
                    force_opus_sampling_rate=source_rate,
                    **extra,
                )
            except AudioLoadingError as e:
                raise type(e)(f"Recording '{self.id}': {e}") from e
            if data.shape[0] < len(src.channels):
                raise ChannelNotFoundError(
                    f"Recording '{self.id}': source {src._describe()} declares channels "
                    f"{src.channels} but decodes to {data.shape[0]} channel(s)"
                )
            if rows is None:
                rows = list(range(len(src.channels)))
            if rows == list(range(data.shape[0])):
                per_source.append(data)  # every channel, in order: no copy
            else:
                per_source.append(data[rows])
        if not per_source:
            raise ChannelNotFoundError(
                f"Recording '{self.id}': channels {wanted} are created by its transforms, not "
                f"stored in its sources ({self._describe_sources()}); load all channels instead"
            )
        audio = self._stack(per_source, allowed)

        rate = source_rate
        for t in self.transforms or []:
            audio = t(audio, rate)
            rate = t.output_sampling_rate(rate)
        return self._fix_length(audio, expected, allowed, offset, duration)

    def _output_channels(self, wanted: list[int]) -> list[int]:
        if any(isinstance(t, ReverbWithImpulseResponse) for t in self.transforms or []):
            return list(self.channel_ids) if len(wanted) == len(self.channel_ids) else wanted
        return [c for s in self.sources for c in s.channels if c in wanted]

    def _rates_before_each_transform(self) -> list[int]:
        rate = self._source_sampling_rate()
        rates = []
        for t in self.transforms or []:
            rates.append(rate)
            rate = t.output_sampling_rate(rate)
        return rates

    def _stack(self, arrays: list[np.ndarray], allowed: int) -> np.ndarray:
        if len(arrays) == 1:
            return arrays[0]
        longest = max(a.shape[1] for a in arrays)
        out = []
        for a in arrays:
            short = longest - a.shape[1]
            if short > allowed:
                raise DurationMismatchError(
                    f"Recording '{self.id}': its sources differ in length by {short} samples, "
                    f"more than the tolerance of {allowed} ({self._describe_sources()})"
                )
            out.append(np.pad(a, ((0, 0), (0, short))) if short else a)
        return np.concatenate(out, axis=0)

    def _fix_length(
        self,
        audio: np.ndarray,
        expected: int,
        allowed: int,
        offset: float,
        duration: Optional[float],
    ) -> np.ndarray:
        diff = expected - audio.shape[1]
        if diff == 0:
            return np.ascontiguousarray(audio, dtype=np.float32)
        if abs(diff) > allowed:
            raise DurationMismatchError(
                f"Recording '{self.id}' ({self._describe_sources()}): expected {expected} samples "
                f"(offset={offset}, duration={duration}, sampling_rate={self.sampling_rate}) but "
                f"decoding gave {audio.shape[1]}; the difference {abs(diff)} exceeds the "
                f"tolerance of {allowed} samples. The file may be truncated or the manifest wrong; "
                "raise the tolerance with load_audio(tolerance=...) or "
                "set_audio_duration_mismatch_tolerance() if this is a codec rounding difference."
            )
        if diff > 0:
            where = f"Recording '{self.id}' ({self._describe_sources()})"
            warn_shortfall(where, audio.shape[1], expected, self.sampling_rate)
            audio = np.pad(audio, ((0, 0), (0, diff)))
        else:
            audio = audio[:, :expected]
        return np.ascontiguousarray(audio, dtype=np.float32)

    # ------------------------------------------------------------------ copies
    def _append(self, *steps: AudioTransform, **changes) -> Recording:
        transforms = list(self.transforms or []) + list(steps)
        return dataclasses.replace(self, transforms=transforms, **changes)

    def with_path_prefix(self, path) -> Recording:
        """A copy whose relative file paths, including those of RIR recordings
        inside reverb transforms, are joined to ``path``."""
        transforms = self.transforms
        if transforms is not None:
            transforms = [t.with_path_prefix(path) for t in transforms]
        return dataclasses.replace(
            self, sources=[s.with_path_prefix(path) for s in self.sources], transforms=transforms
        )

    def perturb_speed(self, factor: float, affix_id: bool = True) -> Recording:
        """Lazily change speed (and pitch) by ``factor``; id gets ``_sp{factor}``."""
        n = perturb_num_samples(self.num_samples, factor)
        return self._append(
            Speed(factor=factor),
            id=f"{self.id}_sp{factor}" if affix_id else self.id,
            num_samples=n,
            duration=samples_to_seconds(n, self.sampling_rate),
        )

    def perturb_tempo(self, factor: float, affix_id: bool = True) -> Recording:
        """Lazily change tempo (keeping pitch) by ``factor``; id gets ``_tp{factor}``."""
        n = perturb_num_samples(self.num_samples, factor)
        return self._append(
            Tempo(factor=factor),
            id=f"{self.id}_tp{factor}" if affix_id else self.id,
            num_samples=n,
            duration=samples_to_seconds(n, self.sampling_rate),
        )

    def perturb_volume(self, factor: float, affix_id: bool = True) -> Recording:
        """Lazily scale the amplitude by ``factor``; id gets ``_vp{factor}``."""
        return self._append(
            Volume(factor=factor), id=f"{self.id}_vp{factor}" if affix_id else self.id
        )

    def resample(self, sampling_rate: int) -> Recording:
        """Lazily resample to ``sampling_rate`` (the id is kept)."""
        sampling_rate = int(sampling_rate)
        if sampling_rate == self.sampling_rate:
            return dataclasses.replace(self)
        n = compute_num_samples(self.duration, sampling_rate)
        return self._append(
            Resample(source_sampling_rate=self.sampling_rate, target_sampling_rate=sampling_rate),
            sampling_rate=sampling_rate,
            num_samples=n,
            duration=samples_to_seconds(n, sampling_rate),
        )

    def narrowband(
        self, codec: str, restore_orig_sr: bool = True, affix_id: bool = True
    ) -> Recording:
        """Lazily simulate a telephone channel: 8 kHz through ``codec`` (``"mulaw"`` or
        ``"lpc10"``), back at this rate when ``restore_orig_sr``; id gets ``_nb_{codec}``."""
        rate = self.sampling_rate if restore_orig_sr else NARROWBAND_SAMPLING_RATE
        n = compute_num_samples(self.duration, rate)
        return self._append(
            Narrowband(codec, self.sampling_rate, restore_orig_sr),
            id=f"{self.id}_nb_{codec}" if affix_id else self.id,
            sampling_rate=rate,
            num_samples=n,
            duration=samples_to_seconds(n, rate),
        )

    def normalize_loudness(self, target: float, affix_id: bool = False) -> Recording:
        """Lazily normalise to ``target`` LUFS (pyloudnorm); id gets ``_ln{target}``."""
        return self._append(
            LoudnessNormalization(target=target),
            id=f"{self.id}_ln{target}" if affix_id else self.id,
        )

    def dereverb_wpe(self, affix_id: bool = True) -> Recording:
        """Lazily remove reverberation with WPE (nara_wpe); id gets ``_wpe``."""
        return self._append(DereverbWPE(), id=f"{self.id}_wpe" if affix_id else self.id)

    def clip_amplitude(
        self,
        hard: bool = False,
        gain_db: float = 0.0,
        normalize: bool = True,
        oversampling: Optional[int] = 4,
        affix_id: bool = False,
    ) -> Recording:
        """Lazily saturate the signal (:class:`~nuptse.audio.transforms.Clipping`).

        With ``oversampling`` the clipping runs at that multiple of the rate
        (recorded as a ``Resample`` up and one back down), which keeps the
        harmonics it creates from aliasing.  The id gets ``_cl{gain_db:.1f}``.
        """
        steps: list[AudioTransform] = [Clipping(hard=hard, gain_db=gain_db, normalize=normalize)]
        if oversampling is not None:
            high = self.sampling_rate * int(oversampling)
            steps = [Resample(self.sampling_rate, high), *steps, Resample(high, self.sampling_rate)]
        return self._append(*steps, id=f"{self.id}_cl{gain_db:.1f}" if affix_id else self.id)

    def compress(self, codec: str = "opus", compression_level: float = 0.99) -> Recording:
        """Lazily pass the audio through a lossy ``codec`` (``opus``, ``mp3``, ``vorbis``, ``gsm``).

        ``compression_level`` runs from 0.0 (best quality) to 1.0 (smallest).
        GSM works at 8 kHz: other rates are resampled there and back
        (recorded as ``Resample`` transforms).  Rates a codec does not
        support fail when the audio is loaded (``soundfile.LibsndfileError``).
        """
        step = Compress(codec=codec, compression_level=compression_level)
        if codec == "gsm" and self.sampling_rate != GSM_SAMPLING_RATE:
            return self._append(
                Resample(self.sampling_rate, GSM_SAMPLING_RATE),
                step,
                Resample(GSM_SAMPLING_RATE, self.sampling_rate),
            )
        return self._append(step)

    def to_cut(self):
        """A cut spanning the whole recording: a ``MonoCut`` for one channel, else a ``MultiCut``."""
        import importlib

        cut = importlib.import_module("nuptse.cut")
        if self.num_channels == 1:
            return cut.MonoCut(
                id=self.id,
                start=0.0,
                duration=self.duration,
                channel=self.channel_ids[0],
                recording=self,
            )
        return cut.MultiCut(
            id=self.id,
            start=0.0,
            duration=self.duration,
            channel=list(self.channel_ids),
            recording=self,
        )

    def reverb_rir(
        self,
        rir_recording: Optional[Recording] = None,
        normalize_output: bool = True,
        early_only: bool = False,
        affix_id: bool = True,
        rir_channels: Optional[Sequence[int]] = None,
        room_rng_seed: Optional[int] = None,
        source_rng_seed: Optional[int] = None,
    ) -> Recording:
        """Lazily convolve with the impulse response ``rir_recording``; id gets ``_rvb``.

        A mono recording with several ``rir_channels`` becomes multi-channel.
        Without ``rir_recording`` a random room response is generated when
        the audio is loaded (:class:`~nuptse.audio.rir.FastRandomRIRGenerator`)
        from ``room_rng_seed`` and ``source_rng_seed``; seeds left as None are
        drawn now from Python's :mod:`random` and stored in the transform, so
        every load (and a reloaded manifest) gives the same audio.
        """
        if rir_recording is None:
            rir_channels = [0] if rir_channels is None else [int(c) for c in rir_channels]
            if room_rng_seed is None:
                room_rng_seed = random.randrange(2**31)
            if source_rng_seed is None:
                source_rng_seed = random.randrange(2**31)
            if self.num_channels > 1 and len(rir_channels) not in (1, self.num_channels):
                raise ValueError(
                    f"Recording '{self.id}' has {self.num_channels} channels; a generated RIR "
                    f"needs one rir_channel or {self.num_channels}, got {rir_channels}"
                )
            channel_ids = (
                list(range(len(rir_channels)))
                if self.num_channels == 1 and len(rir_channels) > 1
                else list(self.channel_ids)
            )
            return self._append(
                ReverbWithImpulseResponse(
                    rir=None,
                    normalize_output=normalize_output,
                    early_only=early_only,
                    rir_channels=rir_channels,
                    rir_generator=FastRandomRIRGenerator(
                        sr=self.sampling_rate,
                        room_seed=int(room_rng_seed),
                        source_seed=int(source_rng_seed),
                    ),
                ),
                id=f"{self.id}_rvb" if affix_id else self.id,
                channel_ids=channel_ids,
            )
        if rir_recording.sampling_rate != self.sampling_rate:
            raise SamplingRateMismatchError(
                f"RIR '{rir_recording.id}' is sampled at {rir_recording.sampling_rate} Hz but "
                f"recording '{self.id}' at {self.sampling_rate} Hz"
            )
        rir_channels = [0] if rir_channels is None else [int(c) for c in rir_channels]
        if self.num_channels == 1 and len(rir_channels) > 1:
            channel_ids = list(range(len(rir_channels)))
        else:
            channel_ids = list(self.channel_ids)
        return self._append(
            ReverbWithImpulseResponse(
                rir=rir_recording,
                normalize_output=normalize_output,
                early_only=early_only,
                rir_channels=rir_channels,
            ),
            id=f"{self.id}_rvb" if affix_id else self.id,
            channel_ids=channel_ids,
        )

    def move_to_memory(
        self,
        channels: Optional[Channels] = None,
        offset: Optional[float] = None,
        duration: Optional[float] = None,
        format: Optional[str] = None,
        allow_commands: Optional[bool] = None,
    ) -> Recording:
        """A copy whose audio bytes live in the manifest (no I/O when loading).

        Without arguments the encoded bytes are copied as they are; with a
        channel/offset/duration subset the audio is decoded, cut, and
        re-encoded (FLAC by default).
        """
        if all(s.type == "memory" for s in self.sources):
            return self
        full = (
            (channels is None or self._requested_channels(channels) == self.channel_ids)
            and (offset is None or compute_num_samples(offset, self.sampling_rate) == 0)
            and (
                duration is None
                or compute_num_samples(duration, self.sampling_rate) == self.num_samples
            )
        )
        if full:
            sources = [
                AudioSource(
                    type="memory",
                    channels=list(s.channels),
                    source=s.read_bytes(allow_commands=allow_commands),
                )
                for s in self.sources
            ]
            return dataclasses.replace(self, sources=sources)
        wanted = self._requested_channels(channels)
        audio = self.load_audio(
            channels=wanted, offset=offset or 0.0, duration=duration, allow_commands=allow_commands
        )
        buf = io.BytesIO()
        save_audio(buf, audio, self.sampling_rate, format=format or "flac")
        return Recording(
            id=self.id,
            sources=[AudioSource(type="memory", channels=wanted, source=buf.getvalue())],
            sampling_rate=self.sampling_rate,
            num_samples=audio.shape[1],
            duration=samples_to_seconds(audio.shape[1], self.sampling_rate),
        )

    def __repr__(self) -> str:
        return (
            f"Recording(id={self.id!r}, sources={self.sources!r}, sampling_rate={self.sampling_rate}, "
            f"num_samples={self.num_samples}, duration={self.duration}, "
            f"channel_ids={self.channel_ids}, transforms={self.transforms!r})"
        )


register_recording_type(Recording)


def _check_recording_fields(data: dict) -> None:
    """Refuse a manifest line whose numbers would be truncated or fail later (``int(8000.5)``)."""
    sources = data.get("sources")
    fields = [
        ("sampling_rate", data.get("sampling_rate"), POSITIVE_INT),
        ("num_samples", data.get("num_samples"), INT),
        ("duration", data.get("duration"), NUMBER),
    ]
    if isinstance(sources, list):
        fields += [
            ("sources[].channels", s.get("channels"), CHANNEL)
            for s in sources
            if isinstance(s, dict)
        ]
    check_fields("recording", data.get("id"), fields)
