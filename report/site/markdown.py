"""Markdown (and the bits of HTML Markdown passes through) for the report's pages.

Text from specs and results (statements, titles, summaries, error messages) is untrusted:
`text()` escapes it for both HTML and Markdown, and is the templates' default filter. Only
the helpers here produce `Markup` (links, badges, figures, code blocks), each escaping what
it embeds.
"""

from __future__ import annotations

import math
import re
from typing import Any

import plotly.graph_objects as go
from markupsafe import Markup, escape

# Characters that would make Markdown out of plain text (emphasis, links, code, table
# cells, attribute lists); written as numeric entities they display as themselves.
_MARKDOWN = re.compile(r"[\\`*_\[\]|{}]")


def text(value: Any) -> Markup:
    if hasattr(value, "__html__"):
        return Markup(value)
    flat = re.sub(r"\s+", " ", str(value))    # a line break would end a table row
    return Markup(_MARKDOWN.sub(lambda m: f"&#{ord(m[0])};", str(escape(flat))))


def badge(verdict: str) -> Markup:
    css_class = "claimlab-verdict--" + verdict.replace(" ", "-")
    return Markup(f'<span class="claimlab-verdict {css_class}">{escape(verdict)}</span>')


def table_row(cells: list[Any]) -> Markup:
    return Markup("| " + " | ".join(text(cell) for cell in cells) + " |")


def table_rule(cells: list[Any]) -> Markup:
    return Markup("|" + " --- |" * len(cells))


def number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def quantity(value: float | None) -> str:
    """A count for a reader: 12.3M, 4.1B (three significant figures)."""
    if value is None:
        return "–"
    for power, suffix in ((12, "T"), (9, "B"), (6, "M"), (3, "k")):
        if abs(value) >= 10 ** power:
            return f"{value / 10 ** power:.3g}{suffix}"
    return f"{value:.3g}"


def duration(seconds: float) -> str:
    """Seconds for a reader: 45 s, 14 min, 2.3 h."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 100 * 60:
        return f"{_figures(seconds / 60)} min"
    return f"{_figures(seconds / 3600)} h"


def gpu_hours(hours: float) -> str:
    return f"{_figures(hours)} GPU-h" if hours >= 0.01 else "<0.01 GPU-h"


def _figures(value: float) -> str:
    """Two significant figures, whole numbers from 10 up; never in e-notation."""
    return f"{value:#.2g}" if value < 10 else f"{value:,.0f}"


def page_link(label: str, path: str) -> Markup:
    """A Markdown link to another page of the site (paths are built from identifiers)."""
    return Markup(f"[{text(label)}]({path})")


def external_link(label: str, url: str | None) -> Markup:
    """A link to a web page; anything but http(s) is shown as text, never followed."""
    if url and re.match(r"https?://", url):
        return Markup(f'<a href="{escape(url)}">{text(label)}</a>')
    return text(label)


def code_block(source: str, language: str, first_line: int | None = None) -> Markup:
    """A fenced block, numbered from `first_line` when given (each line then has an
    anchor, so other pages can link to a line)."""
    # A fence longer than any run of backticks in the text, so the text cannot close it.
    longest = max((len(run) for run in re.findall(r"`+", source)), default=0)
    fence = "`" * max(3, longest + 1)
    numbers = f' linenums="{first_line}"' if first_line is not None else ""
    return Markup(f"{fence}{language}{numbers}\n{source.rstrip()}\n{fence}")


def figure(fig: go.Figure) -> Markup:
    """The figure as JSON inside its container; the site script draws it with Plotly."""
    # In JSON these characters only occur inside strings, where \\u escapes mean the same;
    # escaping them keeps `</script>` or `<!--` in a title from ending the script early.
    payload = fig.to_json().translate({ord("<"): "\\u003c", ord(">"): "\\u003e",
                                      ord("&"): "\\u0026"})
    return Markup(f'<div class="claimlab-figure"><script type="application/json">'
                  f"{payload}</script></div>")
