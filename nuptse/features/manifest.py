"""Feature manifests: :class:`Features` (one stored matrix) and :class:`FeatureSet`.

A :class:`Features` item says what a stored feature matrix is (extractor
type, frame count, dims, frame shift), which span of which recording and
channel it covers, and where it is stored (``storage_type``,
``storage_path``, ``storage_key``, read through :mod:`nuptse.features.io`).
Its dict is lhotse's: fields that are ``None`` are left out.

Frame arithmetic goes through :mod:`nuptse.timing`, the same functions that
cuts use, so a cut and its features always agree on frame counts.
"""

from __future__ import annotations

import hashlib
import logging
import math
import pickle
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from itertools import chain
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from nuptse.manifest import ManifestSet
from nuptse.serialization import Pathlike
from nuptse.timing import Seconds, compute_num_frames, round_time

logger = logging.getLogger(__name__)

#: Slack (seconds) when checking that a requested start lies inside the features.
START_TOLERANCE = 1e-3


@dataclass(order=True)
class Features:
    """A stored feature matrix and the recording span it was extracted from.

    ``recording_id`` and ``channels`` are ``None`` for features of audio that
    is not a single recording's (e.g. a mixed cut).

    >>> f = Features(type="kaldi-fbank", num_frames=100, num_features=80, frame_shift=0.01,
    ...              sampling_rate=16000, start=1.0, duration=1.0, storage_type="numpy_files",
    ...              storage_path="feats", storage_key="abc.npy", recording_id="rec1", channels=0)
    >>> f.end
    2.0
    >>> Features.from_dict(f.to_dict()) == f
    True
    """

    type: str
    num_frames: int
    num_features: int
    frame_shift: Seconds
    sampling_rate: int
    start: Seconds
    duration: Seconds
    storage_type: str
    storage_path: Optional[str]
    storage_key: Union[str, bytes]
    recording_id: Optional[str] = None
    channels: Optional[Union[list[int], int]] = None

    # --- identity -------------------------------------------------------------------

    @property
    def id(self) -> str:
        """A key for this item (lhotse's Features have no id field).

        It names the storage location and the span it describes, so only
        exact duplicates share it; :class:`FeatureSet` indexes items by it.
        """
        key = self.storage_key
        if isinstance(key, (bytes, bytearray, memoryview)):
            key = "sha1:" + hashlib.sha1(bytes(key)).hexdigest()
        return (
            f"{self.recording_id}:{self.channels}:{self.start}:{self.duration}"
            f"@{self.storage_type}:{self.storage_path}:{key}"
        )

    def with_id(self, new_id: str) -> Features:
        """Features carry no id of their own; returns ``self`` unchanged."""
        return self

    @property
    def end(self) -> Seconds:
        return round_time(self.start + self.duration)

    @property
    def is_in_memory(self) -> bool:
        return "memory" in self.storage_type

    @property
    def is_placeholder(self) -> bool:
        return self.storage_type == "shar"

    # --- reading ----------------------------------------------------------------------

    def load(
        self,
        start: Optional[Seconds] = None,
        duration: Optional[Seconds] = None,
        channel_id: Union[int, list[int]] = 0,
    ) -> np.ndarray:
        """The stored matrix, or the frames of ``[start, start + duration)``.

        ``start`` is in the recording's time (like :attr:`start`); frame
        offsets are computed with :func:`nuptse.timing.compute_num_frames`.
        """
        left, right = self._frame_range(start, duration)
        reader = self._reader()
        return reader.read(self.storage_key, left_offset_frames=left, right_offset_frames=right)

    def _frame_range(
        self, start: Optional[Seconds], duration: Optional[Seconds]
    ) -> tuple[int, Optional[int]]:
        if start is None:
            start = self.start
        if start < self.start - START_TOLERANCE:
            raise ValueError(
                f"cannot load features of recording {self.recording_id!r} from {start} s: "
                f"they cover [{self.start}, {self.end}] s (storage {self.storage_path!r}, "
                f"key {_key_repr(self.storage_key)})"
            )
        left = 0
        if not math.isclose(start, self.start):
            left = compute_num_frames(start - self.start, self.frame_shift, self.sampling_rate)
        right = None
        if duration is not None:
            if duration < 0:
                raise ValueError(
                    f"cannot load a negative duration ({duration} s) of features of "
                    f"recording {self.recording_id!r}"
                )
            right = left + compute_num_frames(duration, self.frame_shift, self.sampling_rate)
        return left, right

    def _reader(self):
        from nuptse.features.io import get_reader

        return get_reader(self.storage_type)(self.storage_path)

    def move_to_memory(
        self,
        start: Seconds = 0,
        duration: Optional[Seconds] = None,
        lilcom: bool = False,
    ) -> Features:
        """A copy whose matrix (or the span asked for) is held in ``storage_key``.

        With ``lilcom=True`` float matrices are lilcom-compressed
        (``memory_lilcom``), otherwise kept exact (``memory_raw``).  The copy
        starts at 0 and lasts ``duration`` (by default, this item's duration).
        """
        from nuptse.features.io import get_memory_writer

        if self.is_in_memory:
            return self
        if start == 0 and self.start > 0:
            start = self.start  # the default means "from the beginning"
        arr = self.load(start=start, duration=duration)
        kind = "memory_lilcom" if lilcom and np.issubdtype(arr.dtype, np.floating) else "memory_raw"
        writer = get_memory_writer(kind)()
        return replace(
            self,
            start=0.0,
            duration=self.duration if duration is None else duration,
            num_frames=arr.shape[0],
            storage_type=writer.name,
            storage_path="",
            storage_key=writer.write("", arr),
        )

    # --- rewriting ----------------------------------------------------------------------

    def with_path_prefix(self, path: Pathlike) -> Features:
        """A copy whose ``storage_path`` is placed under ``path``."""
        if self.is_in_memory or self.storage_path is None:
            return self
        prefix = str(path)
        if "://" in prefix:  # a URL: pathlib would collapse its "//"
            return replace(self, storage_path=f"{prefix.rstrip('/')}/{self.storage_path}")
        return replace(self, storage_path=str(Path(path) / self.storage_path))

    def copy_feats(self, writer: Any) -> Features:
        """Store the matrix again with ``writer``; a copy of this manifest pointing there."""
        feats = self.load()
        new_key = writer.write(str(uuid.uuid4()), feats)
        path = writer.storage_path
        return replace(
            self,
            storage_type=writer.name,
            storage_path=None if path is None else str(path),
            storage_key=new_key,
        )

    # --- (de)serialization --------------------------------------------------------------

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @staticmethod
    def from_dict(data: dict) -> Features:
        """A Features item from lhotse's dict layout (``None`` fields may be absent)."""
        data = dict(data)
        if "frame_shift" not in data and "storage_type" in data:
            try:
                data["frame_shift"] = round(data["duration"] / data["num_frames"], 3)
            except (KeyError, ZeroDivisionError, TypeError):
                raise ValueError(
                    f"a Features dict without 'frame_shift' needs duration and a non-zero "
                    f"num_frames to infer it; got {data!r}"
                ) from None
            logger.warning(
                "a Features manifest (storage %r, key %r) has no 'frame_shift'; inferred %s s "
                "from duration / num_frames. Recreate the manifest to silence this.",
                data.get("storage_path"),
                data.get("storage_key"),
                data["frame_shift"],
            )
        if "storage_key" in data and "storage_type" in data and "storage_path" not in data:
            data["storage_path"] = None
        return Features(**data)

    def __repr__(self) -> str:
        return (
            f"Features(type={self.type!r}, num_frames={self.num_frames}, "
            f"num_features={self.num_features}, frame_shift={self.frame_shift}, "
            f"sampling_rate={self.sampling_rate}, start={self.start}, duration={self.duration}, "
            f"storage_type={self.storage_type!r}, storage_path={self.storage_path!r}, "
            f"storage_key={_key_repr(self.storage_key)}, recording_id={self.recording_id!r}, "
            f"channels={self.channels})"
        )


