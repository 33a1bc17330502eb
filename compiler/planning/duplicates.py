"""Warnings about sweep values that make runs the plan already has (merged into one run).

`1e-3` and `0.001` in one axis, or a `when` block that sets what the grid already set, make
the same run twice; the plan keeps one, and these warnings say which values did it, once per
pair of places in the spec however many runs they doubled.
"""

from __future__ import annotations

from collections.abc import Sequence

from compiler.language.errors import Problem, dotted, show
from compiler.language.locations import YamlPath
from compiler.planning.expand import Override

Overrides = tuple[Override, ...]


def duplicate_warnings(duplicates: Sequence[tuple[Overrides, Overrides]]) -> tuple[Problem, ...]:
    """One warning per pair of places; `duplicates` pairs each merged run's overrides with
    those of the run it duplicates."""
    groups: dict[tuple[tuple[YamlPath, ...], ...], list[tuple[Overrides, Overrides]]] = {}
    for again, first in duplicates:
        pair = _differing(again, first), _differing(first, again)
        places = tuple(o.origin for o in pair[0]), tuple(o.origin for o in pair[1])
        groups.setdefault(places, []).append(pair)
    return tuple(_warning(*pairs[0], len(pairs)) for pairs in groups.values())


def _differing(these: Overrides, others: Overrides) -> Overrides:
    theirs = {o.origin for o in others}
    return tuple(o for o in these if o.origin not in theirs)


def _warning(again: Overrides, first: Overrides, count: int) -> Problem:
    runs = f"{count} duplicate run{'s' if count != 1 else ''} merged"
    if not again:
        return Problem(("sweep",), f"makes the same run more than once ({runs})", warning=True)
    same_as = ", ".join(f"{dotted(o.origin)} = {show(o.value)}" for o in first)
    values = ", ".join(show(o.value) for o in again)
    return Problem(again[0].origin, f"{values} makes the same runs as {same_as} ({runs})",
                   warning=True)
