"""Run many jobs on this machine, N at a time, in long-lived worker processes.

torchrun costs seconds of start-up per process, more than a toy run trains for, so local
sweeps go through a process pool instead: each worker imports torch once and trains job after
job. Each run is isolated by `train()` itself (it records failures in its summary instead of
raising); a worker that dies outright only fails the run it was on, and the pool is rebuilt
for the rest.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from runtime.results import read_summary, run_dir, write_json_atomic

# A run with one of these results is done; running it again would reproduce the same result.
# `failed` is not here: a failure may be the machine's fault, so it is retried.
FINISHED = ("completed", "diverged")


@dataclass(frozen=True)
class Job:
    run_id: str
    path: Path          # jobs/<run_id>.json


@dataclass(frozen=True)
class Outcome:
    run_id: str
    status: str         # completed | diverged | failed
    wall_time_s: float
    final: dict
    error: str | None = None


def pending(jobs: Sequence[Job], results: Path) -> list[Job]:
    """The jobs whose runs have not finished (missing, unfinished or failed)."""
    out = []
    for job in jobs:
        summary = read_summary(results, job.run_id)
        if summary is None or summary.get("status") not in FINISHED:
            out.append(job)
    return out


def threads_per_worker(workers: int) -> int:
    return max(1, (os.cpu_count() or 1) // workers)


def run_jobs(
    jobs: Sequence[Job],
    results: Path,
    *,
    workers: int = 1,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Train every job, `workers` at a time, and return their outcomes in completion order."""
    results = Path(results)
    queue = list(jobs)
    outcomes: list[Outcome] = []
    while queue:
        # A pool that breaks (a worker killed by the OS) loses only the runs in flight;
        # the loop builds a new pool for the rest.
        queue = _run_with_pool(queue, results, workers, on_done, outcomes)
    return outcomes


def _run_with_pool(queue, results, workers, on_done, outcomes) -> list[Job]:
    context = multiprocessing.get_context("spawn")
    in_flight: dict[Future, tuple[Job, float]] = {}
    todo = list(queue)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_init_worker,
                             initargs=(threads_per_worker(workers),)) as pool:
        try:
            while todo or in_flight:
                while todo and len(in_flight) < workers:
                    job = todo.pop(0)
                    future = pool.submit(_train_job, str(job.path), str(results))
                    in_flight[future] = (job, time.perf_counter())
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    job, started = in_flight.pop(future)
                    outcome = _outcome(future, job, results, time.perf_counter() - started)
                    outcomes.append(outcome)
                    if on_done:
                        on_done(outcome)
        except BrokenProcessPool:
            # Every run still in flight died with the pool; record them and go on.
            for job, started in in_flight.values():
                outcome = _record_crash(job, results, time.perf_counter() - started)
                outcomes.append(outcome)
                if on_done:
                    on_done(outcome)
            return todo
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
            raise
    return []


def _outcome(future: Future, job: Job, results: Path, elapsed: float) -> Outcome:
    error = future.exception()
    if isinstance(error, BrokenProcessPool):
        raise error
    if error is not None:
        return _record_crash(job, results, elapsed, f"{type(error).__name__}: {error}")
    summary = future.result()
    return Outcome(job.run_id, summary["status"], elapsed, summary.get("final", {}),
                   summary.get("error"))


def _record_crash(job: Job, results: Path, elapsed: float,
                  error: str = "worker process died (killed or crashed)") -> Outcome:
    """Write a `failed` summary for a run whose worker could not write its own."""
    write_json_atomic(run_dir(results, job.run_id) / "summary.json",
                      {"id": job.run_id, "status": "failed", "error": error,
                       "steps": 0, "tokens": 0, "wall_time_s": elapsed, "final": {}})
    return Outcome(job.run_id, "failed", elapsed, {}, error)


def _init_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def _train_job(job_path: str, results: str) -> dict:
    from runtime.config import load_job
    from runtime.train import train

    config = load_job(job_path)
    return train(config, run_dir(results, config.run_id()))
