"""`--set PATH=VALUE`: command-line overrides of any field of a composed spec.

PATH is dotted as in error messages (`base.model.width`, `claims[0].check.tolerance`); where
a mapping's keys are themselves config paths (`sweep.grid`, a check's `where`) the rest of
PATH up to the next `[i]` is one key: `sweep.grid.optimizer.lr`. VALUE is read as YAML
(`256`, `[0, 1]`, `{logspace: [1.0e-4, 1.0e-1, 7]}`); an empty VALUE or `null` removes the
key. Problems are located as `--set:N:COL`: the N-th --set, the column within it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from compiler.language.errors import Problem, SpecError, dotted
from compiler.language.locations import Location, Placement, SourceMap, YamlPath
from compiler.language.merge import replace_at
from compiler.language.model_paths import alternatives, children, keys_are_paths
from compiler.language.spec import Spec
from compiler.language.yaml_source import Document, load_yaml

SET_FILE = "--set"
_STEP = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")


def apply_sets(document: Document, sets: Sequence[str]) -> Document:
    """`document` with each `PATH=VALUE` applied in order; raises SpecError with every
    malformed one."""
    problems: list[Problem] = []
    for line, text in enumerate(sets, start=1):
        key, equals, value = text.partition("=")
        key_at = Location(SET_FILE, line, 1)
        path = parse_path(key.strip()) if equals else None
        if path is None:
            problems.append(Problem((), f"expected PATH=VALUE with a dotted PATH like "
                                        f"base.model.width, found {text!r}", location=key_at))
            continue
        missing = _missing_item(document.data, path)
        if missing:
            problems.append(Problem(path, missing, at_key=True, location=key_at))
            continue
        try:
            parsed = _shifted(load_yaml(value, SET_FILE), line, len(key) + 2)
        except SpecError as error:
            problems += [replace(p, location=_shift(p.location, line, len(key) + 2))
                         for p in error.problems]
            continue
        document = replace_at(document, path, parsed, Placement(key_at, key_at))
    if problems:
        raise SpecError(problems)
    return document


def parse_path(text: str) -> YamlPath | None:
    """`claims[0].check.where.parametrization.kind` -> ("claims", 0, "check", "where",
    "parametrization.kind"), using the spec's models to tell where keys are config paths.
    None when `text` is not a dotted path."""
    steps: list[str | int] = []
    for piece in text.split("."):
        match = _STEP.fullmatch(piece)
        if not match:
            return None
        steps.append(match.group(1))
        steps.extend(int(index) for index in _INDEX.findall(match.group(2)))
    return _join_path_keys(steps)


def _join_path_keys(steps: list[str | int]) -> YamlPath:
    path: list[str | int] = []
    types: list[Any] = [Spec]
    i = 0
    while i < len(steps):
        if any(keys_are_paths(t) for t in types) and isinstance(steps[i], str):
            end = next((j for j in range(i, len(steps)) if isinstance(steps[j], int)), len(steps))
            path.append(".".join(str(s) for s in steps[i:end]))
            i = end
        else:
            path.append(steps[i])
            i += 1
        types = [alt for t in types for c in children(t, path[-1]) for alt in alternatives(c)]
    return tuple(path)


def _missing_item(data: Any, path: YamlPath) -> str | None:
    """Why `path` steps into a list item that is not there, if it does."""
    node = data
    for depth, step in enumerate(path):
        if isinstance(step, int):
            where = dotted(path[:depth])
            if node is None:
                return f"no item [{step}]: the spec has no {where}"
            if not isinstance(node, list):
                return f"no item [{step}]: {where} is not a list"
            if step >= len(node):
                return f"no item [{step}]: {where} has {len(node)}"
            node = node[step]
        elif isinstance(node, dict):
            node = node.get(step)
        else:
            return None
    return None


def _shifted(document: Document, line: int, offset: int) -> Document:
    return Document(document.data, SourceMap({
        path: Placement(placement.key and _shift(placement.key, line, offset),
                        _shift(placement.value, line, offset))
        for path, placement in document.source.placements.items()}))


def _shift(location: Location | None, line: int, offset: int) -> Location:
    """A location in a VALUE's text as a location in the N-th --set argument."""
    if location is None:
        return Location(SET_FILE, line, offset)
    column = location.column + offset - 1 if location.line == 1 else location.column
    return Location(SET_FILE, line, column)
