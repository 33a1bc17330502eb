"""The local executor's worker processes (launch/worker.py), started ahead of the jobs.

A worker imports torch as it starts: seconds that a sweep of toy runs would otherwise spend
before its first step. `claimlab run` starts the workers before it reads the plan, so they get
ready while it compiles the spec and looks for finished runs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from launch.worker import init_worker, ready


def threads_per_worker(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // workers)


def start_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` processes, each of them starting now."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=init_worker,
                               initargs=(threads_per_worker(workers), os.getpid()))
    # The executor starts a process for each task submitted while none is idle, so a task
    # that does nothing, once per worker, starts them all.
    for _ in range(workers):
        pool.submit(ready)
    return pool


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """End `pool` at once: what waits is cancelled, the workers terminated (a run they were
    training resumes from its newest checkpoint the next time)."""
    # Taken first: shutting down forgets them.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


@contextmanager
def started_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """start_pool(workers), stopped on the way out unless run_jobs has shut it down."""
    pool = start_pool(workers)
    try:
        yield pool
    finally:
        stop_pool(pool)
