"""The report is built whatever one claim does: a claim that cannot be evaluated is
inconclusive on its own page, and a sweep over a whole config section renders."""

import html
import re
from pathlib import Path

from report_synthetic import make_experiment, mup_claim, sweep_spec, transfer_spec, write_source

from report.site.build import build_report

REPO = Path(__file__).resolve().parents[2]


def build(root: Path, spec, outcome=None):
    experiment = make_experiment(root, spec, outcome)
    entries = [(experiment.spec, experiment.plan, write_source(root, experiment.spec))]
    return build_report(entries, experiment.results, root / "site",
                        config_file=REPO / "mkdocs.yml")


def visible(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def test_a_claim_that_matches_no_run_is_inconclusive_and_the_others_are_reported(tmp_path):
    spec = transfer_spec(claims=[
        mup_claim("no-such-runs", where={"parametrization.kind": "ntk"}),
        mup_claim()])
    built = build(tmp_path, spec)

    outcomes = {c.claim: c for c in built.claims}
    lost = outcomes["no-such-runs"]
    assert lost.result.verdict == "inconclusive"
    assert lost.result.summary == ("This claim cannot be evaluated: argmin_stable: no planned "
                                   "run has parametrization.kind=ntk")
    assert "This claim cannot be evaluated" in visible(lost.page)
    assert outcomes["lr-stable-under-mup"].result.verdict == "supported"
    assert "no planned run has parametrization.kind=ntk" in built.describe()


def test_a_sweep_over_a_whole_section_renders_its_differing_values(tmp_path):
    claim = {"id": "adamw-below-sgd", "statement": "AdamW ends below SGD.",
             "check": {"kind": "ordering", "metric": "final.val_loss",
                       "lower": {"optimizer.kind": "adamw"},
                       "higher": {"optimizer.kind": "sgd"}}}
    spec = sweep_spec({"optimizer": [{"kind": "adamw", "lr": 1e-3}, {"kind": "sgd", "lr": 0.1}],
                       "model.width": [32, 64]}, [claim])
    built = build(tmp_path, spec,
                  lambda c: 3.0 - c.model.width / 100 + (c.optimizer.kind == "sgd") * 0.2)

    (outcome,) = built.claims
    assert outcome.result.verdict == "supported"
    page = outcome.page.read_text(encoding="utf-8")
    header = re.search(r"<thead>(.*?)</thead>", page.split('id="runs"')[1], re.S).group(1)
    columns = re.findall(r"<th[^>]*>(.*?)</th>", header)
    # The section's values that differ, its kind first, then the grid's next axis.
    assert columns[:4] == ["run", "status", "optimizer.kind", "optimizer.lr"]
    assert {"optimizer.momentum", "model.width"} <= set(columns)
