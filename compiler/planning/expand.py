"""Sweep expansion: a Sweep's runs as overrides of `base` (sweep_spec.py is the language).

1. The main axes (grid, each zip group, then seeds) give every combination of their choices.
2. For each combination, the `when` blocks whose `match` holds on base with it applied add
   their axes; an axis of a path the combination already sets replaces that path's value.
   Combinations that differ only in what the blocks replaced are one.
3. Derived values are computed last, from everything else (derive.py).

How keys were ordered in the spec does not matter: overrides apply in path order, parents
before children, so a key inside a swept section applies after the section.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from compiler.language.config_paths import split, value_adapter, value_with_defaults, with_value
from compiler.language.errors import Problem, SpecError
from compiler.language.locations import YamlPath
from compiler.language.ranges import Range
from compiler.language.sweep import Axes, Conditional, Sweep, ZipGroup

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

    @cached_property
    def dotted(self) -> str:
        """The path as a spec writes it: `model.width` (each run names its overrides so)."""
        return ".".join(self.path)


# One value of one axis; a zip group's choice sets several paths at once.
Choice = tuple[Override, ...]


def axes(grid: Axes, groups: Sequence[ZipGroup], origin: YamlPath) -> list[list[Choice]]:
    """The choices of each axis of a grid and its zip groups, written at `origin`."""
    result = [[(choice,) for choice in _overrides(path, axis, (*origin, "grid", path))]
              for path, axis in sorted(grid.items(), key=lambda item: split(item[0]))]
    for index, group in enumerate(groups):
        columns = [_overrides(path, axis, (*origin, "zip", index, path))
                   for path, axis in group.items()]
        result.append(list(zip(*columns, strict=True)))
    return result


def _overrides(path: str, axis: list[Any] | Range, origin: YamlPath) -> list[Override]:
    if isinstance(axis, Range):   # generated values point at the range that made them
        return [Override(split(path), value, origin) for value in axis.values()]
    return [Override(split(path), value, (*origin, i)) for i, value in enumerate(axis)]


def main_axes(sweep: Sweep) -> list[list[Choice]]:
    seeds = [(Override(("seed",), seed, ("sweep", "seeds", i)),)
             for i, seed in enumerate(sweep.seeds)]
    return [*axes(sweep.grid, sweep.zip, ("sweep",)), seeds]


def combinations(sweep: Sweep, base: Mapping[str, Any]) -> Iterator[tuple[Override, ...]]:
    """Every run's overrides (derived values aside); raises SpecError past MAX_RUNS."""
    main = main_axes(sweep)
    count = math.prod(len(axis) for axis in main)
    if count > MAX_RUNS:
        raise _too_many(f"makes {count} runs, more than the {MAX_RUNS} one spec may plan")
    if not sweep.when:
        for combination in itertools.product(*main):
            yield _flat(combination)
        return
    blocks = [(_Matcher(block), axes(block.grid, block.zip, ("sweep", "when", i)))
              for i, block in enumerate(sweep.when)]
    seen: set[tuple[Override, ...]] = set()
    made = 0
    for combination in itertools.product(*main):
        overrides = _flat(combination)
        data = apply(base, overrides)
        added = _replacing([block_axes for matcher, block_axes in blocks if matcher(data)])
        if not added:
            yield overrides
            continue
        replaced = {o.path for axis in added for choice in axis for o in choice}
        kept = tuple(o for o in overrides if o.path not in replaced)
        if kept in seen:
            continue
        seen.add(kept)
        made += math.prod(len(axis) for axis in added) - 1
        if count + made > MAX_RUNS:
            raise _too_many(f"makes more than the {MAX_RUNS} runs one spec may plan, "
                            "with its when blocks")
        for more in itertools.product(*added):
            yield kept + _flat(more)


def apply(base: Mapping[str, Any], overrides: Sequence[Override]) -> dict[str, Any]:
    data = dict(base)
    for override in sorted(overrides, key=lambda o: o.path):
        data = with_value(data, override.path, override.value)
    return data


def _flat(choices: Sequence[Choice]) -> tuple[Override, ...]:
    return tuple(override for choice in choices for override in choice)


def _replacing(block_axes: list[list[list[Choice]]]) -> list[list[Choice]]:
    """The axes of the matching blocks, a later block's axis replacing an earlier one that
    sets the same path."""
    by_paths: dict[frozenset[tuple[str, ...]], list[Choice]] = {}
    for block in block_axes:
        for axis in block:
            paths = frozenset(o.path for o in axis[0])
            by_paths = {k: v for k, v in by_paths.items() if not k & paths}
            by_paths[paths] = axis
    return list(by_paths.values())


def _too_many(message: str) -> SpecError:
    return SpecError([Problem(("sweep",), message)])


class _Matcher:
    """Whether a run's config data has every value a when block's `match` names."""

    def __init__(self, block: Conditional) -> None:
        self.expected = [(split(path), value_adapter(split(path)).validate_python(value))
                         for path, value in block.match.items()]

    def __call__(self, data: Mapping[str, Any]) -> bool:
        for path, expected in self.expected:
            try:
                actual = value_adapter(path).validate_python(value_with_defaults(data, path))
            except ValidationError:
                return False   # the run is invalid anyway, and says so when validated
            if actual != expected:
                return False
        return True
