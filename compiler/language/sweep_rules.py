"""What is wrong with a sweep as a whole, beyond what each of its values says by itself:
a path swept twice, a `when` value the field can never have, a derived value that is also
swept, derived values that depend on each other in a cycle, a key of a stage the spec does not
have."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from compiler.language.config_paths import field_type, split, value_adapter
from compiler.language.errors import Problem, dotted
from compiler.language.locations import YamlPath
from compiler.language.pydantic_errors import explain
from compiler.language.sweep import Axes, Sweep, ZipGroup
from compiler.planning.derive import reads
from compiler.planning.stages import Stage


def sweep_problems(sweep: Sweep) -> list[Problem]:
    problems = _swept_twice(sweep.grid, sweep.zip, ("sweep",))
    for index, block in enumerate(sweep.when):
        where = ("sweep", "when", index)
        problems += _swept_twice(block.grid, block.zip, where)
        for path, value in block.match.items():
            try:
                value_adapter(split(path)).validate_python(value)
            except ValidationError as error:
                problems += [Problem((*where, "match", path, *p.path), p.message, p.at_key)
                             for p in explain(error, value, field_type(split(path)))]
    return problems + _derived_and_swept(sweep) + _derived_cycles(sweep)


def unknown_stages(sweep: Sweep, stages: Sequence[Stage]) -> list[Problem]:
    """Sweep keys that name a stage the spec does not have."""
    keys = [*_swept_keys(sweep), *((("sweep", "derived", p), p) for p in sweep.derived)]
    names = [stage.name for stage in stages]
    return [Problem(place, f"no stage is named {split(p)[1]!r} (stages: {', '.join(names)})",
                    at_key=True)
            for place, p in keys if split(p)[0] == "stages" and split(p)[1] not in names]


def _axis_keys(grid: Axes, groups: Sequence[ZipGroup],
               origin: YamlPath) -> list[tuple[YamlPath, str]]:
    """Each path that a grid and its zip groups (written at `origin`) sweep, with its place."""
    keys = [((*origin, "grid", path), path) for path in grid]
    keys += [((*origin, "zip", i, path), path)
             for i, group in enumerate(groups) for path in group]
    return keys


def _swept_keys(sweep: Sweep) -> list[tuple[YamlPath, str]]:
    """Each path the sweep's axes set, its main ones and its when blocks', with its place."""
    keys = _axis_keys(sweep.grid, sweep.zip, ("sweep",))
    for index, block in enumerate(sweep.when):
        keys += _axis_keys(block.grid, block.zip, ("sweep", "when", index))
    return keys


def _swept_twice(grid: Axes, groups: Sequence[ZipGroup], origin: YamlPath) -> list[Problem]:
    first: dict[str, YamlPath] = {}
    problems = []
    for place, path in _axis_keys(grid, groups, origin):
        if path in first:
            problems.append(Problem(place, f"{path} is already swept by {dotted(first[path])}",
                                    at_key=True))
        else:
            first[path] = place
    return problems


def _derived_and_swept(sweep: Sweep) -> list[Problem]:
    # Each swept path and the grid or zip group that sweeps it (the last, if several do).
    swept = {path: place[:-1] for place, path in _swept_keys(sweep)}
    problems = []
    for path in sweep.derived:
        for other, where in swept.items():
            if split(other)[:len(split(path))] == split(path) or \
                    split(path)[:len(split(other))] == split(other):
                problems.append(Problem(
                    ("sweep", "derived", path),
                    f"{path} is derived, and {dotted(where)} sweeps {other}: a value is "
                    "either swept or derived", at_key=True))
    return problems


def _derived_cycles(sweep: Sweep) -> list[Problem]:
    problems = []
    reported: set[frozenset[str]] = set()
    for start in sorted(sweep.derived):
        cycle = _cycle_from(sweep, start, [start])
        if cycle and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            problems.append(Problem(("sweep", "derived", start),
                                    "derived values depend on each other in a cycle: "
                                    + " -> ".join(cycle), at_key=True))
    return problems


def _cycle_from(sweep: Sweep, start: str, chain: list[str]) -> list[str] | None:
    for read in reads(sweep, chain[-1]):
        if read == start:
            return [*chain, start]
        if read not in chain:
            found = _cycle_from(sweep, start, [*chain, read])
            if found:
                return found
    return None
