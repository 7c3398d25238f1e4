"""Pool workers that end when the process that started them is gone.

Every process pool that nuptse starts runs :func:`exit_with_parent` as its
initializer.

A process pool's workers wait on a pipe that their siblings also hold open,
so when the parent is killed (``kill -9``, an OOM kill) they never see
end-of-file and wait forever. :func:`exit_with_parent`, run in each worker's
initializer, starts a daemon thread that checks once a second whether the
parent still exists and ends the worker when it does not.
"""

from __future__ import annotations

import os
import threading
import time

__all__ = ["exit_with_parent"]

_started_in: int | None = None  # the pid that started the watcher (a fork does not copy threads)


def _watch(parent: int, interval: float) -> None:
    while True:
        time.sleep(interval)
        if os.getppid() != parent:
            os._exit(1)  # the parent died: nobody will collect our results


def exit_with_parent(interval: float = 1.0) -> None:
    """End this (worker) process soon after its parent process dies.

    Safe to call more than once; a no-op in a process whose parent is init.
    """
    global _started_in
    parent = os.getppid()
    if _started_in == os.getpid() or parent <= 1:
        return
    _started_in = os.getpid()
    threading.Thread(
        target=_watch, args=(parent, interval), name="nuptse-exit-with-parent", daemon=True
    ).start()
