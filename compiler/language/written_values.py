"""Values pydantic accepts by converting them, which a spec must not rely on.

Validation is lax, so that YAML lists fill tuple fields and `1e3` fills an integer one; but it
also reads `steps: true` as 1, `lr: "0.01"` as a number and `compile: "yes"` as true, and
floats admit `.inf` and `.nan`. A spec that says one of these almost certainly means something
else, so each is a problem at the value as written: found by walking the data beside what it
validated to, so that every field of every model is covered without naming any.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from compiler.language.errors import Problem, show
from compiler.language.locations import YamlPath

_MISSING = object()


def written_value_problems(data: Any, validated: Any, path: YamlPath = ()) -> list[Problem]:
    """The problems of the values in `data` that validation turned into `validated`."""
    found: list[Problem] = []
    _walk(data, validated, path, found)
    return found


# Called for every value of every run of a sweep (a 10,000-run grid walks 160,000), so it
# appends to one list instead of nesting generators, tests the data (plain YAML data: dicts,
# lists and scalars) against `dict` rather than the slower abstract Mapping, and reads a
# model's fields from the class attribute pydantic keeps them in rather than through the
# `model_fields` property.
def _walk(data: Any, validated: Any, path: YamlPath, found: list[Problem]) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            _walk(value, _child(validated, key), (*path, key), found)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            child = (validated[index] if isinstance(validated, (list, tuple))
                     and index < len(validated) else _MISSING)
            _walk(value, child, (*path, index), found)
    elif isinstance(data, float) and not math.isfinite(data):
        found.append(Problem(path, f"expected a finite number, found {show(data)}"))
    elif validated is not _MISSING:
        problem = _converted(data, validated)
        if problem:
            found.append(Problem(path, problem))


def _child(validated: Any, key: Any) -> Any:
    if isinstance(validated, BaseModel):
        fields = type(validated).__pydantic_fields__
        return getattr(validated, key) if key in fields else _MISSING
    if isinstance(validated, Mapping):
        return validated.get(key, _MISSING)
    return _MISSING


def _converted(written: Any, validated: Any) -> str | None:
    """Why `written` must not stand for `validated`, or None when it may."""
    number = isinstance(validated, (int, float)) and not isinstance(validated, bool)
    if number and isinstance(written, (bool, str)):
        expected = "an integer" if isinstance(validated, int) else "a number"
        hint = " (without quotes)" if isinstance(written, str) else ""
        return f"expected {expected}{hint}, found {show(written)}"
    if isinstance(validated, bool) and not isinstance(written, bool):
        return f"expected true or false, found {show(written)}"
    return None
