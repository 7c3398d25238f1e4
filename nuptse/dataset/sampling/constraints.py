"""Batch constraints: when is a growing mini-batch full (duration, cut count, tokens)."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from bisect import bisect_left
from dataclasses import asdict, dataclass
from math import isclose
from typing import Any

from nuptse.cut import Cut


class SamplerStateError(ValueError):
    """A sampler state_dict does not fit the sampler it is loaded into."""


def _check_positive(name: str, value, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if value is None or value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def check_constraint(constraint, max_duration, max_cuts) -> None:
    """Exactly one way of limiting batches: a constraint object, or max_duration/max_cuts."""
    if constraint is not None:
        if max_duration is not None or max_cuts is not None:
            raise AssertionError("pass either constraint= or max_duration=/max_cuts=, not both")
    elif max_duration is None and max_cuts is None:
        raise AssertionError("set at least one of max_duration= or max_cuts= (or pass constraint=)")


# --- constraints ----------------------------------------------------------------------


class SamplingConstraint(metaclass=ABCMeta):
    """Decides when a growing mini-batch is full.

    ``add`` records one example; ``close_to_exceeding`` says that one more
    example as long as the longest one so far would overflow the batch (the
    samplers stop there); ``exceeded`` says it already overflows.
    """

    @abstractmethod
    def add(self, example: Any) -> None: ...

    @abstractmethod
    def exceeded(self) -> bool: ...

    @abstractmethod
    def close_to_exceeding(self) -> bool: ...

    @abstractmethod
    def reset(self) -> None: ...

    @abstractmethod
    def measure_length(self, example: Any) -> float:
        """The size of one example (duration, tokens...) used to pick its bucket."""

    def select_bucket(self, buckets: Any, example: Any = None, example_len: Any = None) -> int:
        """Index of the bucket for an example: bucket ``i`` holds sizes in ``(bins[i-1], bins[i]]``."""
        if (example is None) == (example_len is None):
            raise ValueError("pass exactly one of example= or example_len=")
        if example_len is None:
            example_len = self.measure_length(example)
        return bisect_left(buckets, example_len)

    def copy(self) -> SamplingConstraint:
        """An independent copy (samplers measure candidate batches on copies)."""
        import copy

        return copy.deepcopy(self)


@dataclass
class TimeConstraint(SamplingConstraint):
    """Limits a batch by total duration (``max_duration``) and/or number of cuts (``max_cuts``).

    The duration that counts is the padded one: number of cuts times the
    longest cut, since that is what a collated batch occupies.
    ``quadratic_duration`` adds ``d**2 / quadratic_duration`` to each
    duration ``d`` so that long cuts (whose attention cost grows
    quadratically) make smaller batches.  With ``concatenate_cuts`` the plain
    sum counts (cuts will be glued together).

    >>> c = TimeConstraint(max_duration=10.0)
    >>> c.is_active()
    True
    """

    max_duration: float | None = None
    max_cuts: int | None = None
    current: float = 0
    num_cuts: int = 0
    longest_seen: float = 0
    quadratic_duration: float | None = None
    concatenate_cuts: bool = False

    def __post_init__(self) -> None:
        _check_positive("max_duration", self.max_duration)
        _check_positive("max_cuts", self.max_cuts)
        _check_positive("quadratic_duration", self.quadratic_duration)

    def is_active(self) -> bool:
        return self.max_duration is not None or self.max_cuts is not None

    def _cost(self, duration: float) -> float:
        q = self.quadratic_duration
        return duration if q is None else duration + duration * duration / q

    def add(self, example: Cut) -> None:
        if self.max_duration is not None:
            d = self._cost(example.duration)
            self.current += d
            if d > self.longest_seen:
                self.longest_seen = d
        self.num_cuts += 1

    def exceeded(self) -> bool:
        if self.max_cuts is not None and self.num_cuts > self.max_cuts:
            return True
        if self.max_duration is None:
            return False
        if self.concatenate_cuts:
            return self.current > self.max_duration
        return self.num_cuts * self.longest_seen > self.max_duration

    def close_to_exceeding(self) -> bool:
        if self.max_cuts is not None and self.num_cuts >= self.max_cuts:
            return True
        if self.max_duration is None:
            return False
        if self.concatenate_cuts:
            return self.current > self.max_duration
        return (self.num_cuts + 1) * self.longest_seen > self.max_duration

    def reset(self) -> None:
        self.current = 0
        self.num_cuts = 0
        self.longest_seen = 0

    def measure_length(self, example: Cut) -> float:
        return example.duration

    def copy(self) -> TimeConstraint:
        return TimeConstraint(**self.__dict__)

    def state_dict(self) -> dict[str, Any]:
        return asdict(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        known = set(self.__dataclass_fields__)
        for name in ("strict", "max_samples", "max_frames"):
            state_dict.pop(name, None)  # written by older lhotse versions
        unknown = set(state_dict) - known
        if unknown:
            raise SamplerStateError(f"TimeConstraint state has unknown keys: {sorted(unknown)}")
        for name, value in state_dict.items():
            setattr(self, name, value)
        state_dict.clear()

    def __add__(self, other: TimeConstraint) -> TimeConstraint:
        for name in ("max_duration", "max_cuts", "quadratic_duration"):
            a, b = getattr(self, name), getattr(other, name)
            if not ((a is None and b is None) or (a is not None and b is not None and isclose(a, b))):
                raise ValueError(
                    f"cannot add TimeConstraints with different {name}: {a!r} != {b!r}"
                )
        return TimeConstraint(
            max_duration=self.max_duration,
            max_cuts=self.max_cuts,
            current=self.current + other.current,
            num_cuts=self.num_cuts + other.num_cuts,
            longest_seen=max(self.longest_seen, other.longest_seen),
            quadratic_duration=self.quadratic_duration,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TimeConstraint):
            return NotImplemented
        return (
            self.max_duration == other.max_duration
            and self.max_cuts == other.max_cuts
            and self.quadratic_duration == other.quadratic_duration
        )


@dataclass
class TokenConstraint(SamplingConstraint):
    """Limits a batch of text examples by tokens (``max_tokens``) and/or count (``max_examples``).

    Works like :class:`TimeConstraint` with ``num_tokens`` in place of duration.
    """

    max_tokens: int | None = None
    max_examples: int | None = None
    current: float = 0
    num_examples: int = 0
    longest_seen: float = 0
    quadratic_length: int | None = None

    def __post_init__(self) -> None:
        _check_positive("max_tokens", self.max_tokens)
        _check_positive("max_examples", self.max_examples)
        _check_positive("quadratic_length", self.quadratic_length)

    def is_active(self) -> bool:
        return self.max_tokens is not None or self.max_examples is not None

    def add(self, example: Any) -> None:
        if self.max_tokens is not None:
            size = self.measure_length(example)
            if self.quadratic_length is not None:
                size = size + size * size / self.quadratic_length
            self.current += size
            if size > self.longest_seen:
                self.longest_seen = size
        self.num_examples += 1

    def exceeded(self) -> bool:
        if self.max_examples is not None and self.num_examples > self.max_examples:
            return True
        if self.max_tokens is None:
            return False
        return self.num_examples * self.longest_seen > self.max_tokens

    def close_to_exceeding(self) -> bool:
        if self.max_examples is not None and self.num_examples >= self.max_examples:
            return True
        if self.max_tokens is None:
            return False
        return (self.num_examples + 1) * self.longest_seen > self.max_tokens

    def reset(self) -> None:
        self.current = 0
        self.num_examples = 0
        self.longest_seen = 0

    def measure_length(self, example: Any) -> float:
        return example.num_tokens

    def copy(self) -> TokenConstraint:
        return TokenConstraint(**self.__dict__)

    def state_dict(self) -> dict[str, Any]:
        return asdict(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        for name, value in state_dict.items():
            setattr(self, name, value)
        state_dict.clear()
