"""A check's rule in words: its model's docstring (compiler/language/check_args.py), the one
place the rule is written.

The docstring names arguments as `name` and marks a clause that holds only when the first
argument it names is given as [clause]. The check reference shows it as written, the
arguments in code and every clause kept; a claim's page shows it with that claim's
arguments: each `name` replaced by its value, a clause whose argument is not given (none,
false or empty) left out, and `where`, when given, said first.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from compiler.language.check_args import CheckArgs
from report.checks.selection import conditions

_CODE = re.compile(r"`([^`]*)`")


def generic_rule(model: type[CheckArgs]) -> str:
    """The rule as the check reference shows it (Markdown: arguments as code spans)."""
    return _one_line(_clauses(_docstring(model), keep=lambda _: True))


def rule(args: CheckArgs) -> str:
    """The rule with `args` filled in, as plain text."""
    fields = type(args).model_fields

    def given(words: str) -> bool:
        first = next((name for name in _CODE.findall(words) if name in fields), None)
        if first is None:
            raise ValueError(f"a clause of {type(args).__name__}'s rule names no argument: "
                             f"{words!r}")
        return _given(getattr(args, first))

    def value(match: re.Match[str]) -> str:
        name = match[1]
        return _text(name, getattr(args, name)) if name in fields else name

    text = _CODE.sub(value, _clauses(_docstring(type(args)), keep=given))
    where = getattr(args, "where", None)
    if where:
        text = f"Among runs with {conditions(where)}: {text[:1].lower()}{text[1:]}"
    return _one_line(text)


def _docstring(model: type[CheckArgs]) -> str:
    if not model.__doc__:
        raise TypeError(f"{model.__name__} has no docstring: a check's rule is its docstring")
    return inspect.cleandoc(model.__doc__)


def _clauses(text: str, keep: Callable[[str], bool]) -> str:
    """`text` with each [clause] either kept, without its brackets, or left out, as `keep`
    says of the clause's own words (a clause inside it is decided on its own)."""
    # One [text so far, own words] per open clause, the whole text first.
    open_clauses = [["", ""]]
    for char in text:
        if char == "[":
            open_clauses.append(["", ""])
        elif char == "]":
            if len(open_clauses) == 1:
                raise ValueError(f"unmatched ']' in a check's rule: {text!r}")
            clause, own = open_clauses.pop()
            open_clauses[-1][0] += clause if keep(own) else ""
        else:
            open_clauses[-1][0] += char
            open_clauses[-1][1] += char
    if len(open_clauses) > 1:
        raise ValueError(f"unmatched '[' in a check's rule: {text!r}")
    return open_clauses[0][0]


def _given(value: Any) -> bool:
    return value is not None and value is not False and value != {} and value != ()


def _text(name: str, value: Any) -> str:
    """An argument's value as a rule sentence says it: a flag by its name, runs by their
    config values, numbers as short as they print."""
    if value is True:
        return name
    if isinstance(value, dict):
        return conditions(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_text(name, item) for item in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _one_line(text: str) -> str:
    return " ".join(text.split())
