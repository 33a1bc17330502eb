"""The report's Markdown pages, rendered from the Jinja templates in report/templates/.

Text from specs and results (statements, titles, summaries, error messages) is untrusted:
every `{{ value }}` in a template is escaped for both HTML and Markdown unless it is
`Markup`, which only the helpers here produce (links, badges, figures, code blocks).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from compiler.spec import Claim, Spec
from report.verdict import VERDICTS, CheckResult

TEMPLATES = Path(__file__).parent / "templates"

# Characters that would make Markdown out of plain text (emphasis, links, code, table
# cells, attribute lists); written as numeric entities they display as themselves.
_MARKDOWN = re.compile(r"[\\`*_\[\]|{}]")


@dataclass(frozen=True)
class ClaimPage:
    spec: Spec
    claim: Claim
    result: CheckResult
    runs: pd.DataFrame          # the rows of the runs table the check used
    swept: list[str]            # the config columns the sweep varies, in spec order


def claim_path(spec: str, claim: str) -> str:
    return f"claims/{spec}/{claim}.md"


def spec_path(spec: str) -> str:
    return f"specs/{spec}.md"


def render_index(claims: list[ClaimPage], intro: str | None) -> str:
    return _render("index.md.j2", claims=claims, intro=Markup(intro) if intro else None,
                   verdicts=VERDICTS)


def render_claim(page: ClaimPage) -> str:
    finals = sorted(c for c in page.runs if c.startswith("final.") and page.runs[c].notna().any())
    columns = ["status", *page.swept, *finals]
    runs = page.runs.sort_values(page.swept, kind="stable") if page.swept else page.runs
    rows = [[run["id"], *(number(run[c]) for c in columns)] for run in runs.to_dict("records")]
    claim_yaml = yaml.safe_dump(page.claim.model_dump(mode="json"), sort_keys=False)
    return _render("claim.md.j2", page=page, header=["run", *columns], rows=rows,
                   claim_yaml=claim_yaml, up="../../")


def render_spec(spec: Spec, source: str, source_name: str, claims: list[ClaimPage],
                status_counts: dict[str, int]) -> str:
    return _render("spec.md.j2", spec=spec, source=source, source_name=source_name,
                   claims=claims, status_counts=status_counts, up="../")


def _render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


def _escape_text(value: Any) -> Markup:
    if hasattr(value, "__html__"):
        return Markup(value)
    text = re.sub(r"\s+", " ", str(value))    # a line break would end a table row
    return Markup(_MARKDOWN.sub(lambda m: f"&#{ord(m[0])};", str(escape(text))))


def badge(verdict: str) -> Markup:
    css_class = "claimlab-verdict--" + verdict.replace(" ", "-")
    return Markup(f'<span class="claimlab-verdict {css_class}">{escape(verdict)}</span>')


def table_row(cells: list[Any]) -> Markup:
    return Markup("| " + " | ".join(_escape_text(cell) for cell in cells) + " |")


def table_rule(cells: list[Any]) -> Markup:
    return Markup("|" + " --- |" * len(cells))


def number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def page_link(text: str, path: str) -> Markup:
    """A Markdown link to another generated page (paths are built from spec identifiers)."""
    return Markup(f"[{_escape_text(text)}]({path})")


def external_link(text: str, url: str | None) -> Markup:
    """A link to a web page; anything but http(s) is shown as text, never followed."""
    if url and re.match(r"https?://", url):
        return Markup(f'<a href="{escape(url)}">{_escape_text(text)}</a>')
    return _escape_text(text)


def code_block(text: str, language: str) -> Markup:
    # A fence longer than any run of backticks in the text, so the text cannot close it.
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return Markup(f"{fence}{language}\n{text.rstrip()}\n{fence}")


def figure(fig: go.Figure) -> Markup:
    """The figure as JSON inside its container; the site script draws it with Plotly."""
    # In JSON these characters only occur inside strings, where \\u escapes mean the same;
    # escaping them keeps `</script>` or `<!--` in a title from ending the script early.
    payload = fig.to_json().translate({ord("<"): "\\u003c", ord(">"): "\\u003e",
                                      ord("&"): "\\u0026"})
    return Markup(f'<div class="claimlab-figure"><script type="application/json">'
                  f"{payload}</script></div>")


_ENV = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                   finalize=_escape_text, trim_blocks=True, lstrip_blocks=True,
                   keep_trailing_newline=True)
_ENV.filters.update(badge=badge, number=number, code_block=code_block, figure=figure,
                    table_row=table_row, table_rule=table_rule)
_ENV.globals.update(page_link=page_link, external_link=external_link,
                    claim_path=claim_path, spec_path=spec_path)
