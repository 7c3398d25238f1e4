"""What fault-tolerant loading dropped, and why: a report kept per epoch.

An input strategy created with ``fault_tolerant=True`` drops a cut whose audio
or features fail to load instead of failing the whole batch.  Each drop is
logged and also recorded in a :class:`FaultReport`, so that a training script
can ask, after an epoch, how many cuts were lost and for which reasons.

DataLoader workers run in other processes; their records travel to the
process that created the report through a queue, and are collected whenever
the report is read there (``report.num_dropped()``, ``report.summary()``...).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import Counter
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DroppedCut:
    """One cut left out of a batch: its id, the loading stage and the error."""

    cut_id: str
    stage: str  # "audio" or "features"
    error_type: str
    message: str
    epoch: int

    @property
    def reason(self) -> str:
        return f"{self.error_type}: {self.message}"


class LoadFailure(Exception):
    """A loading error reduced to its type name and message (pickles across processes)."""

    def __init__(self, error_type: str, message: str):
        super().__init__(error_type, message)
        self.error_type = error_type
        self.message = message

    @classmethod
    def from_exception(cls, error: BaseException) -> LoadFailure:
        if isinstance(error, LoadFailure):
            return error
        return cls(type(error).__name__, str(error))

    def __str__(self) -> str:
        return f"{self.error_type}: {self.message}"


class FaultReport:
    """Cuts dropped by fault-tolerant loading, grouped by epoch.

    ``set_epoch`` (also called by ``dataset.set_epoch``) starts counting a new
    epoch; records that arrive from workers are assigned the epoch current in
    the reading process when they are collected.

    >>> report = FaultReport()
    >>> report.record("cut-1", "audio", FileNotFoundError("missing.flac"))
    >>> report.num_dropped(), report.dropped_ids()
    (1, ['cut-1'])
    >>> report.by_reason()
    {'FileNotFoundError': 1}
    """

    def __init__(self, shared: bool = False) -> None:
        self.epoch = 0
        self._records: list[DroppedCut] = []
        self._owner_pid = os.getpid()
        self._reader = self._writer = None
        if shared:
            # A pipe made now, before any DataLoader worker starts: forked
            # workers inherit it, spawned ones receive it with the dataset.
            # Workers never block on it: a record that does not fit in a full
            # pipe is only logged.
            self._reader, self._writer = multiprocessing.Pipe(duplex=False)
            os.set_blocking(self._writer.fileno(), False)

    # --- cross-process plumbing ---------------------------------------------------

    @property
    def _owner(self) -> bool:
        return os.getpid() == self._owner_pid

    def __getstate__(self):
        state = dict(self.__dict__)
        # A queue may only travel to a process being started; anywhere else
        # (deepcopy, pickling to disk) the copy keeps its records locally.
        spawning = multiprocessing.context.get_spawning_popen() is not None
        state["_reader"] = None  # only the owner reads
        if not spawning:
            state["_writer"] = None
        state["_records"] = [] if spawning else list(self._records)
        if not spawning:
            state["_owner_pid"] = None  # a detached copy: its own records only
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _collect(self) -> None:
        if self._reader is None or not self._owner:
            return
        try:
            while self._reader.poll():
                cut_id, stage, error_type, message = self._reader.recv()
                self._records.append(DroppedCut(cut_id, stage, error_type, message, self.epoch))
        except (OSError, EOFError, ValueError):  # pragma: no cover - pipe closed
            return

    # --- recording ----------------------------------------------------------------

    def record(self, cut_id: str, stage: str, error: BaseException) -> None:
        """Note that ``cut_id`` was dropped at ``stage`` because of ``error`` (and log it)."""
        failure = LoadFailure.from_exception(error)
        error_type, message = failure.error_type, failure.message
        logger.warning("Dropping cut %r from the batch (%s failed): %s: %s",
                       cut_id, stage, error_type, message)
        if self._writer is not None and self._owner_pid is not None and not self._owner:
            try:
                # Kept under PIPE_BUF, so that concurrent workers' writes stay whole.
                self._writer.send((cut_id[:500], stage, error_type, message[:2000]))
                return
            except (OSError, ValueError):
                logger.warning("fault report pipe full or closed; cut %r counted in this worker only", cut_id)
        self._records.append(DroppedCut(cut_id, stage, error_type, message, self.epoch))

    def set_epoch(self, epoch: int) -> None:
        """Collect pending records under the current epoch, then switch to ``epoch``."""
        self._collect()
        self.epoch = epoch

    # --- reading ------------------------------------------------------------------

    @property
    def records(self) -> list[DroppedCut]:
        self._collect()
        return list(self._records)

    def _select(self, epoch: int | None) -> list[DroppedCut]:
        return [r for r in self.records if epoch is None or r.epoch == epoch]

    def num_dropped(self, epoch: int | None = None) -> int:
        """How many cuts were dropped (in ``epoch``, or in all epochs)."""
        return len(self._select(epoch))

    def dropped_ids(self, epoch: int | None = None) -> list[str]:
        return [r.cut_id for r in self._select(epoch)]

    def by_reason(self, epoch: int | None = None) -> dict[str, int]:
        """Counts of dropped cuts per error type."""
        return dict(Counter(r.error_type for r in self._select(epoch)))

    def per_epoch(self) -> dict[int, int]:
        """Counts of dropped cuts per epoch."""
        return dict(sorted(Counter(r.epoch for r in self.records).items()))

    def summary(self, epoch: int | None = None) -> str:
        """One line per reason, e.g. ``2 cuts dropped: 2x LibsndfileError``."""
        selected = self._select(epoch)
        if not selected:
            return "no cuts dropped"
        parts = ", ".join(f"{n}x {k}" for k, n in sorted(self.by_reason(epoch).items()))
        return f"{len(selected)} cut(s) dropped: {parts}"

    def clear(self) -> None:
        self._collect()
        self._records.clear()

    def __repr__(self) -> str:
        return f"FaultReport(epoch={self.epoch}, {self.summary()})"
