"""Plain config data -> RunConfig and its run id, with what is wrong said in the spec's words."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from compiler.language.errors import Problem, SpecError, show
from compiler.language.locations import YamlPath
from compiler.language.pydantic_errors import explain
from compiler.language.written_values import written_value_problems
from runtime.config.base import length_in_steps
from runtime.config.run import RunConfig


def _empty_is_default(field: FieldInfo) -> bool:
    default = field.default
    return isinstance(default, BaseModel) and type(default).model_validate({}) == default


# The sections of a run config whose default is what `{}` validates to: config data names
# each, even as {}, so that validating it never deep-copies the default (which is slow).
_SECTIONS = tuple(name for name, field in RunConfig.model_fields.items()
                  if _empty_is_default(field))


def every_section(data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with an empty mapping for each section it leaves out: the same config."""
    return {**{name: {} for name in _SECTIONS}, **data}


def resolve_config(data: Mapping[str, Any]) -> tuple[RunConfig, str]:
    """Validate `data` as a RunConfig and compute its run id; problems have paths into `data`."""
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as error:
        raise SpecError(explain(error, data, RunConfig)) from None
    problems = [*written_value_problems(data, config), *warmup_problems(config)]
    if problems:
        raise SpecError(problems)
    try:
        return config, config.run_id()
    except ValueError:
        # Pydantic's floats admit inf and nan (`.inf`, "nan"), which no run can use and a
        # run id cannot hash: the id's JSON refuses them.
        infinite = list(_non_finite(config.model_dump(mode="json"), ()))
        raise SpecError(Problem(path, f"expected a finite number, found {show(value)}")
                        for path, value in infinite) from None


def warmup_problems(config: RunConfig) -> list[Problem]:
    """A schedule's warmup must fit in its run (the runtime would fail at the first step)."""
    warmup = getattr(config.schedule, "warmup", None)
    if warmup is None:
        return []
    steps = config.budget.steps
    warmup_steps = length_in_steps(warmup, steps, config.data.batch_size * config.model.seq_len)
    if warmup_steps <= steps:
        return []
    return [Problem(("schedule", "warmup"), f"a warmup of {warmup_steps:,} steps is longer "
                                            f"than the run's {steps:,} steps (budget.steps)")]


def _non_finite(data: Any, path: YamlPath) -> Iterator[tuple[YamlPath, float]]:
    if isinstance(data, float) and not math.isfinite(data):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _non_finite(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _non_finite(value, (*path, index))
