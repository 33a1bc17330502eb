"""The compiler's entry point: a spec file -> its validated Spec and Plan, or every problem."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from compiler.claims import duplicate_claim_ids
from compiler.errors import Problem, SpecError
from compiler.plan import Plan, build_plan, planned_runs
from compiler.pydantic_errors import explain
from compiler.spec import Spec, Sweep
from compiler.yaml_source import read_yaml
from runtime.config import RunConfig


@dataclass(frozen=True)
class CompiledSpec:
    spec: Spec
    plan: Plan
    path: Path


def compile_spec(path: str | Path) -> CompiledSpec:
    """Read, validate and plan a spec file.

    Raises SpecError listing every problem found, each at its file, line and column.
    """
    document = read_yaml(path)
    try:
        spec, plan = check_spec(document.data)
    except SpecError as error:
        raise error.located(document.source) from None
    return CompiledSpec(spec=spec, plan=plan, path=Path(path))


def check_spec(data: Any) -> tuple[Spec, Plan]:
    """Validate spec data and plan its runs; SpecError problems have paths into `data`."""
    problems = duplicate_claim_ids(data)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as error:
        problems += explain(error, data, Spec)
        problems += _run_problems(data, problems)
        raise SpecError(problems) from None
    try:
        plan = build_plan(spec)
    except SpecError as error:
        raise SpecError([*problems, *error.problems]) from None
    if problems:
        raise SpecError(problems)
    return spec, plan


def _run_problems(data: Any, found: list[Problem]) -> list[Problem]:
    """The problems of the sweep's runs, when `base` and `sweep` are sound but some other
    part of the spec is not, so that all are reported at once."""
    if not isinstance(data, Mapping) or any(p.path[:1] in (("base",), ("sweep",)) for p in found):
        return []
    base = RunConfig.model_validate(data.get("base", {}))
    sweep = Sweep.model_validate(data.get("sweep", {}))
    try:
        planned_runs(base, sweep)
    except SpecError as error:
        return list(error.problems)
    return []
