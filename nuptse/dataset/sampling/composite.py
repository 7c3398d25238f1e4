"""Shared parts of samplers built from other samplers (zip, round robin, buckets)."""

from __future__ import annotations

from functools import reduce
from operator import add
from typing import Any

from nuptse.dataset.sampling.base import CutSampler, SamplerStateError, SamplingDiagnostics


class CompositeSampler(CutSampler):
    """A sampler whose batches come from ``self.samplers``.

    Epochs, filters, resets and state are forwarded to the inner samplers;
    diagnostics are theirs, summed (the inner samplers record every batch).
    """

    samplers: list[CutSampler]

    @property
    def diagnostics(self) -> SamplingDiagnostics:
        return reduce(add, (s.diagnostics for s in self.samplers))

    def _log_diagnostics(self, batch) -> None:
        return None

    def allow_iter_to_reset_state(self) -> None:
        super().allow_iter_to_reset_state()
        for s in self.samplers:
            s.allow_iter_to_reset_state()

    def set_epoch(self, epoch: int) -> None:
        for s in self.samplers:
            s.set_epoch(epoch)
        super().set_epoch(epoch)

    def filter(self, predicate) -> CompositeSampler:
        for s in self.samplers:
            s.filter(predicate)
        return self

    def _sum_or_none(self, name: str, fn=sum):
        values = [getattr(s, name) for s in self.samplers]
        return None if any(v is None for v in values) else fn(values)

    @property
    def remaining_duration(self) -> float | None:
        return self._sum_or_none("remaining_duration")

    @property
    def remaining_cuts(self) -> int | None:
        return self._sum_or_none("remaining_cuts")

    @property
    def num_cuts(self) -> int | None:
        return self._sum_or_none("num_cuts")

    def state_dict(self) -> dict[str, Any]:
        sd = super().state_dict()
        sd["samplers"] = [s.state_dict() for s in self.samplers]
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        states = state_dict.pop("samplers")
        if len(states) != len(self.samplers):
            raise SamplerStateError(
                f"{type(self).__name__}: the state has {len(states)} samplers, "
                f"this one {len(self.samplers)}"
            )
        for s, sd in zip(self.samplers, states):
            s.load_state_dict(sd)
        super().load_state_dict(state_dict)

    def get_report(self) -> str:
        lines = [f"{type(self).__name__} (sum of {len(self.samplers)} samplers):"]
        lines.append(self.diagnostics.get_report())
        return "\n".join(lines)