def _key_repr(key: Any) -> str:
    if isinstance(key, (bytes, bytearray, memoryview)):
        return f"<{len(key)} bytes>"
    return repr(key)


def _channel_key(channels: Any) -> Optional[tuple]:
    """Channels as a comparable tuple: ``0`` and ``[0]`` are the same channel."""
    if channels is None:
        return None
    if isinstance(channels, (list, tuple)):
        return tuple(int(c) for c in channels)
    return (int(channels),)


class FeatureSet(ManifestSet[Features]):
    """A collection of :class:`Features`, searchable by recording, channel and time.

    Besides the generic manifest-set API it finds and loads the features for
    a recording span (:meth:`find`, :meth:`load`) and computes global
    normalization stats.  Items are also reachable by position, as in
    lhotse (``feature_set[0]``).
    """

    item_type = Features

    def __init__(self, features: Optional[Iterable[Features]] = None):
        """``FeatureSet(features=[...])`` as in lhotse (a dict or lazy source also works)."""
        super().__init__(features)

    @classmethod
    def accepts_dict(cls, data: dict) -> bool:
        return (
            "storage_type" in data
            and "num_frames" in data
            and "num_features" in data
            and "id" not in data
        )

    @property
    def features(self) -> list[Features]:
        """The items as a list (lhotse's FeatureSet keeps them in a list of this name)."""
        return list(self)

    @staticmethod
    def from_features(features: Iterable[Features]) -> FeatureSet:
        """An eager FeatureSet of ``features`` (a lazy input is read now)."""
        return FeatureSet(list(features))

    def __getitem__(self, key: Union[str, int]) -> Features:
        if isinstance(key, int) and not isinstance(key, bool):
            if not self.is_lazy:
                values = list(self._items.values())
                try:
                    return values[key]
                except IndexError:
                    raise IndexError(
                        f"FeatureSet index {key} out of range for {len(values)} items"
                    ) from None
            for idx, item in enumerate(self):
                if idx == key:
                    return item
            raise IndexError(f"lazy FeatureSet has no item at index {key}")
        return super().__getitem__(key)

    def with_path_prefix(self, path: Pathlike) -> FeatureSet:
        """Every item's ``storage_path`` placed under ``path``."""
        return self.map(lambda f: f.with_path_prefix(path))

    # --- search -------------------------------------------------------------------------

    def _by_recording(self) -> dict[Optional[str], list[Features]]:
        index = self.__dict__.get("_recording_index")
        if index is None:
            index = {}
            for f in self:
                index.setdefault(f.recording_id, []).append(f)
            if not self.is_lazy:
                self.__dict__["_recording_index"] = index
        return index

    def find(
        self,
        recording_id: str,
        channel_id: Union[int, list[int]] = 0,
        start: Seconds = 0.0,
        duration: Optional[Seconds] = None,
        leeway: Seconds = 0.05,
    ) -> Features:
        """The Features item covering ``recording_id``'s channel and time span best.

        A candidate must start at most ``leeway`` after ``start`` and (with a
        ``duration``) end at most ``leeway`` before ``start + duration``;
        among candidates the closest fit wins.  Raises :class:`KeyError` naming
        what is missing: the recording, the channel or the time range.
        """
        candidates = self._by_recording().get(recording_id)
        if not candidates:
            raise KeyError(f"no features for recording {recording_id!r} in this FeatureSet")
        wanted = _channel_key(channel_id)
        on_channel = [f for f in candidates if _channel_key(f.channels) == wanted]
        if not on_channel:
            have = sorted({str(f.channels) for f in candidates})
            raise KeyError(
                f"no features for recording {recording_id!r} on channel {channel_id!r}; "
                f"available channels: {', '.join(have)}"
            )
        end = None if duration is None else start + duration
        fits = [
            f
            for f in on_channel
            if f.start - leeway <= start < f.end + leeway and (end is None or f.end >= end - leeway)
        ]
        if not fits:
            spans = ", ".join(f"[{f.start}, {f.end}]" for f in on_channel)
            wanted_span = f"[{start}, {'end' if end is None else end}]"
            raise KeyError(
                f"no features for recording {recording_id!r}, channel {channel_id!r} cover "
                f"{wanted_span} s (leeway {leeway} s); available spans: {spans}"
            )
        if end is None:
            return min(fits, key=lambda f: (start - f.start) ** 2)
        return min(fits, key=lambda f: (start - f.start) ** 2 + (end - f.end) ** 2)

    def load(
        self,
        recording_id: str,
        channel_id: Union[int, list[int]] = 0,
        start: Seconds = 0.0,
        duration: Optional[Seconds] = None,
    ) -> np.ndarray:
        """The feature frames of a recording span (see :meth:`find`)."""
        found = self.find(
            recording_id=recording_id, channel_id=channel_id, start=start, duration=duration
        )
        return found.load(start=start, duration=duration)

    # --- storage ------------------------------------------------------------------------

    def copy_feats(self, writer: Any) -> FeatureSet:
        """Store every matrix again with ``writer``; the manifests pointing there."""
        return FeatureSet.from_features(f.copy_feats(writer=writer) for f in self)

    def compute_global_stats(
        self, storage_path: Optional[Pathlike] = None
    ) -> dict[str, np.ndarray]:
        """Per-dimension means and standard deviations over all frames (one pass).

        With ``storage_path`` the dict is also pickled there.
        """
        return compute_global_stats(feature_manifests=self, storage_path=storage_path)


