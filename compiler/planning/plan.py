"""A Plan: the sorted list of runs a spec needs, each with its id, overrides and config."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from compiler.language.errors import Problem, SpecError, show
from compiler.language.resources import Resources
from compiler.language.spec import Spec
from compiler.language.sweep import Sweep
from compiler.language.sweep_rules import sweep_problems, unknown_stages
from compiler.planning.blame import blame
from compiler.planning.derive import UnderivableValue, derivation_order, derive
from compiler.planning.duplicates import duplicate_warnings
from compiler.planning.expand import Override, apply, combinations
from compiler.planning.run_config import every_section
from compiler.planning.stages import (
    Stage,
    StageRun,
    ancestry,
    link,
    resolve_chain,
    stage_locations,
    unplanned_members,
    written_stages,
)
from compiler.planning.sweep_configs import SweepConfigs
from runtime.config.run import RunConfig

_RUN_ID = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class PlannedRun:
    id: str
    # Dotted path -> value, the sweep values that made this run differ from `base`
    # (seed included as `seed`, derived values too).
    overrides: dict[str, Any]
    config: RunConfig
    stage: str | None = None        # the stage it belongs to, in a spec with stages

    def __post_init__(self) -> None:
        # Ids name files and appear in shell scripts: only run ids (hex digits) may.
        if not _RUN_ID.fullmatch(self.id):
            raise ValueError(f"not a run id: {self.id!r}")

    def to_json(self, dumped: dict[int, Any] | None = None) -> dict[str, Any]:
        """The run as JSON data. `dumped` (id of a config section -> its JSON data) lets the
        runs of a plan share the dumps of the sections they share; so they do in the result,
        which is for reading."""
        stage = {} if self.stage is None else {"stage": self.stage}
        dumped = {} if dumped is None else dumped
        config = {}
        for name in RunConfig.model_fields:
            value = getattr(self.config, name)
            # Keyed by id: the sections are frozen and outlive the dict (the plan holds them).
            section = dumped.get(id(value))
            if section is None:
                section = _section_json(value, dumped)
            config[name] = section
        return {"id": self.id, **stage, "overrides": self.overrides, "config": config}


def _section_json(value: Any, dumped: dict[int, Any]) -> Any:
    """What `model_dump(mode="json")` of a RunConfig holds for a field holding `value`; a
    section's dump is kept in `dumped`."""
    if not isinstance(value, BaseModel):
        return to_jsonable_python(value)
    section = dumped[id(value)] = value.model_dump(mode="json")
    return section


