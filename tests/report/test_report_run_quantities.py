"""Run quantities as axes: a check reads summary fields (`summary.tokens`) and the sizes
scaling laws use (N, D, C, tokens_per_param) as it reads config paths."""

import pytest
from report_synthetic import evaluate, sweep_spec

from report.quantities import derived
from runtime.config.run import RunConfig


def loss_in_n(config) -> float:
    """A power law in N alone: 10 * N^-0.1, whatever width and depth make N."""
    return 10 * derived(config)["N"] ** -0.1


def test_a_slope_against_n_runs_across_the_widths_and_depths_that_set_it(experiment):
    # Width and depth both vary, but each N is one (width, depth): the runs are one line
    # along N, not a line per width.
    claim = {"id": "loss-falls-with-n", "statement": "Loss falls as N^-0.1.",
             "check": {"kind": "slope", "metric": "final.val_loss", "against": "N",
                       "within": [-0.12, -0.08]}}
    spec = sweep_spec({"model.width": [32, 64, 128], "model.depth": [1, 2, 4],
                       "model.head_dim": [16]}, [claim])
    result = evaluate(experiment(spec, loss_in_n))
    assert result.verdict == "supported"
    assert [k for k in result.numbers if k.startswith("slope of")] == ["slope of val_loss"]
    assert result.numbers["slope of val_loss"] == pytest.approx(-0.1)


def test_a_power_law_in_the_tokens_a_summary_reports(experiment):
    # The synthetic runtime reports tokens = 2048 per step in each summary.
    claim = {"id": "tokens", "statement": "Loss falls as tokens^-0.5.",
             "check": {"kind": "power_law_fit", "metric": "final.val_loss",
                       "against": "summary.tokens", "exponent": [-0.55, -0.45]}}
    spec = sweep_spec({"budget.steps": [100, 200, 400, 800]}, [claim])
    result = evaluate(experiment(spec, lambda c: 300 * (2048 * c.budget.steps) ** -0.5))
    assert result.verdict == "supported"
    assert result.numbers["exponent k"] == pytest.approx(-0.5)


def test_where_selects_runs_by_a_derived_quantity(experiment):
    short = RunConfig(budget={"steps": 40})
    tokens = 40 * short.data.batch_size * short.model.seq_len
    claim = {"id": "short-only", "statement": "Loss falls with width in the short runs.",
             "check": {"kind": "monotone", "metric": "final.val_loss", "along": "model.width",
                       "direction": "decreasing", "where": {"D": tokens}}}
    spec = sweep_spec({"model.width": [32, 64], "budget.steps": [40, 80],
                       "model.head_dim": [16]}, [claim])
    result = evaluate(experiment(spec, lambda c: 3.0 - c.model.width / 100
                                 + (c.budget.steps == 80) * 1.0 * c.model.width / 16))
    assert result.verdict == "supported"
    assert result.numbers["runs"] == 2
