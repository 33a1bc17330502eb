"""`claimlab cancel SPEC_OR_PLAN_DIR`: stop a plan's jobs on Slurm."""

from __future__ import annotations

import argparse
from pathlib import Path

from claimlab.options import add_spec_options
from claimlab.plan_target import plan_runs
from claimlab.problems import UserError
from launch.slurm_queue import SlurmError, cancel, queued


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cancel", help="stop a plan's jobs on Slurm",
                       description="Cancel every job of a plan in the Slurm queue, running or "
                                   "not. Runs keep their checkpoints: submitting the plan "
                                   "again resumes them.")
    p.add_argument("target", type=Path, metavar="SPEC_OR_PLAN_DIR",
                   help="a spec file (its plan in build/plans/<name>/), or a directory "
                        "written by `claimlab compile`")
    add_spec_options(p)
    p.set_defaults(handler=cancel_command)


def cancel_command(args: argparse.Namespace) -> int:
    plan = plan_runs(args.target, args.profiles, args.sets)
    try:
        tasks = queued(plan.directory)
        jobs = cancel(tasks)
    except SlurmError as error:
        raise UserError(f"{plan.name}: {error}", exit_code=1) from None
    if not jobs:
        print(f"{plan.name}: no jobs of the plan in {plan.directory} are in the queue")
        return 0
    print(f"{plan.name}: cancelled job(s) {', '.join(jobs)}, {len(tasks)} run(s) in all")
    return 0
