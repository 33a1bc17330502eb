"""A plan's jobs on a Slurm cluster: submitting them, finding their tasks in the queue and
cancelling them, through Slurm's own commands.

A plan's jobs are the user's queued jobs whose batch script is one of the plan directory's
Slurm scripts (squeue shows a batch job's script by its absolute path), whether `claimlab run`
or the user submitted them. A task's run is read from the copy of the script Slurm keeps for
the job, the one actually submitted, even if the plan was compiled again since.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from launch.slurm import array_runs

# squeue's fields for a task, `|`-separated; Command (the script's path) last, as a path may
# hold a `|`.
_FIELDS = ("JobID", "ArrayJobID", "ArrayTaskID", "State", "Reason", "RestartCnt", "Command")


class SlurmError(Exception):
    """A Slurm command that is missing or failed; `str()` says which and what it printed."""


@dataclass(frozen=True)
class Task:
    """One array task of a plan's job, as the queue shows it."""

    run_id: str
    array_job: str      # the array's job id, which `scancel` takes for all of its tasks
    index: int          # the task's index in its array
    state: str          # Slurm's: PENDING, RUNNING, REQUEUED, COMPLETING, ...
    reason: str         # why a pending task waits: Dependency, Resources, BeginTime, ...
    restarts: int       # times it was requeued

    @property
    def name(self) -> str:
        """How Slurm's commands name the task: <array job>_<index>."""
        return f"{self.array_job}_{self.index}"


def slurm(*command: str, env: Mapping[str, str] | None = None) -> str:
    """Run a Slurm command; what it printed. Raises SlurmError when it is missing or fails."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    except FileNotFoundError:
        raise SlurmError(f"{command[0]} not found: Slurm's commands are not installed "
                         "here (run this on a machine that submits to the cluster)") from None
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise SlurmError(f"{command[0]} failed (exit {done.returncode})"
                         + (": " + " ".join(said) if said else ""))
    return done.stdout


def submit(command: Iterable[str], results: Path) -> str:
    """Run the command that submits a plan (`sbatch SCRIPT`, or `submit.sh` for a staged
    plan), its jobs training into `results`; what it printed."""
    # The scripts train into $CLAIMLAB_RESULTS when it is set, and jobs inherit it.
    env = {**os.environ, "CLAIMLAB_RESULTS": str(results.absolute())}
    return slurm(*command, env=env)


def queued(plan_dir: Path) -> list[Task]:
    """The tasks in the queue of the plan in `plan_dir`, in the queue's order."""
    here = plan_dir.resolve()
    listing = slurm("squeue", "--me", "--array", "--noheader",
                    "--Format=" + ",".join(f"{name}:|" for name in _FIELDS))
    rows = []
    for line in listing.splitlines():
        values = line.split("|", len(_FIELDS) - 1)
        if len(values) != len(_FIELDS):
            continue
        row = dict(zip(_FIELDS, values, strict=True))
        row["Command"] = row["Command"].removesuffix("|")
        if row["ArrayTaskID"].isdigit() and Path(row["Command"]).parent.resolve() == here:
            rows.append(row)
    runs_of = {row["ArrayJobID"]: _runs_of(row["ArrayJobID"], Path(row["Command"]))
               for row in rows}
    return [Task(run_id=runs_of[row["ArrayJobID"]][int(row["ArrayTaskID"])],
                 array_job=row["ArrayJobID"], index=int(row["ArrayTaskID"]),
                 state=row["State"], reason=row["Reason"],
                 restarts=int(row["RestartCnt"] or 0))
            for row in rows if int(row["ArrayTaskID"]) < len(runs_of[row["ArrayJobID"]])]


def _runs_of(array_job: str, script: Path) -> list[str]:
    """The runs of an array's tasks, from the script Slurm holds for it, or from the script
    on disk when Slurm no longer has it (the job has just ended); none when neither is one
    of claimlab's array scripts."""
    try:
        text = slurm("scontrol", "write", "batch_script", array_job, "-")
    except SlurmError:
        try:
            text = script.read_text(encoding="utf-8")
        except OSError:
            return []
    try:
        return array_runs(text)
    except ValueError:
        return []


def cancel(tasks: Iterable[Task]) -> list[str]:
    """Cancel the arrays these tasks belong to, every task of each; their job ids."""
    jobs = list(dict.fromkeys(task.array_job for task in tasks))
    if jobs:
        slurm("scancel", *jobs)
    return jobs
