"""Plain config data -> RunConfig, with what is wrong said in the spec's words."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ValidationError

from compiler.errors import Problem, SpecError, show
from compiler.pydantic_errors import explain
from compiler.source import YamlPath
from runtime.config import RunConfig


def resolve_config(data: Mapping[str, Any]) -> RunConfig:
    """Validate `data` as a RunConfig; problems have paths into `data`."""
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as error:
        raise SpecError(explain(error, data, RunConfig)) from None
    # Pydantic's floats admit inf and nan (`.inf`, "nan"), which no run can use and a run
    # id cannot hash.
    infinite = list(_non_finite(config.model_dump(mode="json"), ()))
    if infinite:
        raise SpecError(Problem(path, f"expected a finite number, found {show(value)}")
                        for path, value in infinite)
    return config


def _non_finite(data: Any, path: YamlPath) -> Iterator[tuple[YamlPath, float]]:
    if isinstance(data, float) and not math.isfinite(data):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _non_finite(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _non_finite(value, (*path, index))
