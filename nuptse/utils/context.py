"""Context managers, decorators and exceptions."""

from __future__ import annotations

import functools
import inspect
import logging
import sys
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager
from typing import Any

logger = logging.getLogger(__name__)


class nullcontext(AbstractContextManager):
    """A context manager that does nothing and returns ``enter_result`` (like ``contextlib.nullcontext``).

    Tests use it as ``does_not_raise``.

    >>> with nullcontext(5) as value:
    ...     value
    5
    """

    def __init__(self, enter_result: Any = None, *args: Any, **kwargs: Any):
        self.enter_result = enter_result

    def __enter__(self) -> Any:
        return self.enter_result

    def __exit__(self, *excinfo: Any) -> None:
        return None


@contextmanager
def recursion_limit(stack_size: int):
    """Run the block with Python's recursion limit set to ``stack_size``, then restore it."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(stack_size)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


class suppress_and_warn:
    """Suppress the given exception types inside the block, logging each as a warning.

    >>> with suppress_and_warn(KeyError):
    ...     {}["missing"]
    """

    def __init__(self, *exceptions: type[BaseException], enabled: bool = True):
        self._enabled = enabled
        self._exceptions = exceptions

    def __enter__(self) -> None:
        return None

    def __exit__(self, exctype, excinst, exctb) -> bool:
        if not self._enabled or exctype is None or not issubclass(exctype, self._exceptions):
            return False
        logger.warning("[Suppressed %s] Error message: %s", exctype.__qualname__, excinst)
        return True


def rich_exception_info(fn: Callable) -> Callable:
    """Decorator: re-raise any exception from ``fn`` with the call's arguments in its message.

    The re-raised exception has the same type and chains the original.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            message = (
                f"{e}\n[extra info] When calling: {fn.__qualname__}(args={args} kwargs={kwargs})"
            )
            try:
                enriched = type(e)(message)
            except Exception:
                raise e from None
            raise enriched from e

    return wrapper


class NonPositiveEnergyError(ValueError):
    """A signal has zero (or negative) energy where a positive one is needed (e.g. mixing at an SNR)."""


class DeprecatedWarning(UserWarning):
    """Warning issued by functions marked with :func:`deprecated`."""


def deprecated(message: str) -> Callable[[Callable], Callable]:
    """Decorator: warn with ``message`` (a :class:`DeprecatedWarning`) at each call, naming the caller."""

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            caller = inspect.currentframe().f_back
            warnings.warn_explicit(
                message,
                category=DeprecatedWarning,
                filename=caller.f_code.co_filename,
                lineno=caller.f_lineno,
            )
            return func(*args, **kwargs)

        return wrapper

    return decorator
