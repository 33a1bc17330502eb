"""The subcommands: each turns parsed arguments into calls on compiler, runtime and report."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from cli.plan_report import statuses
from cli.problems import UserError
from cli.progress import Progress
from cli.spec_options import resource_sets
from compiler import CompiledSpec, SpecError, compile_spec
from compiler.emit import write_plan, write_slurm
from compiler.slurm import SlurmPathError
from runtime.executor import Job, pending, run_jobs
from runtime.job_graph import JobGraph
from runtime.results import FINISHED, run_status

SPECS_DIR = Path("specs")


def spec_paths(given: Sequence[Path]) -> list[Path]:
    """The spec files named; none named, every *.yaml directly under specs/."""
    paths = list(given) or sorted(SPECS_DIR.glob("*.yaml"))
    if not paths:
        raise UserError(f"no specs given and none found in {SPECS_DIR}/")
    return paths


def default_plan_dir(spec_name: str) -> Path:
    return Path("build") / "plans" / spec_name


def load_spec(path: Path, profiles: Sequence[str] = (), sets: Sequence[str] = ()) -> CompiledSpec:
    """The compiled spec, its warnings printed; a spec's problems are a UserError."""
    if not path.is_file():
        raise UserError(f"{path}: no such spec file")
    try:
        compiled = compile_spec(path, profiles=profiles, sets=sets)
    except SpecError as err:
        raise UserError(str(err)) from None
    for warning in compiled.plan.warnings:
        print(warning, file=sys.stderr)
    return compiled


def compile_command(args: argparse.Namespace) -> int:
    compiled = load_spec(args.spec, args.profiles, [*args.sets, *resource_sets(args)])
    out = args.out or default_plan_dir(compiled.spec.name)
    write_plan(compiled.plan, out)
    written = [f"{out}/plan.json", f"{out}/jobs/", f"{out}/launch.sh"]
    submit = None
    if args.target == "slurm":
        try:
            scripts, submit = write_slurm(compiled.plan, out, args.results)
        except SlurmPathError as error:
            raise UserError(str(error)) from None
        written += [str(script) for script in scripts]
    found = statuses(args.results, [run.id for run in compiled.plan.runs])
    finished = sum(status in FINISHED for status in found.values())
    print(f"{compiled.spec.name}: {len(compiled.plan.runs)} runs in plan, "
          f"{finished} already finished, {len(compiled.plan.runs) - finished} to run")
    print(f"wrote {', '.join(written)}")
    if submit is not None:
        print(f"submit with: {submit}")
    return 0


def _jobs_of(target: Path, profiles: Sequence[str] = (),
             sets: Sequence[str] = ()) -> tuple[str, list[Job]]:
    """The plan's name and jobs, compiling first when `target` is a spec file."""
    if target.is_dir() and (profiles or sets):
        raise UserError(f"{target}: --profile and --set apply to a spec file, not to a "
                        "compiled plan directory")
    if target.is_dir():
        plan_file = target / "plan.json"
        if not plan_file.is_file():
            raise UserError(f"{target}: not a plan directory (no plan.json); "
                            "pass a spec file or a directory written by `claimlab compile`")
        plan = json.loads(plan_file.read_text(encoding="utf-8"))
        name, ids, plan_dir = plan["spec"], [r["id"] for r in plan["runs"]], target
    else:
        compiled = load_spec(target, profiles, sets)
        plan_dir = default_plan_dir(compiled.spec.name)
        write_plan(compiled.plan, plan_dir)
        name, ids = compiled.spec.name, [r.id for r in compiled.plan.runs]
    return name, [Job(run_id, plan_dir / "jobs" / f"{run_id}.json") for run_id in ids]


def run_command(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UserError(f"--jobs must be at least 1, found {args.jobs}")
    name, jobs = _jobs_of(args.target, args.profiles, args.sets)
    try:
        graph = JobGraph.of(jobs)  # reads every job file, once for both uses below
        todo = pending(jobs, args.results, graph)
    except ValidationError as error:
        # A job whose data changed since it was compiled, say.
        message = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise UserError(f"{args.target}: a job does not load: {message}") from None
    if not todo:
        counts = Counter(run_status(args.results, job.run_id) for job in jobs)
        detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        print(f"{name}: nothing to run, all {len(jobs)} runs have finished ({detail})")
        return 0
    print(f"{name}: {len(jobs)} runs in plan, {len(jobs) - len(todo)} already finished, "
          f"running {len(todo)} with {min(args.jobs, len(todo))} at a time -> {args.results}/runs/")
    progress = Progress(total=len(todo))
    outcomes = run_jobs(todo, args.results, workers=args.jobs, on_done=progress.done,
                        graph=graph)
    progress.close()
    counts = Counter(o.status for o in outcomes)
    print(f"{name}: " + ", ".join(f"{counts[s]} {s}" for s in ("completed", "diverged", "failed")))
    return 1 if counts["failed"] else 0

