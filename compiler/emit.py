"""Writing a plan to disk, so the directory mirrors the plan:

    <out>/plan.json          the plan: spec name, and each run's id, overrides and config
    <out>/jobs/<id>.json     each run's RunConfig, what `runtime.train` reads
    <out>/launch.sh          runs the jobs in plan order with torchrun
    <out>/<spec>.sbatch      the same as a Slurm job array (write_slurm, for --target slurm)
    <out>/logs/              where the array's tasks log

Every file is replaced atomically, and job files of runs no longer in the plan are removed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from compiler.launch import launch_script
from compiler.plan import Plan
from compiler.slurm import sbatch_name, sbatch_script


def write_plan(plan: Plan, out_dir: str | Path) -> None:
    out = Path(out_dir)
    jobs = out / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    for run in plan.runs:
        _write_atomic(jobs / f"{run.id}.json", _json(run.config.model_dump(mode="json")))
    _write_atomic(out / "launch.sh", launch_script(plan), executable=True)
    _write_atomic(out / "plan.json", _json(plan.to_json()))
    planned = {f"{run.id}.json" for run in plan.runs}
    for job in jobs.glob("*.json"):
        if job.name not in planned:
            job.unlink()


def write_slurm(plan: Plan, out_dir: str | Path, results: str | Path) -> Path:
    """Write the plan's sbatch script (after write_plan) and the directory its tasks log
    to; returns the script's path. Paths in it are absolute: Slurm runs a copy of it."""
    out = Path(out_dir).absolute()
    (out / "logs").mkdir(parents=True, exist_ok=True)
    script = out / sbatch_name(plan)
    _write_atomic(script, sbatch_script(plan, out, Path(results).absolute()), executable=True)
    return script


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"


def _write_atomic(path: Path, text: str, executable: bool = False) -> None:
    """Readers see the old file or the new one, never half of one.

    No fsync: a plan is cheap to write again, and syncing each of thousands of job files
    would make compiling slow.
    """
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    if executable:
        tmp.chmod(0o755)
    os.replace(tmp, path)
