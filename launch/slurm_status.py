"""What each run of a plan on a Slurm cluster is doing, from its task in the queue and what it
has written to the results folder.

A run whose task is in the queue is queued, requeued (waiting to start again after a failure
or its time limit) or running, at the step its metrics log has reached. A run off the queue is
what its summary says (completed, diverged or failed), corrupt when that summary or its
metrics log is broken (`claimlab verify` says more), stopped when it started but has no
summary (killed or cancelled: running it again resumes it), or to run when it never started.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launch.slurm_queue import Task
from runtime.results import CorruptResult, read_summary, run_dir

QUEUED, REQUEUED, RUNNING = "queued", "requeued", "running"
CORRUPT, STOPPED, TO_RUN = "corrupt", "stopped", "to run"
# The order states are counted and listed in: what is moving first.
STATES = (RUNNING, REQUEUED, QUEUED, "completed", "diverged", "failed", CORRUPT, STOPPED,
          TO_RUN)

# Slurm's states of a task that has a process on the node.
_ACTIVE = frozenset({"RUNNING", "COMPLETING", "CONFIGURING", "SIGNALING", "STAGE_OUT"})
# How much of a metrics log is read for its newest record.
_TAIL_BYTES = 64 * 1024


@dataclass(frozen=True)
class RunState:
    run_id: str
    state: str                            # one of STATES
    last_step: int                        # the step the run ends at
    step: int | None = None               # the newest step in its metrics log
    loss: float | None = None             # its train loss at `step`
    task: Task | None = None              # its task, while in the queue
    summary: dict[str, Any] | None = None  # its summary, once it has one
    problem: str | None = None            # what is broken, when corrupt


def run_states(runs: Sequence[tuple[str, int]], results: Path,
               tasks: Iterable[Task]) -> list[RunState]:
    """The state of each of `runs` (run id, last step), in their order, given the plan's
    tasks in the queue."""
    queued = {task.run_id: task for task in tasks}
    return [_state(run_id, last_step, results, queued.get(run_id))
            for run_id, last_step in runs]


def _state(run_id: str, last_step: int, results: Path, task: Task | None) -> RunState:
    folder = run_dir(results, run_id)
    if task is not None:
        if task.state in _ACTIVE:
            record = last_record(folder / "metrics.jsonl") or {}
            return RunState(run_id, RUNNING, last_step, record.get("step"),
                            record.get("train_loss"), task)
        return RunState(run_id, REQUEUED if task.restarts else QUEUED, last_step, task=task)
    try:
        summary = read_summary(results, run_id)
    except CorruptResult as error:
        return RunState(run_id, CORRUPT, last_step, problem=f"{error.path.name}: {error.problem}")
    if summary is not None:
        return RunState(run_id, summary["status"], last_step, summary.get("steps"),
                        summary=summary)
    if folder.exists():
        record = last_record(folder / "metrics.jsonl") or {}
        return RunState(run_id, STOPPED, last_step, record.get("step"),
                        record.get("train_loss"))
    return RunState(run_id, TO_RUN, last_step)


def last_record(path: Path) -> dict[str, Any] | None:
    """The newest whole record of a metrics log, read from its end: cheap while a run
    appends to a long log. None when it has none."""
    try:
        with path.open("rb") as log:
            size = log.seek(0, os.SEEK_END)
            log.seek(max(0, size - _TAIL_BYTES))
            tail = log.read()
    except FileNotFoundError:
        return None
    # The piece after the last newline is a line still being written; the first piece
    # may be the end of a line the window cut.
    for line in reversed(tail.split(b"\n")[:-1]):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            return record
    return None