# --- storage helpers --------------------------------------------------------------------


def store_feature_array(feats: np.ndarray, storage: Any) -> Any:
    """Store ``feats`` with the writer ``storage`` under a fresh uuid; return its key.

    The key is what the manifest's ``storage_key`` must hold to read it back
    (for some backends it is not the uuid itself, e.g. a byte offset).
    """
    return storage.write(str(uuid.uuid4()), feats)


def compute_global_stats(
    feature_manifests: Iterable[Features], storage_path: Optional[Pathlike] = None
) -> dict[str, np.ndarray]:
    """Per-dimension means and standard deviations over every frame of the manifests.

    One pass with a numerically stable pairwise update of the running sums
    (Chan, Golub & LeVeque), accumulated in float64.  With ``storage_path``
    the resulting dict ``{"norm_means": ..., "norm_stds": ...}`` is also
    pickled there.
    """
    from nuptse.features.stats import StatsAccumulator

    manifests = iter(feature_manifests)
    first = next(manifests, None)
    if first is None:
        raise ValueError("cannot compute global feature stats of an empty set of features")
    stats = StatsAccumulator(feature_dim=first.num_features)
    for features in chain([first], manifests):
        arr = features.load()
        if arr.ndim != 2 or arr.shape[1] != first.num_features:
            raise ValueError(
                f"features of recording {features.recording_id!r} (storage "
                f"{features.storage_path!r}) have shape {arr.shape}; expected "
                f"(frames, {first.num_features}) like the first item"
            )
        stats.update(arr.astype(np.float64, copy=False))
    result = stats.get()
    if storage_path is not None:
        with open(storage_path, "wb") as f:
            pickle.dump(result, f)
    return result
