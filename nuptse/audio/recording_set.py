"""``RecordingSet``: a manifest set of :class:`Recording` s.

The collection machinery (eager/lazy, files, filter/map/split/shuffle, ...)
is the generic :class:`nuptse.manifest.ManifestSet`; this module adds
recording-specific constructors and per-set versions of the recording
transforms.  Transforms use ``map`` and so stay lazy on a lazy set.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Optional, Union

import numpy as np

from nuptse.audio.recording import Channels, Recording
from nuptse.lazy import CloudpickledFn
from nuptse.manifest import DuplicateIdError, ManifestSet

logger = logging.getLogger(__name__)


def _scan_one(
    path: Path,
    recording_id: Optional[Callable[[Path], str]],
    force_opus_sampling_rate: Optional[int],
) -> tuple[Optional[Recording], str, Optional[str]]:
    """Read one file's header; never raises (returns the reason instead)."""
    try:
        rec = Recording.from_file(
            path, recording_id=recording_id, force_opus_sampling_rate=force_opus_sampling_rate
        )
        return rec, str(path), None
    except Exception as e:  # any unreadable file is skipped, with its reason
        return None, str(path), f"{type(e).__name__}: {e}"


class _Call:
    """A picklable ``lambda r: getattr(r, name)(**kwargs)`` for lazy maps."""

    def __init__(self, name: str, **kwargs):
        self.name = name
        self.kwargs = kwargs

    def __call__(self, rec: Recording) -> Recording:
        return getattr(rec, self.name)(**self.kwargs)


