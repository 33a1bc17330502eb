"""The subcommands: each turns parsed arguments into calls on compiler, runtime and report."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from cli.problems import UserError
from cli.progress import Progress
from compiler import CompiledSpec, SpecError, compile_spec
from compiler.emit import write_plan
from runtime.executor import FINISHED, Job, pending, run_jobs
from runtime.results import run_status

SPECS_DIR = Path("specs")


def default_plan_dir(spec_name: str) -> Path:
    return Path("build") / "plans" / spec_name


def load_spec(path: Path) -> CompiledSpec:
    if not path.is_file():
        raise UserError(f"{path}: no such spec file")
    try:
        return compile_spec(path)
    except SpecError as err:
        raise UserError(str(err)) from None


def compile_command(args: argparse.Namespace) -> int:
    compiled = load_spec(args.spec)
    out = args.out or default_plan_dir(compiled.spec.name)
    write_plan(compiled.plan, out)
    statuses = Counter(run_status(args.results, run.id) for run in compiled.plan.runs)
    finished = sum(statuses[s] for s in FINISHED)
    print(f"{compiled.spec.name}: {len(compiled.plan.runs)} runs in plan, "
          f"{finished} already finished, {len(compiled.plan.runs) - finished} to run")
    print(f"wrote {out}/plan.json, {out}/jobs/, {out}/launch.sh")
    return 0


def _jobs_of(target: Path, results: Path) -> tuple[str, list[Job]]:
    """The plan's name and jobs, compiling first when `target` is a spec file."""
    if target.is_dir():
        plan_file = target / "plan.json"
        if not plan_file.is_file():
            raise UserError(f"{target}: not a plan directory (no plan.json); "
                            "pass a spec file or a directory written by `claimlab compile`")
        plan = json.loads(plan_file.read_text(encoding="utf-8"))
        name, ids, plan_dir = plan["spec"], [r["id"] for r in plan["runs"]], target
    else:
        compiled = load_spec(target)
        plan_dir = default_plan_dir(compiled.spec.name)
        write_plan(compiled.plan, plan_dir)
        name, ids = compiled.spec.name, [r.id for r in compiled.plan.runs]
    return name, [Job(run_id, plan_dir / "jobs" / f"{run_id}.json") for run_id in ids]


def run_command(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UserError(f"--jobs must be at least 1, found {args.jobs}")
    name, jobs = _jobs_of(args.target, args.results)
    todo = pending(jobs, args.results)
    if not todo:
        counts = Counter(run_status(args.results, job.run_id) for job in jobs)
        detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        print(f"{name}: nothing to run, all {len(jobs)} runs have finished ({detail})")
        return 0
    print(f"{name}: {len(jobs)} runs in plan, {len(jobs) - len(todo)} already finished, "
          f"running {len(todo)} with {min(args.jobs, len(todo))} at a time -> {args.results}/runs/")
    progress = Progress(total=len(todo))
    outcomes = run_jobs(todo, args.results, workers=args.jobs,
                        on_done=progress.done)
    progress.close()
    counts = Counter(o.status for o in outcomes)
    print(f"{name}: " + ", ".join(f"{counts[s]} {s}" for s in ("completed", "diverged", "failed")))
    return 1 if counts["failed"] else 0


def report_command(args: argparse.Namespace) -> int:
    from report.site import build_report  # plotly, pandas and mkdocs load only when reporting

    spec_paths = args.specs or sorted(SPECS_DIR.glob("*.yaml"))
    if not spec_paths:
        raise UserError(f"no specs given and none found in {SPECS_DIR}/")
    entries = []
    for path in spec_paths:
        compiled = load_spec(path)
        entries.append((compiled.spec, compiled.plan, path))
    result = build_report(entries, args.results, args.out)
    print(result.describe())
    return 0
