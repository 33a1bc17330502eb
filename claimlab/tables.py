"""Tables and numbers for the terminal and for Markdown (pull-request comments)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

_PREFIXES = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def si(value: float) -> str:
    """`12_300_000` -> `12.3M`: three significant digits and an SI prefix."""
    for scale, prefix in _PREFIXES:
        if abs(value) >= scale:
            return f"{value / scale:.3g}{prefix}"
    return f"{value:.3g}"


def hours(value: float) -> str:
    return f"{value:.3g}" if value >= 0.01 else f"{value:.2g}"


def value_text(value: Any) -> str:
    """A swept value as a spec would say it: `sp`, `0.001`, `[0.9, 0.95]`."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "))


def swept_text(overrides: Mapping[str, Any]) -> str:
    return " ".join(f"{path}={value_text(value)}" for path, value in overrides.items())


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in (header, *rows)]
    return "\n".join(lines)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
    return "\n".join([line(header), line(["---"] * len(header)), *map(line, rows)])
