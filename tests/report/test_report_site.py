"""Real mkdocs builds of small synthetic reports, checked in the HTML they produce."""

import html
import json
import re
from importlib.resources import files
from pathlib import Path

import pytest
from report_synthetic import (
    LRS,
    WIDTHS,
    make_experiment,
    mup_claim,
    plan_for,
    transfer_spec,
    write_source,
)

from report.errors import ReportError
from report.site.build import build_report
from report.site.markdown import duration, quantity
from runtime.model.flops import non_embedding_params

REPO = Path(__file__).resolve().parents[2]
HOSTILE = "Under muP <script>alert('pwned')</script> the best | LR *stays* put"
CONCLUSION = "Widths 64-1024 <b>reach</b> the regime; 6 CPU minutes on 2 cores."
SCRIPT_SRC = re.compile(r'<script[^>]*\ssrc="([^"]+)"')
FIGURE_JSON = re.compile(r'<div class="claimlab-figure"><script type="application/json">(.*?)'
                         r"</script>")

# Three claims with three verdicts: muP's optimum stays (supported), SP's moves (not
# supported), and a sweep that stops at muP's optimum (inconclusive).
TRANSFER = transfer_spec(paper={"title": "Tensor <script>Programs</script> V",
                                "url": "https://arxiv.org/abs/2203.03466"},
                         claims=[mup_claim(statement=HOSTILE),
                                 {**mup_claim("lr-moves-under-sp", "Under SP the best LR moves.",
                                              where={"parametrization.kind": "sp"}),
                                  "conclusion": CONCLUSION}])
SHORT = transfer_spec(name="mup-transfer-short",
                      grid={"model.width": WIDTHS, "optimizer.lr": LRS[:5],
                            "parametrization.kind": ["mup"]})