@dataclass(frozen=True)
class Plan:
    spec: str                       # the spec's name
    runs: tuple[PlannedRun, ...] = field(default_factory=tuple)   # sorted by id
    resources: Resources = field(default_factory=Resources)
    profiles: tuple[str, ...] = ()  # the profiles selected to make it
    # Not errors, but worth knowing: sweep values that made the same run as others.
    warnings: tuple[Problem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON data. A sweep's runs differ in a few sections and share the
        others: each shared section is dumped once."""
        dumped: dict[int, Any] = {}
        return {"spec": self.spec, "profiles": list(self.profiles),
                "resources": self.resources.model_dump(mode="json"),
                "runs": [r.to_json(dumped) for r in self.runs]}


def build_plan(spec: Spec) -> Plan:
    """The spec's runs; raises SpecError (paths into the spec) when some run is invalid."""
    problems = sweep_problems(spec.sweep)
    if problems:
        raise SpecError(problems)
    if spec.stages:
        return _staged_plan(spec)
    runs, warnings = planned_runs(spec.base, spec.sweep)
    return Plan(spec=spec.name, runs=runs, resources=spec.resources, warnings=warnings)


def planned_runs(base: RunConfig, sweep: Sweep, stages: Sequence[Stage] = (),
                 ) -> tuple[tuple[PlannedRun, ...], tuple[Problem, ...]]:
    """Every run of `sweep` over `base`, each validated, and warnings about duplicates.

    Runs that come out the same (same id) are one run. Each distinct problem is reported
    once, on the value that caused it.
    """
    # What the spec wrote, not the defaults it implies: a swept `schedule.kind` must not
    # inherit the fields another kind's defaults filled in.
    written = every_section(base.model_dump(exclude_unset=True))
    configs = SweepConfigs(written)   # the runs of a spec without stages
    if stages:
        written = {**written, "stages": written_stages(stages)}
    order = derivation_order(sweep)
    runs: dict[str, PlannedRun] = {}
    made_by: dict[str, tuple[Override, ...]] = {}
    duplicates: list[tuple[tuple[Override, ...], tuple[Override, ...]]] = []
    failures: list[tuple[tuple[Override, ...], Problem]] = []
    underivable: dict[tuple, Problem] = {}
    in_valid_runs: set[Override] = set()
    for overrides in combinations(sweep, written):
        # A run's config data, made only where it is needed: most runs are resolved from
        # their overrides alone.
        data = None
        if order:
            try:
                data, derived = derive(sweep, order, apply(written, overrides))
            except UnderivableValue as error:
                underivable.setdefault((error.origin, str(error)), _underivable(error, overrides))
                continue
            overrides += derived
        try:
            if stages:
                chain = resolve_chain(apply(written, overrides) if data is None else data,
                                      stages)
            else:
                config, run_id = configs.resolve(overrides, data)
        except SpecError as error:
            failures += [(overrides, problem) for problem in error.problems]
            continue
        in_valid_runs.update(overrides)
        if stages:
            # A stage run untouched by the values that differ is shared by design.
            for run in chain:
                runs.setdefault(run.id, _stage_run(run, chain, overrides))
            continue
        if run_id in runs:
            duplicates.append((overrides, made_by[run_id]))
            continue
        runs[run_id] = _planned_run(run_id, config, overrides)
        made_by[run_id] = overrides
    if failures or underivable:
        raise SpecError([*blame(failures, in_valid_runs), *underivable.values()])
    return tuple(runs[run_id] for run_id in sorted(runs)), duplicate_warnings(duplicates)


def _planned_run(run_id: str, config: RunConfig, overrides: tuple[Override, ...]) -> PlannedRun:
    # Overrides are read back from the validated config, so they say what the run uses
    # (1 -> 1.0 for a float field) and runs merged by id agree on them.
    return PlannedRun(
        id=run_id,
        overrides={o.dotted: to_jsonable_python(_value(config, o.path)) for o in overrides},
        config=config,
    )


def _value(config: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        config = config[part] if isinstance(config, dict) else getattr(config, part)
    return config


def _underivable(error: UnderivableValue, overrides: tuple[Override, ...]) -> Problem:
    swept = ", ".join(f"{'.'.join(o.path)} = {show(o.value)}" for o in overrides
                      if o.path != ("seed",))
    return Problem(error.origin, f"{error}" + (f" (for the run with {swept})" if swept else ""))


def _staged_plan(spec: Spec) -> Plan:
    unknown = unknown_stages(spec.sweep, spec.stages)
    if unknown:
        raise SpecError(unknown)
    try:
        runs, warnings = planned_runs(spec.base, spec.sweep, spec.stages)
    except SpecError as error:
        raise SpecError(stage_locations(error.problems, spec.stages)) from None
    unplanned = unplanned_members(runs, spec.stages)
    if unplanned:
        raise SpecError(unplanned)
    return Plan(spec=spec.name, runs=tuple(link(runs)), resources=spec.resources,
                warnings=warnings)


def _stage_run(run: StageRun, chain: Sequence[StageRun],
               overrides: tuple[Override, ...]) -> PlannedRun:
    """The run of one stage, with the overrides that reach it: those of `base` (read back
    from the chain's first run, which they set) and of its own stage and the stages it
    starts from, as this combination chose them (a sweep may set a stage's `parent`)."""
    reaching_stages = ancestry(run, chain)
    root = chain[0].config
    reaching = [o for o in overrides if o.path[0] != "stages" or o.path[1] in reaching_stages]
    values = {".".join(o.path): to_jsonable_python(
                  o.value if o.path[0] == "stages" else _value(root, o.path))
              for o in reaching}
    return PlannedRun(id=run.id, overrides=values, config=run.config, stage=run.stage)
