"""`claimlab status SPEC_OR_PLAN_DIR`: what each run of a plan submitted to Slurm is doing."""

from __future__ import annotations

import argparse
from pathlib import Path

from claimlab.options import add_spec_options
from claimlab.plan_target import plan_runs
from claimlab.problems import UserError
from claimlab.slurm_view import counts, describe
from claimlab.tables import text_table
from launch.slurm_queue import SlurmError, queued
from launch.slurm_status import run_states


def add_parser(sub: argparse._SubParsersAction, default_results: Path) -> None:
    p = sub.add_parser("status", help="show what each run of a plan on Slurm is doing",
                       description="Show each run of a plan submitted to Slurm: queued, "
                                   "requeued, running (at step s of S, with its loss), "
                                   "completed, diverged, failed, stopped (started, not "
                                   "finished, no longer queued) or to run, from the Slurm "
                                   "queue and the results directory.")
    p.add_argument("target", type=Path, metavar="SPEC_OR_PLAN_DIR",
                   help="a spec file (its plan in build/plans/<name>/), or a directory "
                        "written by `claimlab compile`")
    p.add_argument("--results", type=Path, default=default_results, metavar="DIR",
                   help="results directory the jobs write to (default: results/)")
    add_spec_options(p)
    p.set_defaults(handler=status_command)


def status_command(args: argparse.Namespace) -> int:
    plan = plan_runs(args.target, args.profiles, args.sets)
    try:
        tasks = queued(plan.directory)
    except SlurmError as error:
        raise UserError(f"{plan.name}: {error}", exit_code=1) from None
    runs = run_states(plan.runs, args.results, tasks)
    print(f"{plan.name}: {len(runs)} runs: {counts(runs)}")
    print(text_table(("run", "state", ""), [(run.run_id, run.state, describe(run))
                                             for run in runs]))
    return 0