def entries(root: Path, *specs):
    made = [make_experiment(root, spec) for spec in specs]
    return [(e.spec, e.plan, write_source(root, e.spec)) for e in made], root / "results"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    specs, results = entries(root, TRANSFER, SHORT)
    return build_report(specs, results, root / "site", config_file=REPO / "mkdocs.yml")


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def text_of(page: str) -> str:
    """What a reader sees: the page without tags (code is split into highlighting spans)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def claim_page(built, claim: str, spec: str = "mup-transfer") -> str:
    (outcome,) = [c for c in built.claims if (c.spec, c.claim) == (spec, claim)]
    return read(outcome.page)


def test_each_claim_gets_its_verdict_and_a_page(built):
    verdicts = {(c.spec, c.claim): c.result.verdict for c in built.claims}
    assert verdicts == {("mup-transfer", "lr-stable-under-mup"): "supported",
                        ("mup-transfer", "lr-moves-under-sp"): "not supported",
                        ("mup-transfer-short", "lr-stable-under-mup"): "inconclusive"}
    for outcome in built.claims:
        assert outcome.page == built.site_dir / "claims" / outcome.spec / f"{outcome.claim}.html"
        assert outcome.page.is_file()


def test_index_lists_every_claim_with_its_verdict_and_conclusion(built):
    index = read(built.index)
    rows = re.findall(r"<tr>(.*?)</tr>", index, re.S)
    for outcome in built.claims:
        link = f'href="claims/{outcome.spec}/{outcome.claim}.html"'
        (row,) = [r for r in rows if link in r]
        verdict = outcome.result.verdict
        assert f'claimlab-verdict--{verdict.replace(" ", "-")}">{verdict}<' in row
        assert outcome.result.summary[:40] in html.unescape(row)


def test_index_gives_the_scale_each_claim_ran_at(built):
    rows = re.findall(r"<tr>(.*?)</tr>", read(built.index), re.S)
    for outcome in built.claims:
        (row,) = [r for r in rows if f'href="claims/{outcome.spec}/{outcome.claim}.html"' in r]
        cells = [text_of(cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        spec = {"mup-transfer": TRANSFER, "mup-transfer-short": SHORT}[outcome.spec]
        used = [run for run in plan_for(spec).runs if run.id in outcome.result.runs]
        # N, D (each synthetic run: 40 steps of 2048 tokens), CPU (1.5 s each, added up);
        # these specs have no gpu profile.
        assert cells[2:6] == [
            quantity(max(non_embedding_params(run.config.model) for run in used)),
            quantity(40 * 2048), duration(1.5 * len(used)), "–"]


def test_index_has_a_section_per_paper(built):
    index = read(built.index)
    headings = [text_of(h).strip("¶ ") for h in re.findall(r"<h2[^>]*>(.*?)</h2>", index, re.S)]
    assert headings == ["Tensor <script>Programs</script> V", "Tensor Programs V"]
    assert 'href="papers/tensor-programs-v.html"' in index
    assert "3 claims from 2 papers: 1 supported, 1 not supported, 1 inconclusive." in \
        text_of(index)


def test_paper_page_lists_its_claims_and_the_specs_that_check_them(built):
    page = read(built.site_dir / "papers" / "tensor-script-programs-script-v.html")
    assert "<h1" in page and "Tensor &lt;script&gt;Programs&lt;/script&gt; V" in page
    assert 'href="https://arxiv.org/abs/2203.03466"' in page
    assert 'href="../specs/mup-transfer.html"' in page
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)[1:]
    assert len(rows) == 2
    assert 'href="../claims/mup-transfer/lr-moves-under-sp.html"' in rows[1]
    assert "Under SP the best LR moves." in rows[1] and "claimlab-verdict--not-supported" \
        in rows[1]


def test_claim_page_links_its_paper_its_check_and_its_spec_file(built):
    page = claim_page(built, "lr-moves-under-sp")
    assert 'href="../../papers/tensor-script-programs-script-v.html"' in page
    assert 'href="../../checks.html#argmin_stable"' in page
    assert 'id="argmin_stable"' in read(built.site_dir / "checks.html")
    assert 'href="../../specs/mup-transfer.yaml"' in page
    served = built.site_dir / "specs" / "mup-transfer.yaml"
    assert read(served) == read(built.site_dir.parent / "specs" / "mup-transfer.yaml")


def test_claim_page_embeds_its_figures_as_json(built):
    page = claim_page(built, "lr-moves-under-sp")
    figures = [json.loads(payload) for payload in FIGURE_JSON.findall(page)]
    assert len(figures) == 3        # the sweep, the optima against width, the curves
    sweep = figures[0]
    assert [a["text"] for a in sweep["layout"]["annotations"]] == [
        "parametrization.kind=sp", "parametrization.kind=mup"]
    assert {"width=64", "width=256", "width=1024"} <= {t.get("name") for t in sweep["data"]}


def test_pages_load_plotly_from_the_site_and_nothing_from_the_web(built):
    page = claim_page(built, "lr-stable-under-mup")
    assert "../../assets/claimlab/plotly.min.js" in SCRIPT_SRC.findall(page)
    for built_page in built.site_dir.rglob("*.html"):
        text = read(built_page)
        assert not [src for src in SCRIPT_SRC.findall(text) if re.match(r"(https?:)?//", src)]
        assert not re.search(r'<link[^>]*href="(https?:)?//', text), built_page


def test_plotly_js_is_copied_once_from_the_installed_package(built):
    (copy,) = built.site_dir.rglob("plotly*.js")
    assert copy == built.site_dir / "assets" / "claimlab" / "plotly.min.js"
    packaged = files("plotly").joinpath("package_data", "plotly.min.js")
    assert copy.read_bytes() == packaged.read_bytes()


def test_text_from_specs_is_shown_as_text_never_run(built):
    page = claim_page(built, "lr-stable-under-mup")
    statement = re.search(r'<p class="claimlab-statement">(.*?)</p>', page).group(1)
    assert html.unescape(statement) == HOSTILE
    for built_page in built.site_dir.rglob("*.html"):
        text = read(built_page)
        assert "<script>alert" not in text and "<script>Programs" not in text, built_page


def test_a_claims_conclusion_follows_its_verdict_as_text(built):
    page = claim_page(built, "lr-moves-under-sp")
    verdict, conclusion = page.index("claimlab-verdict--"), page.index("Conclusion.")
    assert verdict < conclusion
    assert CONCLUSION in html.unescape(text_of(page[conclusion:]))
    assert "<b>reach</b>" not in page
    assert "Conclusion." not in claim_page(built, "lr-stable-under-mup")


def test_claim_page_shows_the_numbers_the_spec_and_the_runs(built):
    (outcome,) = [c for c in built.claims if c.claim == "lr-moves-under-sp"]
    page = read(outcome.page)
    assert "best optimizer.lr at model.width=1024" in page
    excerpt = re.search(r'href="../../specs/mup-transfer.html#__codelineno-0-(\d+)"', page)
    source = read(built.site_dir.parent / "specs" / "mup-transfer.yaml").splitlines()
    first = int(excerpt.group(1))
    assert source[first - 1:first + 1] == ["- check:", "    across: model.width"]
    assert "parametrization.kind: sp" in text_of(page)
    for run_id in outcome.result.runs:
        assert f"<td>{run_id}</td>" in page


def test_spec_page_shows_the_source_and_run_counts(built):
    page = read(built.site_dir / "specs" / "mup-transfer.html")
    assert 'href="https://arxiv.org/abs/2203.03466"' in page
    assert f"<td>completed</td>\n<td>{len(WIDTHS) * len(LRS) * 2}</td>" in page
    assert 'href="../claims/mup-transfer/lr-moves-under-sp.html"' in page
    source = built.site_dir.parent / "specs" / "mup-transfer.yaml"
    assert read(source).strip() in text_of(page)


def test_hand_written_pages_are_built_and_linked(built):
    for page in (REPO / "site").rglob("*.md"):
        relative = page.relative_to(REPO / "site").with_suffix(".html")
        assert (built.site_dir / relative).is_file()
    assert 'href="guide.html"' in read(built.index)


def test_without_a_site_config_the_packaged_default_is_used(tmp_path, monkeypatch):
    specs, results = entries(tmp_path, SHORT)
    monkeypatch.chdir(tmp_path)
    report = build_report(specs, results, "site")
    assert report.site_dir == tmp_path / "site"
    assert "<title>claimlab report</title>" in read(report.index)
    assert report.claims[0].page.is_file()


def test_rebuilding_replaces_the_previous_site(tmp_path):
    specs, results = entries(tmp_path, SHORT)
    site = tmp_path / "site"
    build_report(specs, results, site, config_file=REPO / "mkdocs.yml")
    (site / "claims" / "stale.html").write_text("old")
    build_report(specs, results, site, config_file=REPO / "mkdocs.yml")
    assert not (site / "claims" / "stale.html").exists()


def test_refuses_to_empty_a_directory_that_is_not_a_site(tmp_path):
    specs, results = entries(tmp_path, SHORT)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ReportError, match="not empty"):
        build_report(specs, results, tmp_path, config_file=REPO / "mkdocs.yml")
    assert (tmp_path / "notes.txt").exists()


def test_a_broken_link_fails_the_strict_build_with_the_reason(tmp_path):
    specs, results = entries(tmp_path, SHORT)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text("# Notes\n\nSee [there](nowhere.md).\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"INHERIT: {REPO / 'report/site/templates/mkdocs.yml'}\ndocs_dir: docs\n")
    with pytest.raises(ReportError, match="nowhere.md"):
        build_report(specs, results, tmp_path / "site", config_file=config)


def test_a_failed_build_leaves_the_site_built_before(tmp_path):
    specs, results = entries(tmp_path, SHORT)
    site = tmp_path / "site"
    built = build_report(specs, results, site, config_file=REPO / "mkdocs.yml")
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text("# Notes\n\nSee [there](nowhere.md).\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"INHERIT: {REPO / 'report/site/templates/mkdocs.yml'}\ndocs_dir: docs\n")
    with pytest.raises(ReportError):
        build_report(specs, results, site, config_file=config)
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    assert built.index.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs", "mkdocs.yml", "results",
                                                          "site", "specs"]


def test_duplicate_spec_names_are_an_error(tmp_path):
    specs, results = entries(tmp_path, SHORT)
    with pytest.raises(ReportError, match="mup-transfer-short"):
        build_report(specs * 2, results, tmp_path / "site", config_file=REPO / "mkdocs.yml")


def test_a_claim_whose_metric_no_run_reports_is_inconclusive_with_the_reason(tmp_path):
    spec = transfer_spec(claims=[mup_claim(metric="final.perplexity")])
    specs, results = entries(tmp_path, spec)
    built = build_report(specs, results, tmp_path / "site", config_file=REPO / "mkdocs.yml")
    (outcome,) = built.claims
    assert outcome.result.verdict == "inconclusive"
    assert outcome.result.summary.startswith("This claim cannot be evaluated: argmin_stable: "
                                             "no run reports the metric 'final.perplexity'")
    assert "final.perplexity" in text_of(read(outcome.page))


def test_a_missing_site_config_is_an_error(tmp_path):
    specs, results = entries(tmp_path, SHORT)
    with pytest.raises(ReportError, match="does not exist"):
        build_report(specs, results, tmp_path / "site", config_file=tmp_path / "nope.yml")


def test_describe_gives_each_verdict_and_where_the_site_is(built):
    lines = built.describe().splitlines()
    assert "not supported  mup-transfer/lr-moves-under-sp: The best optimizer.lr moves" in lines[1]
    assert lines[-1] == f"report: {built.index}"
