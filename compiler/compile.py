"""The compiler's entry point: a spec file -> its validated Spec and Plan, or every problem."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from compiler.language.claim_rules import (
    claim_metric_problems,
    claim_value_problems,
    duplicate_claim_ids,
)
from compiler.language.compose import compose
from compiler.language.errors import Problem, SpecError
from compiler.language.files import LOCAL, Files
from compiler.language.metric_names import Logged
from compiler.language.pydantic_errors import explain
from compiler.language.removed_keys import unknown_null_keys
from compiler.language.spec import Spec
from compiler.language.sweep import Sweep
from compiler.language.sweep_rules import sweep_problems
from compiler.language.written_values import written_value_problems
from compiler.planning.plan import Plan, build_plan, planned_runs
from runtime.config.run import RunConfig


@dataclass(frozen=True)
class CompiledSpec:
    spec: Spec
    plan: Plan              # its warnings are located
    path: Path
    profiles: tuple[str, ...] = ()    # every profile the spec declares


def compile_spec(path: str | Path, *, profiles: Sequence[str] = (), sets: Sequence[str] = (),
                 files: Files = LOCAL) -> CompiledSpec:
    """Read, compose, validate and plan a spec file, with the named profiles and `--set`
    overrides (`PATH=VALUE`) applied in order.

    Raises SpecError listing every problem found, each at its file, line and column; the
    profiles not selected are checked too, so a mistake in one is found before it is used.
    """
    composed = compose(str(path), files, profiles, sets)
    problems = [problem for variant in composed.unselected
                for problem in SpecError(spec_problems(variant.data)).located(variant.source)
                .problems]
    problems += unknown_null_keys(composed.document.data, composed.nulls)
    source = composed.document.source
    try:
        spec, plan = check_spec(composed.document.data)
    except SpecError as error:
        raise SpecError([*problems, *error.located(source).problems]) from None
    if problems:
        raise SpecError(problems)
    plan = replace(plan, profiles=tuple(profiles),
                   warnings=SpecError(plan.warnings).located(source).problems)
    return CompiledSpec(spec=spec, plan=plan, path=Path(path), profiles=composed.profiles)


def check_spec(data: Any) -> tuple[Spec, Plan]:
    """Validate spec data and plan its runs; SpecError problems have paths into `data`."""
    problems = duplicate_claim_ids(data)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as error:
        problems += explain(error, data, Spec)
        problems += _run_problems(data, problems)
        raise SpecError(problems) from None
    problems += claim_value_problems(spec.claims) + written_value_problems(data, spec)
    try:
        plan = build_plan(spec)
    except SpecError as error:
        raise SpecError([*problems, *error.problems]) from None
    if spec.claims:   # what the runs log is worth finding out only for a claim to check
        problems += claim_metric_problems(spec.claims,
                                          Logged.by(run.config for run in plan.runs))
    if problems:
        raise SpecError(problems)
    return spec, plan


def spec_problems(data: Any) -> list[Problem]:
    """What is wrong with spec data as a Spec, without planning its runs."""
    try:
        spec = Spec.model_validate(data)
    except ValidationError as error:
        return [*duplicate_claim_ids(data), *explain(error, data, Spec)]
    return [*duplicate_claim_ids(data), *claim_value_problems(spec.claims),
            *written_value_problems(data, spec)]


def _run_problems(data: Any, found: list[Problem]) -> list[Problem]:
    """The problems of the sweep's runs, when `base` and `sweep` are sound but some other
    part of the spec is not, so that all are reported at once."""
    if not isinstance(data, Mapping) or any(p.path[:1] in (("base",), ("sweep",)) for p in found):
        return []
    base = RunConfig.model_validate(data.get("base", {}))
    sweep = Sweep.model_validate(data.get("sweep", {}))
    problems = sweep_problems(sweep)
    if problems:
        return problems
    try:
        planned_runs(base, sweep)
    except SpecError as error:
        return list(error.problems)
    return []
