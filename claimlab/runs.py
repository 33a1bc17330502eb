"""Picking one run of a plan from the command line (`--run ID`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from claimlab.problems import UserError
from claimlab.tables import swept_text
from compiler.planning.plan import Plan, PlannedRun


def add_run_arguments(parser: argparse.ArgumentParser, needed_when: str | None = None) -> None:
    """SPEC and `--run ID`, for the commands that show one run of a spec's plan;
    `needed_when` says when --run is required, e.g. "the runs differ in their data"."""
    parser.add_argument("spec", type=Path, metavar="SPEC", help="the spec file (YAML)")
    parser.add_argument("--run", metavar="ID",
                        help="the run: its id or the first digits of it"
                             + (f" (needed when {needed_when})" if needed_when else ""))


def pick_run(plan: Plan, wanted: str | None, spec: Path, *,
             same: Callable[[PlannedRun], str], differ: str) -> PlannedRun:
    """The run whose id starts with `wanted`; without it, the first run when `same` says all
    runs agree on what the command shows, else a UserError listing them ("its N runs
    {differ}")."""
    if wanted is not None:
        matches = [run for run in plan.runs if run.id.startswith(wanted)]
        if len(matches) == 1:
            return matches[0]
        problem = "matches no run" if not matches else f"matches {len(matches)} runs"
        raise UserError(f"{spec}: --run {wanted} {problem}; the runs are:\n"
                        + run_list(matches or plan.runs))
    if len({same(run) for run in plan.runs}) == 1:
        return plan.runs[0]
    raise UserError(f"{spec}: its {len(plan.runs)} runs {differ}; choose one with --run ID:\n"
                    + run_list(plan.runs))


def run_list(runs: Sequence[PlannedRun]) -> str:
    return "\n".join(f"  {run.id}  {swept_text(run.overrides)}" for run in runs)
