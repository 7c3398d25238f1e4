"""Parallel ``map`` over processes or threads, at lhotse's ``lhotse.parallel`` path.

:func:`parallel_map` works like the built-in ``map`` but runs ``fn`` in
``num_jobs`` worker processes (or threads) and yields the results in input
order, keeping at most ``queue_size`` results in flight, so it streams over
inputs of any length.

>>> list(parallel_map(abs, [-1, 2, -3], num_jobs=2, threads=True))
[1, 2, 3]
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from typing import Any, Optional

__all__ = ["ParallelExecutor", "SubmitterThread", "parallel_map"]

logger = logging.getLogger(__name__)


def _executor(num_jobs: int, threads: bool) -> Executor:
    if num_jobs < 1:
        raise ValueError(f"num_jobs must be >= 1, got {num_jobs}")
    return (ThreadPoolExecutor if threads else ProcessPoolExecutor)(num_jobs)


def parallel_map(
    fn: Callable,
    *iterables: Iterable,
    num_jobs: int = 1,
    queue_size: int = 5000,
    threads: bool = False,
) -> Generator:
    """``map(fn, *iterables)`` run by ``num_jobs`` processes (``threads=True``: threads).

    Results come back in input order.  At most ``queue_size`` calls are
    submitted ahead of the one being yielded, which bounds memory when the
    consumer is slower than the workers.  With processes, ``fn`` and the
    items must be picklable.  An exception raised by ``fn`` is re-raised here
    when its result is reached.
    """
    if queue_size < 1:
        raise ValueError(f"queue_size must be >= 1, got {queue_size}")
    with _executor(num_jobs, threads) as executor:
        pending: deque = deque()
        for args in zip(*iterables):
            pending.append(executor.submit(fn, *args))
            if len(pending) >= queue_size:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class SubmitterThread(threading.Thread):
    """A thread that submits ``fn(*args)`` for each tuple of ``iterables`` to a pool
    and puts the futures, in order, on :attr:`queue` (bounded by ``queue_size``)."""

    def __init__(
        self,
        fn: Callable,
        *iterables: Iterable,
        num_jobs: int = 1,
        queue_size: int = 10000,
        threads: bool = False,
    ) -> None:
        super().__init__(daemon=True)
        self.fn = fn
        self.iterables = iterables
        self.num_jobs = num_jobs
        self.use_threads = threads
        self.queue: queue.Queue = queue.Queue(maxsize=queue_size)

    def run(self) -> None:
        with _executor(self.num_jobs, self.use_threads) as executor:
            for args in zip(*self.iterables):
                self.queue.put(executor.submit(self.fn, *args), block=True)


class ParallelExecutor:
    """Runs a callable object in ``num_jobs`` worker processes, one instance per worker.

    ``init_fn()`` builds the runner (e.g. a class, or ``functools.partial`` of
    one): once in this process when ``num_jobs == 1``, else once in each
    worker (started with the ``spawn`` method, so expensive state such as a
    model on a GPU is created where it is used).  Calling the executor on
    items yields ``runner(item, **kwargs)`` for each, in order.

    >>> runner = ParallelExecutor(lambda: str.upper, num_jobs=1)
    >>> list(runner(["a", "b"]))
    ['A', 'B']
    """

    _runners: dict[Optional[int], Callable] = {}

    def __init__(
        self,
        init_fn: Callable[[], Callable],
        num_jobs: int = 1,
        verbose: bool = False,
        description: str = "Processing",
    ):
        self._make_runner = init_fn
        self.num_jobs = num_jobs
        self.verbose = verbose
        self.description = description

    def _init_runner(self) -> None:
        ParallelExecutor._runners[multiprocessing.current_process().pid] = self._make_runner()

    def _process(self, *args: Any, **kwargs: Any) -> Any:
        return ParallelExecutor._runners[multiprocessing.current_process().pid](*args, **kwargs)

    def __call__(self, items: Iterable, **kwargs: Any) -> Generator:
        from tqdm.auto import tqdm

        total = len(items) if hasattr(items, "__len__") else None
        if self.num_jobs == 1:
            runner = self._make_runner()
            for item in tqdm(items, desc=self.description, total=total, disable=not self.verbose):
                yield runner(item, **kwargs)
            return
        pool = ProcessPoolExecutor(
            max_workers=self.num_jobs,
            initializer=self._init_runner,
            mp_context=multiprocessing.get_context("spawn"),
        )
        try:
            with pool:
                results = pool.map(partial(self._process, **kwargs), items)
                yield from tqdm(
                    results, desc=self.description, total=total, disable=not self.verbose
                )
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            ParallelExecutor._runners.clear()
