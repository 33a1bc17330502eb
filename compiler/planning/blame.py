"""Putting the problems of invalid runs back on the spec values that made them."""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import replace

from compiler.language.errors import Problem, show
from compiler.language.locations import YamlPath
from compiler.planning.expand import Override


def blame(failures: Sequence[tuple[Sequence[Override], Problem]],
          valid: Set[Override]) -> list[Problem]:
    """Move the problems found in runs' configs onto the spec, once per place and field.

    `failures` pairs each invalid run's overrides with one of its problems; `valid` holds
    every override that took part in some valid run. A problem lands on the swept value it
    lies inside (or on `base`, naming the swept values that break it). One raised by a
    section's validator (width vs head_dim) lands on each swept
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
        return [_in_base(problem, overrides, valid)]
    guilty = [o for o in involved if o not in valid]
    if guilty:
        return [Problem(o.origin, problem.message) for o in guilty]
    first, *others = involved
    if not others:
        return [Problem(first.origin, problem.message)]
    named = ", ".join(f"{'.'.join(o.path)} = {show(o.value)}" for o in others)
    return [Problem(first.origin, f"{problem.message} (with {named})")]


def _in_base(problem: Problem, overrides: Sequence[Override], valid: Set[Override]) -> Problem:
    """A problem with a value of `base`; when only some runs have it, it names the swept
    values in the same section that those runs have and no valid run has (an optimizer
    `kind` swept to one that does not take a base field)."""
    with_it = [o for o in overrides if o not in valid and o.path[:1] == problem.path[:1]]
    named = ", ".join(f"{'.'.join(o.path)} = {show(o.value)}" for o in with_it)
    message = f"{problem.message} (with {named})" if named else problem.message
    return replace(problem, path=("base", *problem.path), message=message)


def _within(path: YamlPath, ancestor: YamlPath) -> bool:
    return path[:len(ancestor)] == ancestor
