"""Sweep expansion: the grid's cartesian product, times the seeds, as overrides of `base`.

The order keys were written in does not matter: axes are taken in path order (parents
before children, so a key inside a swept section applies after the section), seeds last.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, replace
from typing import Any

from compiler.config_paths import split, with_value
from compiler.errors import Problem, SpecError, show
from compiler.source import YamlPath
from compiler.spec import LogSpace, Sweep

# More runs than this is a typo (a range with too many points), not an experiment.
MAX_RUNS = 100_000


@dataclass(frozen=True, eq=False)
class Override:
    """One swept value: what it sets in a run, and where in the spec it was written.

    Each is one choice of one axis, so overrides compare by identity.
    """

    path: tuple[str, ...]    # config path, e.g. ("model", "width")
    value: Any
    origin: YamlPath         # e.g. ("sweep", "grid", "model.width", 2)


def axes(sweep: Sweep) -> list[list[Override]]:
    """The choices of each axis, in the order they are applied."""
    result = []
    for key in sorted(sweep.grid, key=split):
        axis, origin = sweep.grid[key], ("sweep", "grid", key)
        if isinstance(axis, LogSpace):
            # Generated values point at the range that made them.
            result.append([Override(split(key), value, origin) for value in axis.values()])
        else:
            result.append([Override(split(key), value, (*origin, i))
                           for i, value in enumerate(axis)])
    result.append([Override(("seed",), seed, ("sweep", "seeds", i))
                   for i, seed in enumerate(sweep.seeds)])
    return result


def combinations(sweep: Sweep) -> Iterator[tuple[Override, ...]]:
    """Every run's overrides; raises SpecError when there would be more than MAX_RUNS."""
    choices = axes(sweep)
    count = math.prod(len(axis) for axis in choices)
    if count > MAX_RUNS:
        raise SpecError([Problem(("sweep",), f"makes {count} runs, more than the {MAX_RUNS} "
                                             "one spec may plan")])
    return itertools.product(*choices)


def apply(base: Mapping[str, Any], overrides: Sequence[Override]) -> dict[str, Any]:
    data = dict(base)
    for override in overrides:
        data = with_value(data, override.path, override.value)
    return data


def blame(failures: Sequence[tuple[Sequence[Override], Problem]],
          valid: Set[Override]) -> list[Problem]:
    """Move the problems found in runs' configs onto the spec, once per place and field.

    `failures` pairs each invalid run's overrides with one of its problems; `valid` holds
    every override that took part in some valid run. A problem lands on the swept value it
    lies inside. One raised by a section's validator (width vs head_dim) lands on each swept
    value inside that section that never made a valid run; when each of them did, it is
    the combination that fails, reported on the first with the others named. A problem no
    swept value touches came from `base`.
    """
    problems: dict[tuple, Problem] = {}
    for overrides, problem in failures:
        for placed in _blame_one(problem, overrides, valid):
            problems.setdefault((placed.path, placed.at_key, problem.path), placed)
    return list(problems.values())


def _blame_one(problem: Problem, overrides: Sequence[Override],
               valid: Set[Override]) -> list[Problem]:
    containing = [o for o in overrides if _within(problem.path, o.path)]
    if containing:
        culprit = max(containing, key=lambda o: len(o.path))
        inside = problem.path[len(culprit.path):]
        return [Problem((*culprit.origin, *inside), problem.message, problem.at_key)]
    involved = [o for o in overrides if _within(o.path, problem.path)]
    if not involved:
        return [replace(problem, path=("base", *problem.path))]
    guilty = [o for o in involved if o not in valid]
    if guilty:
        return [Problem(o.origin, problem.message) for o in guilty]
    first, *others = involved
    if not others:
        return [Problem(first.origin, problem.message)]
    named = ", ".join(f"{'.'.join(o.path)} = {show(o.value)}" for o in others)
    return [Problem(first.origin, f"{problem.message} (with {named})")]


def _within(path: YamlPath, ancestor: YamlPath) -> bool:
    return path[:len(ancestor)] == ancestor
