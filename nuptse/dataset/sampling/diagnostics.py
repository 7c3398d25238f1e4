"""Sampling diagnostics: how many cuts and batches a sampler kept and discarded, per epoch."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from nuptse.dataset.sampling.constraints import SamplerStateError


def _report_line(label: str, d) -> str:
    return (
        f"| {label} | cuts kept {d.kept_cuts:d}/{d.total_cuts:d} "
        f"({d.kept_cuts / d.total_cuts:.2%}) "
        f"| cuts discarded {d.discarded_cuts:d} "
        f"| batches kept {d.kept_batches:d}/{d.total_batches:d} "
        f"({d.kept_batches / d.total_batches:.2%})"
        f"| batches discarded {d.discarded_batches:d} |"
    )


_NO_STATS = (
    "Sampling statistics unavailable: no cuts or batches were recorded yet "
    "(a custom sampler has to report its batches to the diagnostics)."
)


@dataclass
class EpochDiagnostics:
    """Counts of kept and discarded cuts and batches in one epoch."""

    epoch: int = 0
    kept_cuts: int = 0
    discarded_cuts: int = 0
    kept_batches: int = 0
    discarded_batches: int = 0

    @property
    def total_cuts(self) -> int:
        return self.kept_cuts + self.discarded_cuts

    @property
    def total_batches(self) -> int:
        return self.kept_batches + self.discarded_batches

    def get_report(self) -> str:
        if self.total_batches == 0 or self.total_cuts == 0:
            return _NO_STATS
        return _report_line(f"ep {self.epoch:>3d}", self)

    def state_dict(self) -> dict[str, Any]:
        return asdict(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> EpochDiagnostics:
        for name in ("epoch", "kept_cuts", "discarded_cuts", "kept_batches", "discarded_batches"):
            setattr(self, name, state_dict.pop(name))
        if state_dict:
            raise SamplerStateError(f"EpochDiagnostics state has unknown keys: {sorted(state_dict)}")
        return self

    def __add__(self, other: EpochDiagnostics) -> EpochDiagnostics:
        if self.epoch != other.epoch:
            raise ValueError(f"cannot add diagnostics of epochs {self.epoch} and {other.epoch}")
        return EpochDiagnostics(
            epoch=self.epoch,
            kept_cuts=self.kept_cuts + other.kept_cuts,
            discarded_cuts=self.discarded_cuts + other.discarded_cuts,
            kept_batches=self.kept_batches + other.kept_batches,
            discarded_batches=self.discarded_batches + other.discarded_batches,
        )


def _count(items: Iterable) -> int:
    if isinstance(items, tuple):  # a tuple of paired cuts is one example
        return 1
    try:
        return len(items)  # type: ignore[arg-type]
    except TypeError:
        return sum(1 for _ in items)


@dataclass
class SamplingDiagnostics:
    """Per-epoch counts of what a sampler kept and discarded (filters, ``drop_last``).

    >>> d = SamplingDiagnostics()
    >>> d.total_batches
    0
    """

    current_epoch: int = 0
    stats_per_epoch: dict[int, EpochDiagnostics] = field(default=None)  # type: ignore[assignment]

    def __post_init__(self):
        if self.stats_per_epoch is None:
            self.stats_per_epoch = {}
            self.set_epoch(self.current_epoch)

    def reset_current_epoch(self) -> None:
        self.stats_per_epoch[self.current_epoch] = EpochDiagnostics(self.current_epoch)

    def set_epoch(self, epoch: int) -> None:
        self.current_epoch = epoch
        if epoch not in self.stats_per_epoch:
            self.stats_per_epoch[epoch] = EpochDiagnostics(epoch=epoch)

    def advance_epoch(self) -> None:
        self.set_epoch(self.current_epoch + 1)

    @property
    def current_epoch_stats(self) -> EpochDiagnostics:
        return self.stats_per_epoch[self.current_epoch]

    def keep(self, cuts: Iterable) -> None:
        n = _count(cuts)
        if not n:
            warnings.warn("a sampler yielded a batch with no cuts", stacklevel=2)
        stats = self.current_epoch_stats
        stats.kept_cuts += n
        stats.kept_batches += 1

    def discard(self, cuts: Iterable) -> None:
        n = _count(cuts)
        if n:
            stats = self.current_epoch_stats
            stats.discarded_cuts += n
            stats.discarded_batches += 1

    def discard_single(self, cut: Any) -> None:
        self.current_epoch_stats.discarded_cuts += 1

    def _sum(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.stats_per_epoch.values())

    @property
    def kept_cuts(self) -> int:
        return self._sum("kept_cuts")

    @property
    def discarded_cuts(self) -> int:
        return self._sum("discarded_cuts")

    @property
    def kept_batches(self) -> int:
        return self._sum("kept_batches")

    @property
    def discarded_batches(self) -> int:
        return self._sum("discarded_batches")

    @property
    def total_cuts(self) -> int:
        return self._sum("total_cuts")

    @property
    def total_batches(self) -> int:
        return self._sum("total_batches")

    def get_report(self, per_epoch: bool = False) -> str:
        if self.total_batches == 0 or self.total_cuts == 0:
            return _NO_STATS
        lines = []
        if per_epoch:
            lines = [self.stats_per_epoch[e].get_report() for e in sorted(self.stats_per_epoch)]
        lines.append(_report_line(" total ", self))
        return "\n".join(lines)

    def state_dict(self) -> dict[str, Any]:
        return {
            "current_epoch": self.current_epoch,
            "stats_per_epoch": {e: s.state_dict() for e, s in self.stats_per_epoch.items()},
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> SamplingDiagnostics:
        self.current_epoch = state_dict.pop("current_epoch")
        self.stats_per_epoch = {
            int(e): EpochDiagnostics().load_state_dict(dict(s))
            for e, s in state_dict.pop("stats_per_epoch").items()
        }
        return self

    def __add__(self, other: SamplingDiagnostics) -> SamplingDiagnostics:
        merged = {e: EpochDiagnostics(**asdict(s)) for e, s in self.stats_per_epoch.items()}
        for e, s in other.stats_per_epoch.items():
            merged[e] = merged[e] + s if e in merged else EpochDiagnostics(**asdict(s))
        return SamplingDiagnostics(current_epoch=self.current_epoch, stats_per_epoch=merged)
