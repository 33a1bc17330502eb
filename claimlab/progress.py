"""Progress of a local sweep, from what the runs write as they go: how many runs have
finished (by status), where each running run is (its step, loss, tokens/s and ETA, read from
its own metrics log), and when the sweep should end.

The model only; claimlab/progress_views.py shows it, as plain lines or live in a terminal.
`started` and `done` come from the executor's thread and the views read from another (a live
display refreshes on its own), so the state is behind a lock.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from launch.slurm_status import last_record
from runtime.config.run import load_job
from runtime.results import run_dir

if TYPE_CHECKING:
    from launch.local import Job, Outcome


@dataclass(frozen=True)
class RunView:
    """A running run, as far as its metrics log has got."""

    run_id: str
    first_step: int            # the step it started after (a stage's parent's, or 0)
    last_step: int             # the step it ends at
    step: int | None = None    # its newest logged step; None before the first
    loss: float | None = None  # its train loss at `step`
    # Measured since this sweep first saw it log (so a resumed run is timed on its new
    # steps alone); None until it has logged twice.
    tokens_per_s: float | None = None
    eta_s: float | None = None


@dataclass
class _Watch:
    """What the model keeps of a running run between looks at its log."""

    first_step: int
    last_step: int
    # The first record seen (its step, tokens, time_s): the start of its rate's window.
    origin: tuple[int, int, float] | None = None


class SweepProgress:
    def __init__(self, total: int, results: Path, workers: int,
                 clock: Callable[[], float] = time.perf_counter):
        self.total = total          # runs this sweep trains
        self.results = Path(results)
        self.workers = workers
        self.clock = clock
        self.started_at = clock()
        self.counts: Counter[str] = Counter()   # finished runs by status
        self._wall_times: list[float] = []      # of the runs trained here, finished
        self._running: dict[str, _Watch] = {}
        self._lock = threading.Lock()

    @property
    def finished(self) -> int:
        return sum(self.counts.values())

    def elapsed_s(self) -> float:
        return self.clock() - self.started_at

    def started(self, job: Job) -> None:
        """`job`'s run has been handed to a worker."""
        config = load_job(str(job.path))
        with self._lock:
            self._running[job.run_id] = _Watch(config.first_step, config.last_step)

    def done(self, outcome: Outcome) -> None:
        with self._lock:
            self._running.pop(outcome.run_id, None)
            self.counts[outcome.status] += 1
            if outcome.skipped is None and outcome.wall_time_s > 0:
                self._wall_times.append(outcome.wall_time_s)

    def running(self) -> list[RunView]:
        """The running runs, in the order they started, each as its log has it now."""
        with self._lock:
            watched = list(self._running.items())
        views = []
        for run_id, watch in watched:
            record = last_record(run_dir(self.results, run_id) / "metrics.jsonl")
            views.append(_view(run_id, watch, record))
        return views

    def eta_s(self, running: list[RunView]) -> float | None:
        """Seconds until the last run ends: the runs not started yet, at the mean time of the
        runs finished here (or, before any has, of the running ones' projected times), plus
        what the running ones have left, shared among the workers. None while nothing has
        been measured."""
        with self._lock:
            per_run = (sum(self._wall_times) / len(self._wall_times) if self._wall_times
                       else None)
        projected = [_projected_s(view) for view in running]
        if per_run is None:
            known = [seconds for seconds in projected if seconds is not None]
            per_run = sum(known) / len(known) if known else None
        if per_run is None:
            return None
        waiting = max(0, self.total - self.finished - len(running))
        left = [view.eta_s if view.eta_s is not None else per_run for view in running]
        # Work is shared among the workers, but no run is: the sweep lasts at least as long
        # as its longest run still to go.
        return max([*left, per_run if waiting else 0.0,
                    (waiting * per_run + sum(left)) / max(1, self.workers)])

    def tokens_per_s(self, running: list[RunView]) -> float:
        """The sweep's training throughput now: the running runs' tokens/s together."""
        return sum(view.tokens_per_s or 0.0 for view in running)


def _view(run_id: str, watch: _Watch, record: dict | None) -> RunView:
    view = RunView(run_id, watch.first_step, watch.last_step)
    if not record or not isinstance(record.get("step"), int):
        return view
    step, tokens, time_s = record["step"], record.get("tokens"), record.get("time_s")
    view = RunView(run_id, watch.first_step, watch.last_step, step, record.get("train_loss"))
    if not isinstance(tokens, int) or not isinstance(time_s, (int, float)):
        return view
    if watch.origin is None:
        watch.origin = (step, tokens, float(time_s))
    first_step, first_tokens, first_time = watch.origin
    seconds = time_s - first_time
    if step <= first_step or seconds <= 0:
        return view
    per_step = seconds / (step - first_step)
    return RunView(run_id, watch.first_step, watch.last_step, step, view.loss,
                   (tokens - first_tokens) / seconds, max(0, watch.last_step - step) * per_step)


def _projected_s(view: RunView) -> float | None:
    """How long the whole run should take, from its pace so far."""
    if view.eta_s is None or view.step is None or not view.first_step < view.step < view.last_step:
        return None
    total = view.last_step - view.first_step
    return view.eta_s * total / max(1, view.last_step - view.step)
