"""A staged claim, trained for real and reported: decay branches from one stable run. Its page
lists the runs by stage with the shared stable run once, its curves mark where each branch
starts and draw the stable run once behind them; the home page gives the scale it ran at and
what its `gpu` profile would cost."""

import base64
import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from claimlab.main import main
from compiler import compile_spec
from report.site.markdown import duration, gpu_hours, quantity
from report.site.stages import built_from, by_stage
from report.table import runs_table
from runtime.model.flops import non_embedding_params
from runtime.results import read_summary

REPO = Path(__file__).resolve().parents[2]
FIGURE_JSON = re.compile(r'<div class="claimlab-figure"><script type="application/json">(.*?)'
                         r"</script>")
BRANCHES = (10, 20, 30)
STABLE_STEPS, DECAY_STEPS = 40, 10

SPEC = {
    "name": "branches",
    "paper": {"title": "MiniCPM", "url": "https://arxiv.org/abs/2404.06395"},
    "base": {"model": {"width": 32, "depth": 1, "head_dim": 16, "seq_len": 32},
             "parametrization": {"base_width": 32}, "optimizer": {"lr": 1e-2},
             "data": {"batch_size": 8}, "eval": {"every": 5, "batches": 2},
             "schedule": {"kind": "constant", "warmup": 4},
             "budget": {"steps": STABLE_STEPS}},
    "stages": [{"name": "stable"},
               {"name": "decay", "schedule": {"kind": "linear"},
                "budget": {"steps": DECAY_STEPS}}],
    "sweep": {"grid": {"stages.decay.at": list(BRANCHES)}},
    "claims": [{"id": "later-decay-ends-lower",
                "statement": "A decay branched later from the stable run ends lower.",
                "check": {"kind": "monotone", "metric": "final.val_loss", "along": "start.step",
                          "direction": "decreasing", "where": {"schedule.kind": "linear"}}}],
    "profiles": {"gpu": {"base": {"model": {"width": 256, "depth": 4, "head_dim": 64,
                                            "seq_len": 256},
                                  "budget": {"steps": 2000}}}},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("staged")
    spec = root / "branches.yaml"
    spec.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    results, out = root / "results", root / "site"
    assert main(["run", str(spec), "--results", str(results), "-j", "2"]) == 0
    assert main(["report", str(spec), "--results", str(results), "--out", str(out),
                 "--config", str(REPO / "mkdocs.yml")]) == 0
    plan = compile_spec(spec).plan
    return {"spec": spec, "results": results, "out": out, "plan": plan,
            "page": (out / "claims" / "branches" / "later-decay-ends-lower.html")
            .read_text(encoding="utf-8"),
            "index": (out / "index.html").read_text(encoding="utf-8")}


def stable_and_branches(site):
    (stable,) = [run for run in site["plan"].runs if run.stage == "stable"]
    branches = [run for run in site["plan"].runs if run.stage == "decay"]
    return stable, branches


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def section(page: str, heading: str) -> str:
    """The HTML from a heading (h2 or h3 titled `heading`) to the next heading."""
    start = re.search(rf"<h[23][^>]*>{re.escape(heading)}<", page).start()
    end = re.search(r"<h[23][ >]", page[start + 4:])
    return page[start:start + 4 + end.start()] if end else page[start:]


@pytest.mark.slow
def test_the_runs_are_grouped_by_stage_with_the_shared_parent_once(site):
    stable, branches = stable_and_branches(site)
    page = site["page"]
    first, second = section(page, "Stage stable"), section(page, "Stage decay")
    assert page.index("Stage stable") < page.index("Stage decay")
    # The verdict rests on the branches; the run they all start from is listed too, once.
    assert page.count(f"<td>{stable.id}</td>") == 1 and f"<td>{stable.id}</td>" in first
    assert "1 run, from scratch." in text_of(first)
    assert "3 runs, each built from runs of stage stable." in text_of(second)
    rows = re.findall(r"<tr>(.*?)</tr>", second, re.S)[1:]
    starts = [re.findall(r"<td>(.*?)</td>", row, re.S)[:2] for row in rows]
    by_id = {run.id: run.config.start.step for run in branches}
    assert sorted(starts, key=lambda cells: by_id[cells[0]]) == starts   # in branch order
    assert starts == [[run.id, f"{stable.id} at step {run.config.start.step}"]
                      for run in sorted(branches, key=lambda run: run.config.start.step)]


@pytest.mark.slow
def test_curves_mark_each_branch_point_and_draw_the_stable_run_once(site):
    stable, _ = stable_and_branches(site)
    figures = [json.loads(payload) for payload in FIGURE_JSON.findall(site["page"])]
    curves = [fig for fig in figures
              if fig["layout"].get("xaxis", {}).get("title", {}).get("text") == "step"]
    assert curves, "the claim page has a curves figure"
    for fig in curves:
        lines = sorted(shape["x0"] for shape in fig["layout"]["shapes"]
                       if shape["type"] == "line")
        assert lines == list(BRANCHES)
        parent = [trace for trace in fig["data"] if trace["name"] == "parent run"]
        assert len(parent) == 1
        # The whole stable run, to its last logged step, not cut at the first branch.
        steps = decoded(parent[0]["x"])
        logged = [r["step"] for r in map(json.loads, (
            site["results"] / "runs" / stable.id / "metrics.jsonl").read_text().splitlines())
            if "val_loss" in r]
        assert steps == logged and steps[-1] == STABLE_STEPS


def decoded(values) -> list[float]:
    """A trace's values as plotly writes them into a page: a list, or a typed array."""
    if isinstance(values, list):
        return values
    return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()


@pytest.mark.slow
def test_the_home_page_gives_the_scale_it_ran_at_and_its_gpu_profiles_cost(site, capsys):
    stable, branches = stable_and_branches(site)
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", site["index"], re.S)
               if "later-decay-ends-lower" in r)
    cells = [text_of(cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
    summaries = [read_summary(site["results"], run.id) for run in (stable, *branches)]
    # CPU: the branches' training time and the stable run's, which they need, each once.
    cpu = duration(sum(summary["wall_time_s"] for summary in summaries))
    # The gpu profile's cost is the plan command's own estimate.
    capsys.readouterr()
    assert main(["plan", str(site["spec"]), "--profile", "gpu", "--format", "json"]) == 0
    totals = json.loads(capsys.readouterr().out)["totals"]
    d = max(summary["tokens"] for summary in summaries[1:])
    assert d == (BRANCHES[-1] + DECAY_STEPS) * 8 * 32     # counted across the chain
    n = stable.config.model
    assert cells[2:6] == [quantity(non_embedding_params(n)), quantity(d), cpu,
                          gpu_hours(totals["gpu_hours"])]
    assert cells[1] in ("supported", "not supported", "inconclusive")
    page = text_of(site["page"])
    assert f"Its 4 runs trained at up to N = {cells[2]}" in page
    assert f"the spec's gpu profile plans {totals['runs']} runs: {cells[5]}" in page


ENSEMBLED = """\
name: ensembled
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 32}
  budget: {steps: 20}
stages:
  - name: single
  - name: ensemble
    parent: single
    ensemble: [0, 1]
sweep:
  seeds: [0, 1]
"""


def test_an_ensembles_page_lists_its_members_once_as_what_it_is_built_from(tmp_path):
    path = tmp_path / "ensembled.yaml"
    path.write_text(ENSEMBLED)
    plan = compile_spec(path).plan
    (ensemble,) = [run for run in plan.runs if run.stage == "ensemble"]
    members = [run.id for run in plan.runs if run.stage == "single"]
    table = runs_table(plan, tmp_path / "results")
    reads = {run.id: run.config.needs() for run in plan.runs}
    groups = by_stage(table[table.id == ensemble.id], table,
                      {run.id: run.stage for run in plan.runs}, reads, ["single", "ensemble"])
    assert [(g.name, g.parents, sorted(g.runs.id)) for g in groups] == [
        ("single", (), sorted(members)), ("ensemble", ("single",), [ensemble.id])]
    assert built_from(reads[ensemble.id]) == ", ".join(
        f"{member} at step 20" for member in ensemble.config.ensemble.runs)
