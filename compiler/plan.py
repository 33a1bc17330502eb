"""A Plan: the sorted list of runs a spec needs, each with its id, overrides and config."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from compiler.config_paths import get_value
from compiler.errors import Problem, SpecError
from compiler.run_config import resolve_config
from compiler.spec import Spec, Sweep
from compiler.sweep import Override, apply, blame, combinations
from runtime.config import RunConfig

_RUN_ID = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class PlannedRun:
    id: str
    # Dotted path -> value, the sweep values that made this run differ from `base`
    # (seed included as `seed`).
    overrides: dict[str, Any]
    config: RunConfig

    def __post_init__(self) -> None:
        # Ids name files and appear in shell scripts: only run ids (hex digits) may.
        if not _RUN_ID.fullmatch(self.id):
            raise ValueError(f"not a run id: {self.id!r}")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "overrides": self.overrides,
                "config": self.config.model_dump(mode="json")}


@dataclass(frozen=True)
class Plan:
    spec: str                       # the spec's name
    runs: tuple[PlannedRun, ...] = field(default_factory=tuple)   # sorted by id

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec, "runs": [r.to_json() for r in self.runs]}


def build_plan(spec: Spec) -> Plan:
    """The spec's runs; raises SpecError (paths into the spec) when some run is invalid."""
    return Plan(spec=spec.name, runs=planned_runs(spec.base, spec.sweep))


def planned_runs(base: RunConfig, sweep: Sweep) -> tuple[PlannedRun, ...]:
    """Every run of `sweep` over `base`, each validated; runs that come out the same (same
    id) are one run. Each distinct problem is reported once, on the value that caused it."""
    # What the spec wrote, not the defaults it implies: a swept `schedule.kind` must not
    # inherit the fields another kind's defaults filled in.
    written = base.model_dump(exclude_unset=True)
    runs: dict[str, PlannedRun] = {}
    failures: list[tuple[tuple[Override, ...], Problem]] = []
    in_valid_runs: set[Override] = set()
    for overrides in combinations(sweep):
        try:
            config = resolve_config(apply(written, overrides))
        except SpecError as error:
            failures += [(overrides, problem) for problem in error.problems]
            continue
        in_valid_runs.update(overrides)
        run = _planned_run(config, overrides)
        runs.setdefault(run.id, run)
    if failures:
        raise SpecError(blame(failures, in_valid_runs))
    return tuple(runs[run_id] for run_id in sorted(runs))


def _planned_run(config: RunConfig, overrides: tuple[Override, ...]) -> PlannedRun:
    # Overrides are read back from the validated config, so they say what the run uses
    # (1 -> 1.0 for a float field) and runs merged by id agree on them.
    resolved = config.model_dump(mode="json")
    return PlannedRun(
        id=config.run_id(),
        overrides={".".join(o.path): get_value(resolved, o.path) for o in overrides},
        config=config,
    )
