"""Run many jobs on this machine, N at a time, in long-lived worker processes.

torchrun costs seconds of start-up per process, more than a toy run trains for, so local
sweeps go through a process pool instead: each worker (launch/worker.py) imports torch once
and trains job after job, and dies with this process. Each run is isolated by `train()` itself
(it records failures in its summary instead of raising); a worker that dies outright only
fails the run it was on, and the pool is rebuilt for the rest. An unfinished or failed run
resumes from its newest checkpoint. Jobs are handed out costliest first, so that the workers
of a sweep end together rather than one training its longest run alone at the end.

Runs are trained under their lease (runtime/lease.py), so several runners can share a plan
and a results folder: a run another process is training is set aside and tried again once
the other jobs are handed out, this time waiting for that process; a run it finished is
reported as it finished.

A run that reads others (a stage starts from a checkpoint, an ensemble evaluates its members,
a refined schedule reads a log) waits for them, and each trains once however many runs read
it; when one does not complete, the runs that read it fail without training.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from compiler.planning.estimate import run_cost
from launch.job_graph import JobGraph
from launch.pool import start_pool, stop_pool
from launch.worker import train_job
from runtime import lease
from runtime.config.run import load_job
from runtime.results import FINISHED, CorruptResult, read_summary, run_dir, write_json_atomic


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
    # "finished" when another process trained the run while this one was waiting for it.
    skipped: str | None = None


def pending(jobs: Sequence[Job], results: Path, graph: JobGraph | None = None,
            on_corrupt: Callable[[CorruptResult], None] | None = None) -> list[Job]:
    """The jobs whose runs have not finished (missing, unfinished, failed or with a broken
    result, which `on_corrupt` is told of), and the finished ones that must train again
    because a run to do starts from a checkpoint of theirs that is gone; in the order given.
    `graph` is the jobs' JobGraph, when the caller has it already (building one reads every
    job file)."""
    todo = set()
    for job in jobs:
        try:
            summary = read_summary(results, job.run_id)
        except CorruptResult as broken:
            if on_corrupt:
                on_corrupt(broken)
            summary = None
        if summary is None or summary.get("status") not in FINISHED:
            todo.add(job.run_id)
    graph = graph or JobGraph.of(jobs)
    todo = graph.with_parents_to_rerun(todo, {job.run_id for job in jobs},
                                                    Path(results))
    return [job for job in jobs if job.run_id in todo]


def run_jobs(
    jobs: Sequence[Job],
    results: Path,
    *,
    workers: int = 1,
    on_start: Callable[[Job], None] | None = None,
    on_done: Callable[[Outcome], None] | None = None,
    graph: JobGraph | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> list[Outcome]:
    """Train every job, `workers` at a time, the costliest first, parents before the runs
    that read them, and return their outcomes in completion order; `on_start` is told of
    each job as it is handed to a worker, `on_done` of each outcome. `graph` may be a
    JobGraph of a superset of `jobs` (the whole plan's). `pool`: `workers` workers already
    started (launch/pool.py), which run_jobs uses and shuts down."""
    results = Path(results)
    queue = _Queue(longest_first(jobs), graph or JobGraph.of(jobs))
    outcomes: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
        for orphan in queue.finished(outcome):
            report(_record_failure(orphan, results, 0.0,
                                   f"run {outcome.run_id}, which it starts from, "
                                   f"{outcome.status}"))

    barren = 0      # pools in a row that broke before finishing any job
    while queue.jobs:
        # A pool that breaks (a worker killed by the OS) loses only the runs in flight;
        # the loop builds a new pool for the rest. Workers that die again before finishing
        # anything cannot start here at all, and would break pool after pool.
        barren = 0 if _run_with_pool(queue, results, pool or start_pool(workers), workers,
                                     report, on_start) else barren + 1
        pool = None
        if barren == 2 and queue.jobs:
            raise WorkersDied(f"the worker processes died twice before finishing a run, so "
                              f"{len(queue.jobs)} runs were not started (the error above "
                              "says why; a worker runs this same Python, "
                              f"{sys.executable})")
    return outcomes


class WorkersDied(RuntimeError):
    """Every worker of a pool died before finishing any job: they cannot start here."""


def longest_first(jobs: Sequence[Job]) -> list[Job]:
    """`jobs`, the costliest runs (training FLOPs, 6·N·D) first, ties in the order given: a
    sweep whose longest run started last would end with one worker training it alone."""
    flops = {job.run_id: run_cost(load_job(str(job.path))).flops for job in jobs}
    return sorted(jobs, key=lambda job: -flops[job.run_id])


class _Queue:
    """The jobs still to train, each handed out when the runs it reads have completed."""

    def __init__(self, jobs: list[Job], graph: JobGraph):
        self.jobs, self.graph = jobs, graph
        self.in_flight: set[str] = set()
        # Runs found held by another process: handed out again last, to wait for it.
        self.held: set[str] = set()

    def ready(self) -> tuple[Job, bool] | None:
        """The next job to train, and whether to wait for its lease; None when every job
        left waits for a run in flight."""
        waiting = {job.run_id for job in self.jobs} | self.in_flight
        for job in self.jobs:
            if not self.graph.parents(job.run_id) & waiting:
                self.jobs.remove(job)
                self.in_flight.add(job.run_id)
                return job, job.run_id in self.held
        return None

    def defer(self, job: Job) -> None:
        """Hand `job`, whose run another process holds, out again after the others."""
        self.in_flight.discard(job.run_id)
        self.held.add(job.run_id)
        self.jobs.append(job)

    def finished(self, outcome: Outcome) -> list[Job]:
        """Mark `outcome`'s run done; the jobs that can no longer train because of it."""
        self.in_flight.discard(outcome.run_id)
        if outcome.status == "completed":
            return []
        doomed = self.graph.descendants(outcome.run_id)
        orphans = [job for job in self.jobs if job.run_id in doomed]
        self.jobs = [job for job in self.jobs if job.run_id not in doomed]
        return orphans

    def lost(self, run_id: str) -> None:
        self.in_flight.discard(run_id)

    def put_back(self, job: Job) -> None:
        """Hand `job` out first again: it was taken but never reached a worker."""
        self.in_flight.discard(job.run_id)
        self.jobs.insert(0, job)


def _run_with_pool(queue: _Queue, results: Path, pool: ProcessPoolExecutor, workers: int,
                   report: Callable[[Outcome], None],
                   on_start: Callable[[Job], None] | None) -> bool:
    """Train jobs on `pool` until none are left or it breaks; whether it finished any."""
    in_flight: dict[Future, tuple[Job, float]] = {}
    finished = False
    try:
        while queue.jobs or in_flight:
            while len(in_flight) < workers and (ready := queue.ready()) is not None:
                job, wait_for_lease = ready
                try:
                    future = pool.submit(train_job, str(job.path), str(results),
                                         wait_for_lease)
                except BrokenProcessPool:
                    queue.put_back(job)     # never handed to a worker: not lost
                    raise
                in_flight[future] = (job, time.perf_counter())
                if on_start:
                    on_start(job)
            if not in_flight:
                raise RuntimeError("jobs wait on runs that are not in the plan: "
                                   + ", ".join(job.run_id for job in queue.jobs))
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                job, started = in_flight.pop(future)
                outcome = _outcome(future, job, results, time.perf_counter() - started)
                finished = True
                if outcome is None:
                    queue.defer(job)
                else:
                    report(outcome)
    except BrokenProcessPool:
        # Every run still in flight died with the pool; record them and go on.
        for job, started in in_flight.values():
            queue.lost(job.run_id)
            report(_record_failure(job, results, time.perf_counter() - started))
        return finished
    finally:
        # The workers are idle now (or their runs lost): ended at once rather than waited
        # for, since a worker with torch loaded takes seconds to exit.
        stop_pool(pool)
    return True


def _outcome(future: Future, job: Job, results: Path, elapsed: float) -> Outcome | None:
    """What became of `job`'s run; None when another process holds it."""
    error = future.exception()
    if isinstance(error, BrokenProcessPool):
        raise error
    if error is not None:
        return _record_failure(job, results, elapsed, f"{type(error).__name__}: {error}")
    summary = future.result()
    if summary.get("skipped") == "held":
        return None
    return Outcome(job.run_id, summary["status"], elapsed, summary.get("final", {}),
                   summary.get("error"), summary.get("skipped"))


def _record_failure(job: Job, results: Path, elapsed: float,
                    error: str = "worker process died (killed or crashed)") -> Outcome:
    """Write a `failed` summary for a run that could not write its own, unless another
    process holds the run (then its summary is that process's to write)."""
    run = run_dir(results, job.run_id)
    try:
        held = lease.take(run)
        if held is not None:
            with held:
                write_json_atomic(run / "summary.json",
                                  {"id": job.run_id, "status": "failed", "error": error,
                                   "steps": 0, "tokens": 0, "wall_time_s": elapsed,
                                   "final": {}})
    except OSError as exc:   # a full disk, say: the outcome still reports the failure
        error += f" (and its summary could not be written: {exc.strerror or exc})"
    return Outcome(job.run_id, "failed", elapsed, {}, error)
