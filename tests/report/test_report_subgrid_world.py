"""End to end, from a spec file to the report site: the best learning rate of a synthetic world
falls as width^-0.5, between the grid's points.

The world: val_loss = 2 + 0.5 (log10 lr - log10 lr*)^2, lr* = 0.02 (width / 32)^-0.5, over
widths 32-512 and learning rates half a decade apart. The best value swept moves in steps of
the grid (a slope of -0.664 fitted to those); the optima found between grid points fall at
exactly -0.5.
"""

import math
import re
from pathlib import Path

import pytest
from report_synthetic import write_run

from compiler import compile_spec
from report.site.build import build_report

REPO = Path(__file__).resolve().parents[2]

SPEC = """\
name: lr-width-world
base:
  model: {{width: 32, head_dim: 16, depth: 2, seq_len: 64}}
  budget: {{steps: 40}}
  eval: {{every: 20}}
sweep:
  grid:
    model.width: [32, 64, 128, 256, 512]
    optimizer.lr: {lrs}
claims:
  - id: best-lr-falls-as-inverse-sqrt-width
    statement: The best learning rate falls as width^-0.5.
    check:
      kind: slope
      metric: final.val_loss
      over: optimizer.lr
      against: model.width
      within: [-0.55, -0.45]
"""
HALF_DECADES = "{logspace: [1.0e-4, 0.31622776601683794, 8]}"
DECADES = "[1.0e-3, 1.0e-2, 1.0e-1]"


def world_loss(config) -> float:
    best = 0.02 * (config.model.width / 32) ** -0.5
    return 2 + 0.5 * (math.log10(config.optimizer.lr) - math.log10(best)) ** 2


def report(tmp_path: Path, lrs: str):
    spec_file = tmp_path / "specs" / "lr-width-world.yaml"
    spec_file.parent.mkdir()
    spec_file.write_text(SPEC.format(lrs=lrs))
    compiled = compile_spec(spec_file)
    for run in compiled.plan.runs:
        write_run(tmp_path / "results", run, world_loss(run.config))
    built = build_report([(compiled.spec, compiled.plan, spec_file)], tmp_path / "results",
                         tmp_path / "site", config_file=REPO / "mkdocs.yml")
    (claim,) = built.claims
    return claim


def test_the_optimum_between_grid_points_gives_the_true_slope(tmp_path):
    claim = report(tmp_path, HALF_DECADES)
    result = claim.result
    assert result.verdict == "supported"
    assert result.numbers["slope of best optimizer.lr"] == pytest.approx(-0.5, abs=0.05)
    assert result.numbers["standard error of the slope of best optimizer.lr"] < 0.025
    assert result.numbers["best optimizer.lr at model.width=512"] == pytest.approx(0.005)
    page = claim.page.read_text(encoding="utf-8")
    assert "standard error of the slope of best optimizer.lr" in page
    assert "grid spacing of optimizer.lr near the optima (log10)" in page


def test_a_grid_too_coarse_to_check_the_parabola_is_inconclusive_and_says_so(tmp_path):
    # Three learning rates a decade apart: the parabola through them is all there is, so
    # each optimum is known only to the grid's resolution, too coarse for a +-0.05 range.
    result = report(tmp_path, DECADES).result
    assert result.verdict == "inconclusive"
    assert result.numbers["standard error of the slope of best optimizer.lr"] == \
        pytest.approx(1 / math.sqrt(12) / math.sqrt(0.9062), rel=0.01)
    assert re.search(r"two completed values of optimizer\.lr on each side of the optimum at "
                     r"model\.width=32, .*model\.width=512", result.summary)
