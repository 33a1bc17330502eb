"""`claimlab run SPEC_OR_PLAN_DIR [--jobs N]`: train every run of a plan that has not finished,
on this machine, N at a time; with `--target slurm`, as job arrays on a Slurm cluster
(claimlab/slurm_run.py)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pydantic import ValidationError

from claimlab.options import add_resource_options, add_spec_options, resource_sets
from claimlab.problems import UserError
from claimlab.progress import SweepProgress
from claimlab.progress_views import progress_view
from claimlab.slurm_run import run_on_slurm
from claimlab.specs import default_plan_dir, load_spec
from launch.emit import write_plan
from launch.job_graph import JobGraph
from launch.local import Job, WorkersDied, pending, run_jobs
from launch.pool import started_pool
from runtime.results import run_status


def add_parser(sub: argparse._SubParsersAction, default_results: Path) -> None:
    p = sub.add_parser("run", help="train every run of a plan that has not finished",
                       description="Train every run of SPEC's plan (compiling it first) or of "
                                   "a compiled plan directory that is not already finished, "
                                   "N at a time, or with --target slurm as Slurm job "
                                   "arrays. Runs are trained under a lease, so several "
                                   "runners (this command, launch.sh, Slurm tasks) can share "
                                   "a plan and results folder and each run is trained once. "
                                   "Exit code 0 when every run has a result (completed or "
                                   "diverged), 1 when any failed.")
    p.add_argument("target", type=Path, metavar="SPEC_OR_PLAN_DIR",
                   help="a spec file, or a directory written by `claimlab compile`")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="runs trained at once (default: 1)")
    p.add_argument("--results", type=Path, default=default_results, metavar="DIR",
                   help="results directory (default: results/)")
    p.add_argument("--target", choices=("local", "slurm"), default="local", dest="launcher",
                   help="local: train here; slurm: submit the plan's job arrays with sbatch "
                        "and follow them until they end (default: local)")
    p.add_argument("--detach", action="store_true",
                   help="with --target slurm: submit and return at once; `claimlab status` "
                        "shows the runs, `claimlab cancel` stops them")
    p.add_argument("--poll", type=float, default=10.0, metavar="SECONDS",
                   help="with --target slurm: seconds between looks at the queue while "
                        "following (default: 10)")
    add_spec_options(p)
    add_resource_options(p)
    p.set_defaults(handler=run_command)


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
    if args.launcher == "slurm":
        if args.poll <= 0:
            raise UserError(f"--poll must be positive, found {args.poll}")
        return run_on_slurm(args)
    if args.detach or resource_sets(args):
        raise UserError("--detach and resource flags (--account, --time, ...) apply to "
                        "--target slurm")
    if args.jobs < 1:
        raise UserError(f"--jobs must be at least 1, found {args.jobs}")
    if not _has_torch():
        raise UserError(f"claimlab run trains with PyTorch, which this Python "
                        f"({sys.executable}) does not have: install claimlab's environment "
                        "(scripts/setup.sh), or run the claimlab of the environment that has "
                        "torch")
    # The workers start (each importing torch) while the plan is read; stopped at once when
    # there is nothing to train or the plan does not load.
    with started_pool(args.jobs) as pool:
        return _run_locally(args, pool)


def _has_torch() -> bool:
    """Whether this Python can find torch: the workers run this same Python, and each would
    die importing it (the command itself starts without it)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def _run_locally(args: argparse.Namespace, pool: ProcessPoolExecutor) -> int:
    name, jobs = _jobs_of(args.target, args.profiles, args.sets)
    try:
        graph = JobGraph.of(jobs)  # reads every job file, once for both uses below
        todo = pending(jobs, args.results, graph,
                       on_corrupt=lambda broken: print(broken, file=sys.stderr))
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
    progress = SweepProgress(len(todo), args.results, workers=min(args.jobs, len(todo)))
    with progress_view(progress) as view:
        try:
            outcomes = run_jobs(todo, args.results, workers=args.jobs, on_start=view.started,
                                on_done=view.done, graph=graph, pool=pool)
        except WorkersDied as error:
            raise UserError(f"{name}: {error}", exit_code=1) from None
    counts = Counter(o.status for o in outcomes)
    print(f"{name}: " + ", ".join(f"{counts[s]} {s}" for s in ("completed", "diverged", "failed")))
    return 1 if counts["failed"] else 0
