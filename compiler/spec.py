"""The spec language's models: what a YAML spec may say, validated by pydantic v2.

`base` is a full RunConfig (the job contract from runtime/config.py); `sweep` overrides it
along dotted paths; `claims` name a check with typed arguments (compiler/checks.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from compiler.checks import CheckConfig
from runtime.config import RunConfig

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paper(SpecModel):
    title: str
    url: str | None = None


class LogSpace(SpecModel):
    """`{logspace: [lo, hi, n]}`: n values evenly spaced in log10 from lo to hi inclusive."""

    logspace: tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)],
                    Annotated[int, Field(ge=1)]]


# A sweep axis: an explicit list of values, or a range.
Axis = list[Any] | LogSpace


class Sweep(SpecModel):
    grid: dict[str, Axis] = Field(default_factory=dict)
    seeds: list[Annotated[int, Field(ge=0)]] = Field(default_factory=lambda: [0])


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
