"""Derived values (`sweep.derived`): each run's value at a path, computed from its others.

A derived value may read another derived value; they are computed in dependency order, and a
cycle is a spec error (sweep_checks.py finds it before any run is planned).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from compiler.language.config_paths import split, value_with_defaults, with_value
from compiler.language.expressions import ExpressionError, parse
from compiler.language.locations import YamlPath
from compiler.language.sweep import Sweep
from compiler.planning.expand import Override


class UnderivableValue(Exception):
    """A derived value that cannot be computed for some run."""

    def __init__(self, origin: YamlPath, message: str) -> None:
        super().__init__(message)
        self.origin = origin


def derivation_order(sweep: Sweep) -> list[str]:
    """The derived paths, each after the derived paths it reads (assumes no cycle)."""
    order: list[str] = []

    def visit(path: str) -> None:
        if path in order:
            return
        for read in reads(sweep, path):
            visit(read)
        order.append(path)

    for path in sorted(sweep.derived):
        visit(path)
    return order


def reads(sweep: Sweep, path: str) -> list[str]:
    """The derived paths whose values the expression at `path` depends on: the ones it
    names, and those inside a section it names (or the section that holds one it names)."""
    named = [".".join(p) for p in parse(sweep.derived[path]).paths]
    return [other for other in sorted(sweep.derived) if other != path and any(
        _overlap(other, name) for name in named)]


def _overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def derive(sweep: Sweep, order: list[str],
           data: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[Override, ...]]:
    """`data` with every derived value set, and the overrides that set them.

    Raises UnderivableValue for a value that cannot be computed for this run.
    """
    overrides = []
    for path in order:
        origin = ("sweep", "derived", path)
        try:
            value = parse(sweep.derived[path]).evaluate(partial(value_with_defaults, data))
        except ExpressionError as error:
            raise UnderivableValue(origin, str(error)) from None
        data = with_value(data, split(path), value)
        overrides.append(Override(split(path), value, origin))
    return dict(data), tuple(overrides)
