"""The `sweep` section's models: which runs a spec plans, as overrides of `base`.

    grid:    {path: axis}                every combination of the axes' values
    zip:     [{path: axis, ...}, ...]    each group's axes advance together (equal lengths)
    when:    [{match: {path: value}, grid: ..., zip: ...}, ...]
                                         runs whose config matches get these axes: an axis
                                         of the same path replaces the one they had
    derived: {path: expression}          a value computed from the run's other values
    seeds:   [0, 1, 2]                   every run once per seed

A path is a dotted RunConfig path; an axis is a list of values or a range (ranges.py).
A path may name a whole section (`schedule: [{kind: cosine}, {kind: wsd}]`), which replaces
it; paths inside a swept section are applied after it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator

from compiler.language.config_paths import ConfigPath, path_problem
from compiler.language.expressions import parse
from compiler.language.ranges import Range
from compiler.language.spec_base import SpecModel
from compiler.planning.stages import stage_path_problem
from runtime.config.base import Seed

AXIS_FORMS = "a list of values or a range ({logspace: [lo, hi, n]}, {linspace: [lo, hi, n]} " \
             "or {pow2: [lo, hi]})"


def _axis_kind(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        return "values"
    if isinstance(value, (dict, Range)):
        return "range"
    return None


Axis = Annotated[
    Annotated[list[Any], Field(min_length=1), Tag("values")] | Annotated[Range, Tag("range")],
    Discriminator(_axis_kind, custom_error_type="axis",
                  custom_error_message=f"expected {AXIS_FORMS}"),
]


def axis_values(axis: list[Any] | Range) -> list[Any]:
    return axis.values() if isinstance(axis, Range) else list(axis)


def _settable(path: str) -> str:
    if path == "seed":
        raise ValueError("seed is set by sweep.seeds")
    problem = stage_path_problem(path) if path.startswith("stages.") else path_problem(path)
    if problem:
        raise ValueError(problem)
    return path


# A dotted RunConfig path (or stages.<name>.<path>) that a sweep sets in every run.
SweptPath = Annotated[str, AfterValidator(_settable)]
Axes = dict[SweptPath, Axis]


def _equal_lengths(group: dict[str, Any]) -> dict[str, Any]:
    lengths = {path: len(axis_values(axis)) for path, axis in group.items()}
    if len(set(lengths.values())) > 1:
        found = ", ".join(f"{path} has {n}" for path, n in lengths.items())
        raise ValueError(f"zipped axes must have the same number of values: {found}")
    return group


ZipGroup = Annotated[Axes, Field(min_length=1), AfterValidator(_equal_lengths)]


def _expression(text: str) -> str:
    for path in parse(text).paths:
        problem = path_problem(".".join(path))
        if problem:
            raise ValueError(f"{problem} in {text!r}")
    return text


Expression = Annotated[str, AfterValidator(_expression)]


class Conditional(SpecModel):
    match: Annotated[dict[ConfigPath, Any], Field(min_length=1)]
    """config path -> value: the runs this block applies to"""
    grid: Axes = Field(default_factory=dict)
    """axes added to the matching runs"""
    zip: list[ZipGroup] = Field(default_factory=list)
    """zipped axes added to the matching runs"""

    @model_validator(mode="after")
    def _adds_axes(self) -> Conditional:
        if not self.grid and not self.zip:
            raise ValueError("a when block needs grid or zip axes to add to the runs it matches")
        return self


class Sweep(SpecModel):
    grid: Axes = Field(default_factory=dict)
    """every combination of these axes"""
    zip: list[ZipGroup] = Field(default_factory=list)
    """groups of axes that advance together"""
    when: list[Conditional] = Field(default_factory=list)
    """axes for the runs that match a config value"""
    derived: dict[SweptPath, Expression] = Field(default_factory=dict)
    """config path -> arithmetic over other config paths, e.g.
    '3.0e-3 * parametrization.base_width / model.width'"""
    seeds: list[Seed] = Field(default_factory=lambda: [0], min_length=1)
    """every run once per seed"""
