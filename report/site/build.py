"""build_report: evaluate every claim, write the report's pages, build the site.

The pages are staged in a temporary docs directory, which holds:

- the hand-written pages from the base config's docs_dir (the project's site/), if it names
  one; its index.md becomes the top of the generated index page;
- the generated pages (report/site/pages.py lists them) and each spec file, for download;
- assets/claimlab/: plotly.min.js from the installed plotly package (so the site never needs
  a CDN), the script that draws the figures and the stylesheet for verdict badges.

mkdocs_site.py says which base config is used and how the site is built.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd

from compiler.language.config_paths import split
from compiler.language.spec import Spec
from compiler.planning.plan import Plan
from report.checks import cannot_evaluate, run_check
from report.checks.verdict import CheckResult
from report.errors import ReportError
from report.site.mkdocs_build import BaseConfig, build_site, check_site_dir, replacing
from report.site.pages import (
    ClaimPage,
    Paper,
    claim_path,
    group_by_paper,
    render_claim,
    render_index,
    render_paper,
    render_spec,
    spec_path,
    spec_source_path,
)
from report.site.reference import render_reference
from report.site.scale import gpu_profile_cost, ran_at, total_seconds
from report.site.spec_source import claim_excerpt
from report.site.stages import by_stage
from report.table import Curves, config_columns, runs_table
from runtime.results import STATUSES

ASSETS = Path(__file__).parent / "assets"
ASSET_DIR = "assets/claimlab"         # where the report's own assets go in the site
RUN_STATES = (*STATUSES, "unfinished", "corrupt", "missing")

Entry = tuple[Spec, Plan, Path]


@dataclass(frozen=True)
class ClaimOutcome:
    spec: str
    claim: str
    result: CheckResult
    page: Path          # the claim's page in the built site


@dataclass(frozen=True)
class ReportResult:
    site_dir: Path
    index: Path
    claims: tuple[ClaimOutcome, ...]

    def describe(self) -> str:
        """For the terminal: one line per claim, then where the site is."""
        width = max((len(c.result.verdict) for c in self.claims), default=0)
        lines = [f"{c.result.verdict:<{width}}  {c.spec}/{c.claim}: {c.result.summary}"
                 for c in self.claims]
        return "\n".join([*lines, f"report: {self.index}"])


@dataclass(frozen=True)
class _EvaluatedSpec:
    spec: Spec
    spec_file: Path
    source: str
    table: pd.DataFrame
    claims: list[ClaimPage]


def build_report(entries: list[Entry], results_dir: str | os.PathLike,
                 out_dir: str | os.PathLike, *,
                 config_file: str | os.PathLike | None = None) -> ReportResult:
    """Check every claim of each (spec, plan, spec file) entry against the results in
    `results_dir` and build the site into `out_dir`, replacing a report built there before."""
    site_dir = Path(out_dir).resolve()
    _check_unique_names([spec for spec, _, _ in entries])
    evaluated = [_evaluate(spec, plan, Path(spec_file), results_dir)
                 for spec, plan, spec_file in entries]
    base = BaseConfig.find(config_file)
    check_site_dir(site_dir, marker=f"{ASSET_DIR}/claimlab.js")

    with tempfile.TemporaryDirectory(prefix="claimlab-site-") as staging, \
            replacing(site_dir) as new_site:
        docs = Path(staging) / "docs"
        handwritten = _stage_handwritten(base.docs_dir, docs)
        papers = group_by_paper([page for e in evaluated for page in e.claims])
        _stage_pages(evaluated, papers, docs)
        _stage_assets(docs / ASSET_DIR)
        build_site(base, docs=docs, site_dir=new_site,
                   nav=_nav(evaluated, papers, handwritten),
                   extra_css=[f"{ASSET_DIR}/claimlab.css"],
                   extra_javascript=[f"{ASSET_DIR}/plotly.min.js", f"{ASSET_DIR}/claimlab.js"])

    outcomes = tuple(
        ClaimOutcome(spec=e.spec.name, claim=page.claim.id, result=page.result,
                     page=site_dir / _html(claim_path(e.spec.name, page.claim.id)))
        for e in evaluated for page in e.claims)
    return ReportResult(site_dir=site_dir, index=site_dir / "index.html", claims=outcomes)


def _evaluate(spec: Spec, plan: Plan, spec_file: Path,
              results_dir: str | os.PathLike) -> _EvaluatedSpec:
    source = _read_source(spec_file)
    table = runs_table(plan, results_dir)
    curves = Curves(results_dir)
    swept = _swept_columns(spec, plan, table)
    gpu = gpu_profile_cost(spec_file)
    stage_of = {run.id: run.stage for run in plan.runs if run.stage is not None}
    reads = {run.id: run.config.needs() for run in plan.runs}
    stage_order = [stage.name for stage in spec.stages]
    claims = []
    for claim in spec.claims:
        # A claim that cannot be evaluated says why on its own page; the others still are.
        try:
            result = run_check(claim.check, table, curves)
        except ReportError as error:
            result = cannot_evaluate(claim.check, str(error))
        except Exception as error:  # a bug in one check must not hide the other claims
            result = cannot_evaluate(claim.check, f"the check failed ({type(error).__name__}: "
                                                  f"{error}), a bug in claimlab")
        runs = table[table.id.isin(result.runs)]
        claims.append(ClaimPage(spec=spec, claim=claim, result=result, runs=runs, swept=swept,
                                excerpt=claim_excerpt(source, claim),
                                scale=ran_at(runs, table, reads), gpu=gpu,
                                stages=by_stage(runs, table, stage_of, reads, stage_order),
                                reads=reads))
    return _EvaluatedSpec(spec=spec, spec_file=spec_file, source=source, table=table,
                          claims=claims)


def _swept_columns(spec: Spec, plan: Plan, table: pd.DataFrame) -> list[str]:
    """The columns of the runs table the plan's runs differ in: the grid's, in spec order,
    then the rest. A swept section (`optimizer: [{kind: adamw}, {kind: sgd}]`) is the
    columns under it that differ."""
    overridden = {_config_key(key) for run in plan.runs for key in run.overrides} - {None}
    ordered = [key for key in map(_config_key, spec.sweep.grid) if key in overridden]
    columns = []
    for key in ordered + sorted(overridden - set(ordered)):
        under = [column for column in config_columns(table)
                 if column.startswith(f"{key}.") and table[column].nunique(dropna=False) > 1]
        # A section's kind names its variant, so it leads.
        columns += [key] if key in table else sorted(under, key=lambda c: c != f"{key}.kind")
    return list(dict.fromkeys(columns))


def _config_key(key: str) -> str | None:
    """The runs table's column a sweep key sets: a stage's sections are its runs' own
    (`stages.decay.schedule.kind` sets `schedule.kind` of the decay runs); None for the run
    and step a stage starts from, which the runs table shows as "starts from"."""
    if not key.startswith("stages."):
        return key
    field = split(key)[2:]
    if field[0] == "optimizer_state":
        return "start.optimizer_state"
    return None if field[0] in ("parent", "at") else ".".join(field)


def _check_unique_names(specs: list[Spec]) -> None:
    names = [spec.name for spec in specs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ReportError(f"more than one spec is named {', '.join(repeated)}; pages are "
                          "named after their spec, so spec names must be unique")


def _stage_handwritten(source: Path | None, docs: Path) -> list[str]:
    """Copy the hand-written pages into the staging docs; return those other than index.md."""
    docs.mkdir(parents=True)
    if source is None:
        return []
    shutil.copytree(source, docs, dirs_exist_ok=True)
    return sorted(page.relative_to(docs).as_posix() for page in docs.rglob("*.md")
                  if page != docs / "index.md")


def _stage_pages(evaluated: list[_EvaluatedSpec], papers: list[Paper], docs: Path) -> None:
    index = docs / "index.md"
    intro = index.read_text(encoding="utf-8") if index.exists() else None
    _write(index, render_index(papers, intro, total_seconds([e.table for e in evaluated])))
    _write(docs / "checks.md", render_reference())
    paper_of = {page.path: paper for paper in papers for page in paper.claims}
    for paper in papers:
        if paper.generated:
            _write(docs / paper.page, render_paper(paper))
    for e in evaluated:
        spec_paper = next((paper_of[page.path] for page in e.claims), None)
        _write(docs / spec_path(e.spec.name),
               render_spec(e.spec, e.source, str(e.spec_file), e.claims,
                           _status_counts(e.table),
                           spec_paper if spec_paper and spec_paper.generated else None))
        _write(docs / spec_source_path(e.spec.name), e.source)
        for page in e.claims:
            _write(docs / page.path, render_claim(page, paper_of[page.path]))


def _stage_assets(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    plotly_js = files("plotly").joinpath("package_data", "plotly.min.js")
    with plotly_js.open("rb") as source, (target / "plotly.min.js").open("wb") as copy:
        shutil.copyfileobj(source, copy)
    for asset in ASSETS.iterdir():
        shutil.copyfile(asset, target / asset.name)


def _nav(evaluated: list[_EvaluatedSpec], papers: list[Paper],
         handwritten: list[str]) -> list[Any]:
    """Overview; a section per paper (its page, then its claims); the specs; the check
    reference; then the hand-written pages (titled by their first heading). Titles are
    escaped here: the theme writes them into the page as they are."""
    sections = [{_title(paper.title): ([{"Paper": paper.page}] if paper.generated else [])
                 + [{_title(page.claim.id): page.path} for page in paper.claims]}
                for paper in papers]
    specs = {"Specs": [{_title(e.spec.name): spec_path(e.spec.name)} for e in evaluated]}
    return [{"Overview": "index.md"}, *sections, specs, {"Checks": "checks.md"}, *handwritten]


def _title(text: str) -> str:
    return html.escape(text, quote=False)


def _status_counts(table: pd.DataFrame) -> dict[str, int]:
    counts = table.status.value_counts()
    return {state: int(counts[state]) for state in RUN_STATES if state in counts}


def _read_source(spec_file: Path) -> str:
    try:
        return spec_file.read_text(encoding="utf-8")
    except OSError as error:
        raise ReportError(f"cannot read the spec {spec_file}: {error.strerror}") from None


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _html(page: str) -> str:
    return page.removesuffix(".md") + ".html"
