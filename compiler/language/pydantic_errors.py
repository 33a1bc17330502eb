"""Pydantic's validation errors in a spec author's words, placed on the paths of the data.

Pydantic reports each error at a `loc` that mixes data keys with the tags of the union
members it tried (`check.argmin_stable.metric`, `warmup.constrained-int`). The data itself
tells them apart: a part is a step only if the data has it there.

When a value fails every member of a union, pydantic reports one error per member; they
become one message ("expected an integer or a number <= 1, found 1.5").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from compiler.language.errors import Problem, did_you_mean, show
from compiler.language.locations import YamlPath
from compiler.language.model_paths import children, field_names, literal_values, types_at

# What a value of each failed type was expected to be.
_EXPECTED = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "int_parsing_size": "an integer",
    "float_type": "a number", "float_parsing": "a number", "finite_number": "a finite number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "a string",
    "list_type": "a list", "tuple_type": "a list", "set_type": "a list",
    "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "none_required": "null",
}
# Failed bounds: the symbol and the context key holding the bound.
_BOUNDS = {
    "greater_than": (">", "gt"), "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"), "less_than_equal": ("<=", "le"),
}
_LENGTHS = {
    "too_short": ("at least", "min_length"), "too_long": ("at most", "max_length"),
    "string_too_short": ("at least", "min_length"), "string_too_long": ("at most", "max_length"),
}
# "an integer" says nothing once "a number" is also acceptable.
_IMPLIED_BY_NUMBER = {"an integer"}


@dataclass(frozen=True)
class _Mismatch:
    """A value that is not what one alternative expected."""

    expected: str                    # a noun phrase: "a number > 0", "one of 'sp', 'mup'"
    found: str
    condition: str | None = None     # for a failed bound, the bare condition: "> 0"
    hint: str = ""                   # e.g. " (did you mean 'mup'?)"


def explain(error: ValidationError, data: Any, model: type[BaseModel]) -> list[Problem]:
    """The problems behind `error`, raised validating `data` as `model`; paths into `data`."""
    mismatches: dict[tuple[YamlPath, bool], list[_Mismatch]] = {}
    problems = []
    for details in error.errors():
        path, at_key, what = _explain_one(details, data, model)
        if isinstance(what, _Mismatch):
            mismatches.setdefault((path, at_key), []).append(what)
        else:
            problems.append(Problem(path, what, at_key))
    for (path, at_key), alternatives in mismatches.items():
        problems.append(Problem(path, _say(alternatives), at_key))
    return problems


def _explain_one(details: ErrorDetails, data: Any,
                 model: type[BaseModel]) -> tuple[YamlPath, bool, str | _Mismatch]:
    kind, loc, value = details["type"], details["loc"], details["input"]
    ctx = details.get("ctx") or {}
    path, at_key = _data_path(loc, data)
    if kind == "missing":
        parent, _ = _data_path(loc[:-1], data)
        return parent, False, f"missing required key {loc[-1]!r}"
    if kind == "extra_forbidden":
        names = field_names(types_at(model, loc[:-1]))
        hint = did_you_mean(str(loc[-1]), names) or f" (known keys: {', '.join(names)})"
        return path, True, f"unknown key {loc[-1]!r}{hint}"
    if kind == "union_tag_not_found":
        return path, False, f"missing required key {_unquote(ctx['discriminator'])!r}"
    if kind == "union_tag_invalid":
        key = _unquote(ctx["discriminator"])
        tags = literal_values([c for t in types_at(model, loc) for c in children(t, key)])
        return (*path, key), False, _one_of(tags, ctx["tag"], ctx["expected_tags"])
    if kind in ("value_error", "assertion_error"):
        return path, at_key, str(ctx["error"])
    if kind == "literal_error":
        return path, at_key, _one_of(literal_values(types_at(model, loc)), value, ctx["expected"])
    return path, at_key, _mismatch(kind, ctx, value, details["msg"])


def _data_path(loc: tuple[str | int, ...], data: Any) -> tuple[YamlPath, bool]:
    """The steps of `loc` that the data has, and whether the error is about a dict key."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if part == "[key]":
            return tuple(path), True
        if _holds(node, part):
            node = node[part]
            path.append(part)
        # Otherwise `part` is a union member's tag, not a step in the data.
    return tuple(path), False


def _holds(node: Any, part: str | int) -> bool:
    if isinstance(node, Mapping):
        return part in node
    return (isinstance(node, Sequence) and not isinstance(node, str)
            and isinstance(part, int) and 0 <= part < len(node))


def _mismatch(kind: str, ctx: dict[str, Any], value: Any, msg: str) -> _Mismatch | str:
    found = show(value)
    if kind in _EXPECTED:
        return _Mismatch(_EXPECTED[kind], found)
    if kind in _BOUNDS:
        symbol, key = _BOUNDS[kind]
        condition = f"{symbol} {_number(ctx[key])}"
        return _Mismatch(f"a number {condition}", found, condition)
    if kind == "multiple_of":
        condition = f"a multiple of {_number(ctx['multiple_of'])}"
        return _Mismatch(condition, found, condition)
    if kind in _LENGTHS:
        bound, key = _LENGTHS[kind]
        n = ctx[key]
        if kind.startswith("string"):
            return _Mismatch(f"a string of {bound} {n} characters", found)
        return _Mismatch(f"{bound} {n} item{'s' if n != 1 else ''}", str(ctx["actual_length"]))
    if kind == "string_pattern_mismatch":
        return _Mismatch(f"a string matching {ctx['pattern']}", found)
    # Our own validators' errors (e.g. a sweep axis that is neither a list nor a range)
    # already say what they expected; pydantic's rarer ones say "Input should be ...".
    return f"{msg.replace('Input should be', 'expected')}, found {found}"


def _say(alternatives: list[_Mismatch]) -> str:
    found, hint = alternatives[0].found, alternatives[0].hint
    conditions = {m.condition for m in alternatives}
    if len(conditions) == 1 and None not in conditions:
        return f"must be {conditions.pop()}, found {found}{hint}"
    expected = list(dict.fromkeys(m.expected for m in alternatives))
    if "a number" in expected:
        expected = [e for e in expected if e not in _IMPLIED_BY_NUMBER]
    return f"expected {' or '.join(expected)}, found {found}{hint}"


def _one_of(options: list[Any], value: Any, pydantic_wording: str) -> _Mismatch:
    """`expected one of 'sp', 'mup', found 'mupp' (did you mean 'mup'?)`.

    The options come from the model; pydantic's own wording is the fallback.
    """
    if not options:
        return _Mismatch(pydantic_wording, show(value))
    words = [o for o in options if isinstance(o, str)]
    hint = did_you_mean(value, words) if isinstance(value, str) else ""
    return _Mismatch("one of " + ", ".join(map(show, options)), show(value), hint=hint)


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else repr(value)


def _unquote(name: str) -> str:
    return name.strip("'\"")
