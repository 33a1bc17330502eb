"""Problems in a spec, and the one exception that carries all of them.

A `Problem` is found against a path in the spec's data; it gets its file/line/column once the
source map is at hand (`SpecError.located`), so checks stay independent of where data came from.
Each prints as `FILE:LINE:COL: dotted.path: message` (a warning as `FILE:LINE:COL: warning:
dotted.path: message`).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from compiler.language.locations import Location, SourceMap, YamlPath


@dataclass(frozen=True)
class Problem:
    path: YamlPath
    message: str
    # The problem is the key itself (an unknown key), not the value written under it.
    at_key: bool = False
    location: Location | None = None
    # Worth knowing, but the spec compiles (e.g. sweep values that duplicate runs).
    warning: bool = False

    def __str__(self) -> str:
        parts = [str(self.location)] if self.location else []
        if self.warning:
            parts.append("warning")
        if self.path:
            parts.append(dotted(self.path))
        parts.append(self.message)
        return ": ".join(parts)


class SpecError(Exception):
    """Everything wrong with one spec, sorted by where it was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(set(problems), key=_reading_order))
        super().__init__("\n".join(map(str, self.problems)))

    def located(self, source: SourceMap) -> SpecError:
        return SpecError(
            problem if problem.location else
            replace(problem, location=source.locate(problem.path, problem.at_key))
            for problem in self.problems
        )


def _reading_order(problem: Problem) -> tuple:
    where = problem.location
    position = (where.file, where.line, where.column) if where else ("", 0, 0)
    return (*position, dotted(problem.path), problem.message)


def dotted(path: YamlPath) -> str:
    """`("claims", 0, "check", "over")` -> `claims[0].check.over`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def did_you_mean(word: str, options: Sequence[str]) -> str:
    """` (did you mean 'width'?)` when `word` looks like a typo of one of `options`, or is
    the start of just one of them (`gpus` for `gpus_per_node`); else ``."""
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    starting = [option for option in options if word and option.startswith(word)]
    if not close and len(starting) == 1:
        close = starting
    return f" (did you mean {close[0]!r}?)" if close else ""


def show(value: Any) -> str:
    """A value as a spec author wrote it: YAML words for scalars, short JSON for containers."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, (int, float)):
        return repr(value)
    text = json.dumps(value, default=str)
    if len(text) <= 60:
        return text
    return "a mapping" if isinstance(value, dict) else "a list"
