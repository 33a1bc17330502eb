"""The plan a cluster command is about, named by its spec file or by the directory it was
compiled to: its name, its directory and, for each run, the step it ends at."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from claimlab.problems import UserError
from claimlab.specs import default_plan_dir, load_spec
from compiler import Plan
from runtime.config.run import RunConfig


@dataclass(frozen=True)
class PlanRuns:
    name: str                           # the spec's name
    directory: Path                     # where the plan is (or would be) compiled to
    runs: tuple[tuple[str, int], ...]   # (run id, last step), in plan order

    @classmethod
    def of(cls, plan: Plan, directory: Path) -> PlanRuns:
        return cls(plan.spec, directory,
                   tuple((run.id, run.config.last_step) for run in plan.runs))


def plan_runs(target: Path, profiles: Sequence[str] = (), sets: Sequence[str] = ()) -> PlanRuns:
    """The plan of `target`: a compiled plan directory, or a spec file (compiled in memory,
    its directory the default one)."""
    if not target.is_dir():
        compiled = load_spec(target, profiles, sets)
        return PlanRuns.of(compiled.plan, default_plan_dir(compiled.spec.name))
    if profiles or sets:
        raise UserError(f"{target}: --profile and --set apply to a spec file, not to a "
                        "compiled plan directory")
    plan_file = target / "plan.json"
    try:
        plan = json.loads(plan_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(f"{target}: not a plan directory (no readable plan.json); pass a "
                        "spec file or a directory written by `claimlab compile`") from None
    try:
        runs = tuple((run["id"], RunConfig.model_validate(run["config"]).last_step)
                     for run in plan["runs"])
    except ValidationError as error:
        # A job whose data changed since it was compiled, say.
        message = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise UserError(f"{plan_file}: a run does not load: {message}") from None
    return PlanRuns(plan["spec"], target, runs)
