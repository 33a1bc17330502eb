"""How the command line shows runs on a Slurm cluster: a few words per run, and the plan's
counts per state."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from launch.slurm_status import CORRUPT, QUEUED, REQUEUED, RUNNING, STATES, STOPPED, RunState


def describe(run: RunState) -> str:
    """What `run` is at, beyond its state: its step and loss, its job, or its result."""
    task = run.task
    if run.state == RUNNING:
        job = f"job {task.name}" if task else ""
        if run.step is None:
            return job
        return f"step {run.step}/{run.last_step}{_loss(run.loss)}" + (f"  ({job})" if job else "")
    if run.state in (QUEUED, REQUEUED) and task is not None:
        attempt = f", attempt {task.restarts + 1}" if run.state == REQUEUED else ""
        waiting = f", waiting: {task.reason}" if task.reason not in ("", "None") else ""
        return f"job {task.name}{attempt}{waiting}"
    summary = run.summary or {}
    if run.state == "completed":
        final = summary.get("final", {})
        return f"val_loss {final['val_loss']:.4f}" if "val_loss" in final else ""
    if run.state == "diverged":
        return f"at step {summary.get('diverged_at')}"
    if run.state == "failed":
        return str(summary.get("error", "")).splitlines()[0][:120] if summary.get("error") else ""
    if run.state == CORRUPT:
        return f"{run.problem}; `claimlab verify --repair` sets it aside"
    if run.state == STOPPED:
        at = "" if run.step is None else f"at step {run.step}/{run.last_step}, "
        return f"{at}not in the queue: submitting the plan again resumes it"
    return ""


def counts(runs: Sequence[RunState]) -> str:
    """`2 running, 1 queued, 5 completed`: the states present, in STATES order."""
    found = Counter(run.state for run in runs)
    return ", ".join(f"{found[state]} {state}" for state in STATES if found[state])


def _loss(loss: float | None) -> str:
    return "" if loss is None else f"  loss {loss:.4f}"