class RecordingSet(ManifestSet[Recording]):
    """A collection of recordings indexed by id.

    >>> from nuptse.audio import AudioSource
    >>> rec = Recording("r1", [AudioSource("file", [0], "r1.wav")], 8000, 8000, 1.0)
    >>> rs = RecordingSet.from_recordings([rec])
    >>> len(rs), rs.duration("r1"), rs.perturb_speed(0.9)["r1_sp0.9"].num_samples
    (1, 1.0, 8889)
    """

    item_type = Recording

    def __init__(self, recordings: Optional[Iterable[Recording]] = None):
        """``RecordingSet(recordings=...)`` as in lhotse (a dict or lazy source also works)."""
        super().__init__(recordings)

    @classmethod
    def accepts_dict(cls, data: dict) -> bool:
        return "sources" in data and "sampling_rate" in data and "num_samples" in data

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_recordings(cls, recordings) -> RecordingSet:
        return cls.from_items(recordings)

    @classmethod
    def from_dir(
        cls,
        path,
        pattern: str,
        num_jobs: int = 1,
        force_opus_sampling_rate: Optional[int] = None,
        recording_id: Optional[Callable[[Path], str]] = None,
        exclude_pattern: Optional[str] = None,
        executor: str = "thread",
    ) -> RecordingSet:
        """Scan ``path`` recursively for files matching ``pattern`` (e.g. ``*.flac``).

        Headers are read by ``num_jobs`` workers (threads by default: the
        decoders release the GIL; ``executor="process"`` uses processes).
        Files that cannot be read are skipped: each is logged with its reason,
        and a final warning gives the count.  The result is sorted by path;
        the skipped paths are also available as ``result.skipped_files``.
        """
        root = Path(path)
        paths = sorted(root.rglob(pattern))
        if exclude_pattern is not None:
            rx = re.compile(exclude_pattern)
            paths = [p for p in paths if rx.fullmatch(p.name) is None]
        paths = [p for p in paths if p.is_file()]
        worker = partial(
            _scan_one,
            recording_id=recording_id,
            force_opus_sampling_rate=force_opus_sampling_rate,
        )
        from tqdm.auto import tqdm

        desc = f"Scanning audio files ({pattern})"
        if num_jobs <= 1:
            results = (worker(p) for p in paths)
            results = list(tqdm(results, total=len(paths), desc=desc))
        else:
            if executor not in ("thread", "process"):
                raise ValueError(f"executor must be 'thread' or 'process', got {executor!r}")
            pool_cls = ThreadPoolExecutor if executor == "thread" else ProcessPoolExecutor
            if executor == "process" and recording_id is not None:
                worker = partial(
                    _scan_one,
                    recording_id=CloudpickledFn(recording_id),
                    force_opus_sampling_rate=force_opus_sampling_rate,
                )
            with pool_cls(num_jobs) as ex:
                chunks = max(1, len(paths) // (num_jobs * 8)) if executor == "process" else 1
                results = list(
                    tqdm(ex.map(worker, paths, chunksize=chunks), total=len(paths), desc=desc)
                )
        recordings = []
        skipped = []
        seen: dict[str, str] = {}
        for rec, p, reason in results:
            if rec is None:
                logger.warning("Skipping unreadable audio file %s: %s", p, reason)
                skipped.append((p, reason))
                continue
            if rec.id in seen:
                raise DuplicateIdError(
                    f"from_dir({root}, {pattern!r}): files {seen[rec.id]} and {p} both get "
                    f"recording id {rec.id!r}; pass recording_id=<function of the path>"
                )
            seen[rec.id] = p
            recordings.append(rec)
        if skipped:
            logger.warning(
                "from_dir(%s, %r): skipped %d of %d files that could not be read",
                root,
                pattern,
                len(skipped),
                len(paths),
            )
        result = cls.from_recordings(recordings)
        result.skipped_files = skipped
        return result

    # ------------------------------------------------------------------ lookups
    def load_audio(
        self,
        recording_id: str,
        channels: Optional[Channels] = None,
        offset_seconds: float = 0.0,
        duration_seconds: Optional[float] = None,
        **kwargs,
    ) -> np.ndarray:
        return self[recording_id].load_audio(
            channels=channels, offset=offset_seconds, duration=duration_seconds, **kwargs
        )

    def num_channels(self, recording_id: str) -> int:
        return self[recording_id].num_channels

    def sampling_rate(self, recording_id: str) -> int:
        return self[recording_id].sampling_rate

    def num_samples(self, recording_id: str) -> int:
        return self[recording_id].num_samples

    def duration(self, recording_id: str) -> float:
        return self[recording_id].duration

    # ------------------------------------------------------------------ transforms
    def with_path_prefix(self, path) -> RecordingSet:
        return self.map(_Call("with_path_prefix", path=path))

    def perturb_speed(self, factor: float, affix_id: bool = True) -> RecordingSet:
        return self.map(_Call("perturb_speed", factor=factor, affix_id=affix_id))

    def perturb_tempo(self, factor: float, affix_id: bool = True) -> RecordingSet:
        return self.map(_Call("perturb_tempo", factor=factor, affix_id=affix_id))

    def perturb_volume(self, factor: float, affix_id: bool = True) -> RecordingSet:
        return self.map(_Call("perturb_volume", factor=factor, affix_id=affix_id))

    def resample(self, sampling_rate: int) -> RecordingSet:
        return self.map(_Call("resample", sampling_rate=sampling_rate))

    def reverb_rir(
        self,
        rir_recordings: Optional[Union[RecordingSet, Sequence[Recording]]] = None,
        normalize_output: bool = True,
        early_only: bool = False,
        affix_id: bool = True,
        rir_channels: Sequence[int] = (0,),
        room_rng_seed: Optional[int] = None,
        source_rng_seed: Optional[int] = None,
        rng: Optional[random.Random] = None,
    ) -> RecordingSet:
        """Reverberate each recording with an RIR drawn at random from ``rir_recordings``.

        Without ``rir_recordings`` each recording gets a generated room
        response (see :meth:`Recording.reverb_rir`); seeds left as None are
        drawn per recording and stored.
        """
        rirs = list(rir_recordings or [])
        rng = rng or random
        return self.from_recordings(
            r.reverb_rir(
                rir_recording=rng.choice(rirs) if rirs else None,
                normalize_output=normalize_output,
                early_only=early_only,
                affix_id=affix_id,
                rir_channels=list(rir_channels),
                room_rng_seed=room_rng_seed,
                source_rng_seed=source_rng_seed,
            )
            for r in self
        )
