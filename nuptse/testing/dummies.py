"""Small, deterministic manifests for tests.

Each ``dummy_*`` builder makes one item whose ids, durations and fields are
fixed by its arguments (``unique_id`` 7 gives ``dummy-recording-0007``,
``dummy-segment-0007``, ``dummy-mono-cut-0007``), the same as lhotse's
``lhotse.testing.dummies``, so tests written against either library compare
equal.  Items built without ``with_data`` point at no real audio: their audio
source is a placeholder command that is never run.

>>> from nuptse.testing.dummies import DummyManifest, dummy_cut
>>> from nuptse import SupervisionSet
>>> sups = DummyManifest(SupervisionSet, begin_id=0, end_id=3)
>>> [s.id for s in sups]
['dummy-segment-0000', 'dummy-segment-0001', 'dummy-segment-0002']
>>> dummy_cut(5, duration=2.0).recording.duration
2.0
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Iterator
from tempfile import NamedTemporaryFile
from typing import Any, Optional, Union

from nuptse.audio import AudioSource, Recording, RecordingSet
from nuptse.cut import CutSet, MonoCut, MultiCut
from nuptse.features import Features, FeatureSet
from nuptse.features.array import Array, TemporalArray
from nuptse.features.io import MemoryRawWriter
from nuptse.manipulation import Manifest
from nuptse.supervision import AlignmentItem, SupervisionSegment, SupervisionSet
from nuptse.timing import compute_num_frames, compute_num_samples
from nuptse.utils import fastcopy

__all__ = [
    "DummyManifest",
    "as_lazy",
    "dummy_alignment",
    "dummy_array",
    "dummy_audio_source",
    "dummy_cut",
    "dummy_features",
    "dummy_in_memory_features",
    "dummy_multi_channel_features",
    "dummy_multi_channel_recording",
    "dummy_multi_cut",
    "dummy_recording",
    "dummy_supervision",
    "dummy_temporal_array",
    "dummy_temporal_array_uint8",
    "remove_spaces_from_segment_text",
]

#: Where the dummy feature manifests point (a numpy file in lhotse's test fixtures).
DUMMY_FEATURES_STORAGE_PATH = "test/fixtures/dummy_feats/storage"
DUMMY_FEATURES_STORAGE_KEY = "dbf9a0ec-f79d-4eb8-ae83-143a6d5de64d.npy"
#: Frequency of the tone written by ``dummy_audio_source(with_data=True)``.
DUMMY_TONE_HZ = 1000


@contextlib.contextmanager
def as_lazy(manifest: Any, suffix: str = ".jsonl.gz") -> Iterator[Any]:
    """Write an eager manifest to a temporary file and yield it opened lazily.

    The file is deleted when the block ends.
    """
    with NamedTemporaryFile(suffix=suffix) as f:
        manifest.to_file(f.name)
        f.flush()
        yield type(manifest).from_jsonl_lazy(f.name)


def DummyManifest(  # noqa: N802
    type_: type, *, begin_id: int, end_id: int, with_data: bool = False
) -> Manifest:
    """A ``RecordingSet``, ``SupervisionSet``, ``FeatureSet`` or ``CutSet`` of dummy items.

    Items are numbered ``begin_id`` (inclusive) to ``end_id`` (exclusive);
    each dummy cut carries the dummy supervision of the same number.
    """
    ids = range(begin_id, end_id)
    if type_ is RecordingSet:
        return RecordingSet.from_recordings(dummy_recording(i, with_data=with_data) for i in ids)
    if type_ is SupervisionSet:
        return SupervisionSet.from_segments(dummy_supervision(i) for i in ids)
    if type_ is FeatureSet:
        return FeatureSet.from_features(dummy_features(i, with_data=with_data) for i in ids)
    if type_ is CutSet:
        return CutSet.from_cuts(
            dummy_cut(i, supervisions=[dummy_supervision(i)], with_data=with_data) for i in ids
        )
    raise TypeError(
        f"DummyManifest builds RecordingSet, SupervisionSet, FeatureSet or CutSet, not {type_!r}"
    )


def dummy_recording(
    unique_id: int,
    duration: float = 1.0,
    sampling_rate: int = 16000,
    with_data: bool = False,
    source_format: str = "wav",
) -> Recording:
    """A one-channel recording ``dummy-recording-{unique_id:04d}``.

    With ``with_data`` its source holds a real encoded 1 kHz tone (in memory).
    """
    num_samples = compute_num_samples(duration, sampling_rate)
    return Recording(
        id=f"dummy-recording-{unique_id:04d}",
        sources=[
            dummy_audio_source(
                num_samples=num_samples,
                sampling_rate=sampling_rate,
                with_data=with_data,
                format=source_format,
            )
        ],
        sampling_rate=sampling_rate,
        num_samples=num_samples,
        duration=duration,
    )


def _tone(num_samples: int, sampling_rate: int, num_channels: int) -> Any:
    """A 1 kHz sine, ``(num_samples,)`` or ``(num_samples, channels)`` with channel k scaled by 1/(k+1)."""
    import torch

    if DUMMY_TONE_HZ >= sampling_rate / 2:
        raise ValueError(
            f"A {DUMMY_TONE_HZ} Hz tone is above the Nyquist frequency of {sampling_rate} Hz audio"
        )
    t = torch.arange(num_samples)
    wave = torch.sin(2 * math.pi * DUMMY_TONE_HZ / sampling_rate * t)
    if num_channels > 1:
        gains = 1.0 / torch.arange(1, num_channels + 1, dtype=wave.dtype)
        wave = wave.unsqueeze(1) * gains
    return wave


def dummy_audio_source(
    num_samples: int = 16000,
    sampling_rate: int = 16000,
    channels: Optional[list[int]] = None,
    with_data: bool = False,
    format: str = "wav",
) -> AudioSource:
    """An audio source for ``channels`` (default ``[0]``).

    Without ``with_data``: a placeholder ``command`` source (never run).
    With it: a ``memory`` source holding ``num_samples`` of a 1 kHz tone
    encoded as ``format`` (``"wav"``, ``"flac"``, ``"opus"``, ...); with
    several channels, channel k is the tone scaled by ``1 / (k + 1)``.
    """
    if channels is None:
        channels = [0]
    if not with_data:
        return AudioSource(type="command", channels=channels, source='echo "dummy waveform"')
    import soundfile

    wave = _tone(num_samples, sampling_rate, len(channels)).numpy()
    buffer = io.BytesIO()
    if format == "opus":
        soundfile.write(buffer, wave, sampling_rate, format="OGG", subtype="OPUS")
    else:
        soundfile.write(buffer, wave, sampling_rate, format=format)
    return AudioSource(type="memory", channels=channels, source=buffer.getvalue())


def dummy_multi_channel_recording(
    unique_id: int,
    duration: float = 1.0,
    sampling_rate: int = 16000,
    channel_ids: Optional[list[int]] = None,
    source_per_channel: bool = False,
    with_data: bool = False,
) -> Recording:
    """A recording ``dummy-multi-channel-recording-{unique_id:04d}`` with ``channel_ids`` (default ``[0, 1]``).

    As in lhotse, ``source_per_channel=True`` gives *one* source holding all
    channels and the default gives one source per channel.
    """
    num_samples = compute_num_samples(duration, sampling_rate)
    if channel_ids is None:
        channel_ids = [0, 1]
    groups = [channel_ids] if source_per_channel else [[c] for c in channel_ids]
    return Recording(
        id=f"dummy-multi-channel-recording-{unique_id:04d}",
        sources=[
            dummy_audio_source(
                num_samples=num_samples,
                sampling_rate=sampling_rate,
                channels=group,
                with_data=with_data,
            )
            for group in groups
        ],
        sampling_rate=sampling_rate,
        num_samples=num_samples,
        duration=duration,
    )


def dummy_alignment(
    text: str = "irrelevant", start: float = 0.0, duration: float = 1.0
) -> dict[str, list[AlignmentItem]]:
    """A ``"subword"`` alignment: ``text`` in 3-character pieces sharing ``duration`` equally."""
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
    step = duration / len(pieces)
    return {
        "subword": [
            AlignmentItem(symbol=piece, start=start + i * step, duration=step)
            for i, piece in enumerate(pieces)
        ]
    }


_DEFAULT_ALIGNMENT = dummy_alignment()


def dummy_supervision(
    unique_id: int,
    start: float = 0.0,
    duration: float = 1.0,
    channel: Union[int, list[int]] = 0,
    text: str = "irrelevant",
    alignment: Optional[dict[str, list[AlignmentItem]]] = _DEFAULT_ALIGNMENT,
) -> SupervisionSegment:
    """A segment ``dummy-segment-{unique_id:04d}`` of ``dummy-recording-{unique_id:04d}``.

    Speaker, language and gender are ``"irrelevant"``; ``custom`` holds
    ``{"custom_field": "irrelevant"}``; the alignment defaults to
    :func:`dummy_alignment`.
    """
    return SupervisionSegment(
        id=f"dummy-segment-{unique_id:04d}",
        recording_id=f"dummy-recording-{unique_id:04d}",
        start=start,
        duration=duration,
        channel=channel,
        text=text,
        speaker="irrelevant",
        language="irrelevant",
        gender="irrelevant",
        custom={"custom_field": "irrelevant"},
        alignment=alignment,
    )


def _fixture_features(recording_id: str, channels: Any, start: float, duration: float) -> Features:
    return Features(
        recording_id=recording_id,
        channels=channels,
        start=start,
        duration=duration,
        type="fbank",
        num_frames=100,
        num_features=23,
        frame_shift=0.01,
        sampling_rate=16000,
        storage_type="numpy_files",
        storage_path=DUMMY_FEATURES_STORAGE_PATH,
        storage_key=DUMMY_FEATURES_STORAGE_KEY,
    )


def dummy_features(
    unique_id: int, start: float = 0.0, duration: float = 1.0, with_data: bool = False
) -> Features:
    """A 100 x 23 fbank manifest for ``dummy-recording-{unique_id:04d}``.

    It points at a numpy file in lhotse's test fixtures
    (:data:`DUMMY_FEATURES_STORAGE_PATH`); ``with_data`` is accepted and ignored.
    """
    return _fixture_features(f"dummy-recording-{unique_id:04d}", 0, start, duration)


def dummy_multi_channel_features(
    unique_id: int,
    start: float = 0.0,
    duration: float = 1.0,
    channels: Optional[list[int]] = None,
) -> Features:
    """:func:`dummy_features` for ``dummy-multi-channel-recording-{unique_id:04d}`` and ``channels``."""
    return _fixture_features(
        f"dummy-multi-channel-recording-{unique_id:04d}",
        [0, 1] if channels is None else channels,
        start,
        duration,
    )


def dummy_in_memory_features(
    unique_id: int,
    start: float = 0.0,
    duration: float = 1.0,
    sampling_rate: int = 16000,
    frame_shift: float = 0.01,
) -> Features:
    """Random 23-dimensional features stored in the manifest itself (``memory_raw``)."""
    import numpy as np

    num_frames = compute_num_frames(duration, frame_shift, sampling_rate)
    data = np.random.rand(num_frames, 23).astype(np.float32)
    return Features(
        recording_id=f"dummy-recording-{unique_id:04d}",
        channels=0,
        start=start,
        duration=duration,
        type="fbank",
        num_frames=num_frames,
        num_features=23,
        frame_shift=frame_shift,
        sampling_rate=sampling_rate,
        storage_type=MemoryRawWriter.name,
        storage_path="",
        storage_key=MemoryRawWriter().write("dummy-features", data),
    )


def dummy_temporal_array(
    start: float = 0.0,
    num_frames: int = 100,
    num_features: int = 23,
    frame_shift: float = 0.01,
) -> TemporalArray:
    """A random float32 ``(num_frames, num_features)`` array kept in memory, time on axis 0."""
    import numpy as np

    data = np.random.rand(num_frames, num_features).astype(np.float32)
    return MemoryRawWriter().store_array(
        key="temporal-array-float32",
        value=data,
        frame_shift=frame_shift,
        temporal_dim=0,
        start=start,
    )


def dummy_array() -> Array:
    """A random float32 vector of 128 values kept in memory."""
    import numpy as np

    return MemoryRawWriter().store_array("vector-float32", np.random.rand(128).astype(np.float32))


def dummy_temporal_array_uint8(
    start: float = 0.0, num_frames: int = 100, frame_shift: float = 0.01
) -> TemporalArray:
    """A random uint8 sequence of ``num_frames`` values kept in memory (e.g. token ids)."""
    import numpy as np

    data = np.random.randint(0, 255, num_frames, dtype=np.uint8)
    return MemoryRawWriter().store_array(
        "temporal-array-int8", data, frame_shift=frame_shift, temporal_dim=0, start=start
    )


def dummy_cut(
    unique_id: int,
    start: float = 0.0,
    duration: float = 1.0,
    recording_duration: float = 1.0,
    recording: Optional[Recording] = None,
    features: Optional[Features] = None,
    supervisions: Optional[list[SupervisionSegment]] = None,
    with_data: bool = False,
) -> MonoCut:
    """A cut ``dummy-mono-cut-{unique_id:04d}`` with a dummy recording and features.

    Its ``custom`` holds two strings; with ``with_data`` also an array, a
    temporal array, a recording and a uint8 temporal array (all in memory).
    The recording lasts ``max(recording_duration, duration)``.
    """
    custom: dict[str, Any] = {
        "custom_attribute": "dummy-value",
        "custom_attribute_other": "dummy-value-other",
    }
    if with_data:
        custom["custom_embedding"] = dummy_array()
        custom["custom_features"] = dummy_temporal_array(start)
        custom["custom_recording"] = dummy_recording(unique_id, duration=duration, with_data=True)
        custom["custom_indexes"] = dummy_temporal_array_uint8(start=start)
    if not recording:
        recording = dummy_recording(
            unique_id, duration=max(recording_duration, duration), with_data=with_data
        )
    return MonoCut(
        id=f"dummy-mono-cut-{unique_id:04d}",
        start=start,
        duration=duration,
        channel=0,
        recording=recording,
        features=features if features else dummy_features(unique_id, with_data=with_data),
        supervisions=supervisions if supervisions is not None else [],
        custom=custom,
    )


def dummy_multi_cut(
    unique_id: int,
    start: float = 0.0,
    duration: float = 1.0,
    recording_duration: float = 1.0,
    recording: Optional[Recording] = None,
    features: Optional[Features] = None,
    supervisions: Optional[list[SupervisionSegment]] = None,
    channel: Optional[list[int]] = None,
    source_per_channel: bool = False,
    with_data: bool = False,
) -> MultiCut:
    """A multi-channel cut ``dummy-multi-cut-{unique_id:04d}`` on ``channel`` (default ``[0, 1]``)."""
    if channel is None:
        channel = [0, 1]
    if not recording:
        recording = dummy_multi_channel_recording(
            unique_id,
            duration=max(recording_duration, duration),
            channel_ids=channel,
            with_data=with_data,
            source_per_channel=source_per_channel,
        )
    return MultiCut(
        id=f"dummy-multi-cut-{unique_id:04d}",
        start=start,
        duration=duration,
        channel=channel,
        recording=recording,
        features=features
        if features
        else dummy_multi_channel_features(unique_id, channels=channel),
        supervisions=supervisions if supervisions is not None else [],
    )


def remove_spaces_from_segment_text(segment: SupervisionSegment) -> SupervisionSegment:
    """A copy of ``segment`` with the spaces removed from its text (None text: unchanged)."""
    if segment.text is None:
        return segment
    return fastcopy(segment, text=segment.text.replace(" ", ""))
