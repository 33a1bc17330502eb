"""`claimlab run --target slurm`: submit a plan's job arrays to Slurm, then follow them until
none of their tasks is left in the queue, or return at once with `--detach`."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from claimlab.options import resource_sets
from claimlab.plan_target import PlanRuns, plan_runs
from claimlab.problems import UserError
from claimlab.slurm_view import counts, describe
from claimlab.specs import default_plan_dir, load_spec
from compiler import Plan
from launch.emit import write_plan, write_slurm
from launch.slurm import SUBMIT_NAME, SlurmPathError, sbatch_name
from launch.slurm_queue import SlurmError, queued, submit
from launch.slurm_status import (
    CORRUPT,
    QUEUED,
    REQUEUED,
    RUNNING,
    STOPPED,
    TO_RUN,
    RunState,
    run_states,
)
from runtime.results import FINISHED

# Looks at the queue that may fail in a row (a busy controller) before following gives up.
_QUEUE_FAILURES = 5


def run_on_slurm(args: argparse.Namespace) -> int:
    plan, command = _submittable(args)
    before = run_states(plan.runs, args.results, ())
    todo = sum(run.state not in FINISHED for run in before)
    if not todo:
        print(f"{plan.name}: nothing to run, all {len(plan.runs)} runs have finished "
              f"({counts(before)})")
        return 0
    where = shlex.quote(str(plan.directory))
    try:
        if queued(plan.directory):
            raise UserError(f"{plan.name}: the plan in {plan.directory} has jobs in the queue "
                            f"already; follow them with `claimlab status {where}` or stop "
                            f"them with `claimlab cancel {where}`", exit_code=1)
        print(f"{plan.name}: {len(plan.runs)} runs in plan, {len(plan.runs) - todo} already "
              f"finished, submitting {todo} to Slurm -> {args.results}/runs/", flush=True)
        print(submit(command, args.results).rstrip(), flush=True)
    except SlurmError as error:
        raise UserError(f"{plan.name}: {error}", exit_code=1) from None
    if args.detach:
        print(f"follow with: claimlab status {where}\nstop with: claimlab cancel {where}")
        return 0
    return _follow(plan, args.results, before, args.poll, where)


def _submittable(args: argparse.Namespace) -> tuple[PlanRuns, list[str]]:
    """The plan to submit and the command that submits it: a spec is compiled (resource
    flags applied) and its Slurm scripts written; a plan directory must hold them."""
    target: Path = args.target
    if target.is_dir():
        if resource_sets(args):
            raise UserError(f"{target}: resource flags apply to a spec file; a compiled plan "
                            "has its resources in its Slurm scripts")
        plan = plan_runs(target)
        for command in ([str(target.absolute() / SUBMIT_NAME)],
                        ["sbatch", str(target.absolute() / sbatch_name(Plan(plan.name)))]):
            if Path(command[-1]).is_file():
                return plan, command
        raise UserError(f"{target}: no Slurm scripts here; compile the spec with "
                        "`--target slurm`, or run it with `claimlab run SPEC --target slurm`")
    compiled = load_spec(target, args.profiles, [*args.sets, *resource_sets(args)])
    directory = default_plan_dir(compiled.spec.name)
    write_plan(compiled.plan, directory)
    try:
        _, command = write_slurm(compiled.plan, directory, args.results)
    except SlurmPathError as error:
        raise UserError(str(error)) from None
    return PlanRuns.of(compiled.plan, directory), shlex.split(command)


def _follow(plan: PlanRuns, results: Path, before: list[RunState], poll: float,
            where: str) -> int:
    """Print each run's progress as the queue and the results folder show it, until no task
    of the plan is left in the queue; 0 when every run then has a result, 1 otherwise."""
    shown = {run.run_id: (run.state, None) for run in before}
    total = sum(run.state not in FINISHED for run in before)
    ended = failures = 0
    try:
        while True:
            try:
                tasks = queued(plan.directory)
            except SlurmError as error:
                failures += 1
                if failures >= _QUEUE_FAILURES:
                    raise UserError(f"{plan.name}: {error}", exit_code=1) from None
                print(f"cannot read the queue ({error}); trying again", file=sys.stderr)
                time.sleep(poll)
                continue
            failures = 0
            for run in run_states(plan.runs, results, tasks):
                seen = (run.state, run.task.restarts if run.task else None)
                if seen == shown[run.run_id] or run.state in (QUEUED, TO_RUN):
                    shown[run.run_id] = seen
                    continue
                shown[run.run_id] = seen
                if run.state in (*FINISHED, "failed"):
                    ended += 1
                    print(f"[{ended:>{len(str(total))}}/{total}] {run.run_id} {run.state:<9} "
                          f"{describe(run)}", flush=True)
                elif run.state in (RUNNING, REQUEUED, CORRUPT, STOPPED):
                    print(f"{run.run_id} {run.state:<9} {describe(run)}", flush=True)
            if not tasks:
                break
            time.sleep(poll)
    except KeyboardInterrupt:
        print(f"stopped following; the jobs go on. Follow them with `claimlab status "
              f"{where}`, stop them with `claimlab cancel {where}`", file=sys.stderr)
        return 130
    after = run_states(plan.runs, results, ())
    print(f"{plan.name}: {counts(after)}")
    return 0 if all(run.state in FINISHED for run in after) else 1
