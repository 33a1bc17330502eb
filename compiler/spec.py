"""The spec language's models: what a YAML spec may say, validated by pydantic v2.

`base` is a full RunConfig (the job contract from runtime/config.py); `sweep` overrides it
along dotted paths; `claims` name a check with typed arguments (compiler/checks.py).
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

from compiler.checks import CheckConfig
from compiler.config_paths import path_problem
from runtime.config import RunConfig

_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9_.-]*")


def _identifier(name: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError("expected lowercase letters, digits, '_', '.' or '-', starting with a "
                         f"letter or digit, found {name!r}")
    return name


Identifier = Annotated[str, Field(max_length=80), AfterValidator(_identifier)]


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paper(SpecModel):
    title: str
    url: str | None = None


class LogSpace(SpecModel):
    """`{logspace: [lo, hi, n]}`: n values evenly spaced in log10 from lo to hi inclusive."""

    logspace: tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)],
                    Annotated[int, Field(ge=1, le=1000)]]

    def values(self) -> list[float]:
        lo, hi, n = self.logspace
        if n == 1:
            return [lo]
        step = (math.log10(hi) - math.log10(lo)) / (n - 1)
        # 12 significant digits: 1e-3 stays 0.001, not 0.0010000000000000002, so a value
        # written by hand elsewhere (and so the run it makes) is the same run.
        return [float(f"{10 ** (math.log10(lo) + i * step):.12g}") for i in range(n)]


def _axis_kind(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        return "values"
    if isinstance(value, (dict, LogSpace)):
        return "range"
    return None


# A sweep axis: an explicit list of values, or a range.
Axis = Annotated[
    Annotated[list[Any], Field(min_length=1), Tag("values")] | Annotated[LogSpace, Tag("range")],
    Discriminator(_axis_kind, custom_error_type="axis",
                  custom_error_message="expected a list of values or {logspace: [lo, hi, n]}"),
]


def _grid_key(path: str) -> str:
    if path == "seed":
        raise ValueError("seed is swept by sweep.seeds, not by the grid")
    problem = path_problem(path)
    if problem:
        raise ValueError(problem)
    return path


# A dotted RunConfig path that a grid axis sets in every run.
GridKey = Annotated[str, AfterValidator(_grid_key)]


class Sweep(SpecModel):
    """The runs of a spec: `base` with each combination of grid values, for every seed.

    A grid key may name a whole section (`schedule: [{kind: cosine}, {kind: wsd}]`), which
    replaces it; keys inside a swept section are applied after it.
    """

    grid: dict[GridKey, Axis] = Field(default_factory=dict)
    seeds: list[Annotated[int, Field(ge=0)]] = Field(default_factory=lambda: [0], min_length=1)


class Claim(SpecModel):
    id: Identifier
    statement: str
    check: CheckConfig


class Spec(SpecModel):
    name: Identifier
    paper: Paper | None = None
    base: RunConfig = RunConfig()
    sweep: Sweep = Sweep()
    claims: list[Claim] = Field(default_factory=list)
