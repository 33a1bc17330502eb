"""Derived values: a small arithmetic language over a run's config, e.g.

    optimizer.lr: "3.0e-3 * parametrization.base_width / model.width"

An expression has numbers, config paths (the run's value at that path), `+ - * / **`,
parentheses, and the functions in FUNCTIONS; arithmetic is in floats. The text is parsed by
Python's parser, which builds a tree and runs nothing, and only the node kinds above are
evaluated here: no other names, no attributes of values, no other calls, never `eval`.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from compiler.language.errors import show

MAX_LENGTH = 500
FUNCTIONS: dict[str, Callable[..., float]] = {
    "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "log2": math.log2,
    "log10": math.log10, "abs": abs, "min": min, "max": max, "round": round,
    "floor": math.floor, "ceil": math.ceil,
}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}

ConfigPathTuple = tuple[str, ...]


class ExpressionError(ValueError):
    """An expression that cannot be read, or cannot be evaluated for some run."""


@dataclass(frozen=True)
class Expression:
    text: str
    tree: ast.expr
    paths: tuple[ConfigPathTuple, ...]     # the config paths it reads, in order of use

    def evaluate(self, value_at: Callable[[ConfigPathTuple], Any]) -> float:
        """The expression's value, reading each config path through `value_at`."""
        try:
            result = _evaluate(self.tree, value_at)
        except ZeroDivisionError:
            raise ExpressionError(f"{self.text!r} divides by zero") from None
        except OverflowError:
            raise ExpressionError(f"{self.text!r} overflows") from None
        except TypeError:   # a negative number to a fractional power is complex
            raise ExpressionError(f"{self.text!r} is not a real number") from None
        if not math.isfinite(result):
            raise ExpressionError(f"{self.text!r} is {result}, not a finite number")
        return result


@cache
def parse(text: str) -> Expression:
    """The expression `text`; raises ExpressionError saying what is wrong and where."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"an expression has at most {MAX_LENGTH} characters, "
                              f"found {len(text)}")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as error:
        raise ExpressionError(f"cannot read expression {text!r}: {error.msg} "
                              f"at column {error.offset}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError(f"cannot read expression {text!r}") from None
    return Expression(text, tree, tuple(dict.fromkeys(_check(tree, text))))


def _check(node: ast.expr, text: str) -> list[ConfigPathTuple]:
    """The config paths `node` reads; raises ExpressionError at the first node not allowed."""
    path = _path(node)
    if path is not None:
        return [path]
    if isinstance(node, ast.Constant) and _is_number(node.value):
        return []
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _check(node.left, text) + _check(node.right, text)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _check(node.operand, text)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id not in FUNCTIONS:
            raise ExpressionError(f"unknown function {node.func.id!r} in {text!r} "
                                  f"(functions: {', '.join(FUNCTIONS)})")
        return [p for arg in node.args for p in _check(arg, text)]
    shown = ast.get_source_segment(text.strip(), node) or type(node).__name__
    raise ExpressionError(f"{shown!r} is not allowed in an expression: write numbers, config "
                          "paths, + - * / **, parentheses and functions")


def _path(node: ast.expr) -> ConfigPathTuple | None:
    """`model.width` (a chain of names) as ("model", "width"); None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return (node.id, *reversed(parts))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _evaluate(node: ast.expr, value_at: Callable[[ConfigPathTuple], Any]) -> float:
    path = _path(node)
    if path is not None:
        value = value_at(path)
        if not _is_number(value):
            raise ExpressionError(f"{'.'.join(path)} is {show(value)}, not a number")
        return float(value)
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.BinOp):
        return float(_BINARY[type(node.op)](_evaluate(node.left, value_at),
                                            _evaluate(node.right, value_at)))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, value_at))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    args = [_evaluate(arg, value_at) for arg in node.args]
    try:
        return float(FUNCTIONS[node.func.id](*args))
    except (TypeError, ValueError) as error:
        raise ExpressionError(f"{node.func.id}() of {', '.join(map(show, args))}: "
                              f"{error}") from None
