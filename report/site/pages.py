"""The report's generated pages, rendered from the Jinja templates in report/site/templates/.

Pages and where they live in the site:

    index.md                     the catalog: every paper with its claims, verdicts,
                                 conclusions, the scale each ran at and its gpu profile's cost
    papers/<slug>.md             one per paper: its claims and the specs that check them
    claims/<spec>/<claim>.md     one per claim: verdict, numbers, rule, figures, spec, runs
    specs/<spec>.md              one per spec: its claims, its runs, its source
    checks.md                    the rule and arguments of every check (report.site.reference)

Every `{{ value }}` in a template goes through markdown.text(), which escapes it, unless it
is Markup from the helpers in report/markdown.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from compiler.language.spec import Claim, Spec
from report.checks.verdict import VERDICTS, CheckResult
from report.site import markdown
from report.site.scale import GpuCost, Scale
from report.site.spec_source import Excerpt
from report.site.stages import Reads, StageRuns, built_from

TEMPLATES = Path(__file__).parent / "templates"
FIRST_STEP = "start.step"   # the step a stage run starts from: its runs table order


@dataclass(frozen=True)
class ClaimPage:
    spec: Spec
    claim: Claim
    result: CheckResult
    runs: pd.DataFrame          # the rows of the runs table the check used
    swept: list[str]            # the config columns the sweep varies, in spec order
    excerpt: Excerpt            # the claim as its spec file writes it
    scale: Scale                # what its runs took
    gpu: GpuCost | None         # what its spec's gpu profile would cost, when it has one
    stages: tuple[StageRuns, ...] = ()  # with stages: its runs and those they are built from
    reads: Reads = field(default_factory=dict)  # run id -> the runs it reads

    @property
    def path(self) -> str:
        return claim_path(self.spec.name, self.claim.id)


@dataclass
class Paper:
    """The claims of one paper, from every spec that checks it. A spec that names no paper
    is a group of its own, whose page is the spec's page."""

    title: str
    url: str | None
    page: str
    generated: bool             # whether `page` is a paper page this report writes
    claims: list[ClaimPage] = field(default_factory=list)

    @property
    def specs(self) -> list[str]:
        return list(dict.fromkeys(page.spec.name for page in self.claims))


def claim_path(spec: str, claim: str) -> str:
    return f"claims/{spec}/{claim}.md"


def spec_path(spec: str) -> str:
    return f"specs/{spec}.md"


def spec_source_path(spec: str) -> str:
    """The spec file as the site serves it, for download."""
    return f"specs/{spec}.yaml"


def group_by_paper(pages: list[ClaimPage]) -> list[Paper]:
    """Claims grouped by the paper their spec checks (same title and url), in the order the
    papers first appear; each paper's page path is unique."""
    papers: dict[tuple[str, str | None], Paper] = {}
    for page in pages:
        paper = page.spec.paper
        key = (paper.title, paper.url) if paper else (f"spec:{page.spec.name}", None)
        if key not in papers:
            papers[key] = Paper(title=paper.title, url=paper.url,
                                page=_paper_path(paper.title, papers.values()), generated=True) \
                if paper else Paper(title=page.spec.name, url=None,
                                    page=spec_path(page.spec.name), generated=False)
        papers[key].claims.append(page)
    return list(papers.values())


def _paper_path(title: str, taken: Iterable[Paper]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-") or "paper"
    used = {paper.page for paper in taken}
    path, n = f"papers/{slug}.md", 2
    while path in used:
        path, n = f"papers/{slug}-{n}.md", n + 1
    return path


def render_index(papers: list[Paper], intro: str | None, rebuild: tuple[int, float]) -> str:
    """`rebuild`: how many distinct runs the report rests on, and their CPU seconds."""
    claims = [page for paper in papers for page in paper.claims]
    return render_template("index.md.j2", papers=papers, claims=claims,
                   intro=Markup(intro) if intro else None, verdicts=VERDICTS,
                   rebuild_runs=rebuild[0], rebuild_seconds=rebuild[1])


def render_paper(paper: Paper) -> str:
    return render_template("paper.md.j2", paper=paper, up="../")


@dataclass(frozen=True)
class RunsTable:
    header: list[str]
    rows: list[list[Any]]
    stage: StageRuns | None = None      # the stage whose runs it lists, in a staged claim


def render_claim(page: ClaimPage, paper: Paper) -> str:
    if page.stages:
        tables = [_runs_table(stage.runs, page.swept, page.reads if stage.parents else None,
                              stage=stage) for stage in page.stages]
    else:
        tables = [_runs_table(page.runs, page.swept)]
    return render_template("claim.md.j2", page=page, paper=paper, tables=tables,
                           up="../../")


def _runs_table(runs: pd.DataFrame, swept: list[str], reads: Reads | None = None, *,
                stage: StageRuns | None = None) -> RunsTable:
    """One row per run: its status, what it is built from (given `reads`), the swept
    columns it has, its final metrics, and a note on a run that did not complete."""
    swept = [c for c in swept if c in runs and runs[c].notna().any()]
    finals = sorted(c for c in runs if c.startswith("final.") and runs[c].notna().any())
    columns = ["status", *swept, *finals]
    order = ([FIRST_STEP] if reads is not None and FIRST_STEP in runs else []) + swept
    records = (runs.sort_values(order, kind="stable") if order else runs).to_dict("records")
    notes = [_note(run) for run in records]
    header = ["run", *(["built from"] if reads is not None else []), *columns] \
        + (["note"] if any(notes) else [])
    rows = [[run["id"], *([built_from(reads.get(run["id"], ()))] if reads is not None else []),
             *(markdown.number(run[c]) for c in columns)]
            + ([note] if any(notes) else []) for run, note in zip(records, notes, strict=True)]
    return RunsTable(header=header, rows=rows, stage=stage)


def render_spec(spec: Spec, source: str, source_name: str, claims: list[ClaimPage],
                status_counts: dict[str, int], paper: Paper | None) -> str:
    return render_template("spec.md.j2", spec=spec, source=source, source_name=source_name,
                   claims=claims, status_counts=status_counts, paper=paper, up="../")


def _note(run: dict[str, Any]) -> str:
    """What became of a run that did not complete."""
    diverged_at, error = run.get("summary.diverged_at"), run.get("summary.error")
    if run["status"] == "diverged" and pd.notna(diverged_at):
        return f"diverged at step {int(diverged_at)}"
    if run["status"] == "failed" and isinstance(error, str):
        return error[:120]
    return ""


def render_template(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


_ENV = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                   finalize=markdown.text, trim_blocks=True, lstrip_blocks=True,
                   keep_trailing_newline=True)
_ENV.filters.update(badge=markdown.badge, number=markdown.number,
                    quantity=markdown.quantity, duration=markdown.duration,
                    gpu_hours=markdown.gpu_hours,
                    code_block=markdown.code_block, figure=markdown.figure,
                    table_row=markdown.table_row, table_rule=markdown.table_rule)
_ENV.globals.update(page_link=markdown.page_link, external_link=markdown.external_link,
                    claim_path=claim_path, spec_path=spec_path,
                    spec_source_path=spec_source_path)
