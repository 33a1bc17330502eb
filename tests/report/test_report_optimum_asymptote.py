"""optimum (the best value of a swept axis lies in a range), asymptote (one arm levels off
below another), monotone with `tuned`, and `where: {ensemble: null}` for the runs that are
not ensembles: the checks of the data-constrained pre-training claims."""

import math

import pytest
from report_synthetic import evaluate, sweep_spec

from compiler import compile_spec
from report.checks.selection import matching
from report.table import runs_table

WIDTHS = [32, 64, 128, 256]
DECAYS = [0.1, 0.3, 1.0, 3.0, 10.0]


def bowl(config, centre: float, seed_std: float = 0.0) -> float:
    """A bowl in log10(weight decay) centred at `centre`, falling with width; seeds scatter
    by seed_std."""
    return 3.0 - 0.1 * math.log2(config.model.width / 32) \
        + 0.2 * (math.log10(config.optimizer.weight_decay) - math.log10(centre)) ** 2 \
        + seed_std * (config.seed - 1)


def optimum_claim(within, **args):
    return {"id": "large-decay", "statement": "The best weight decay is large.",
            "check": {"kind": "optimum", "metric": "final.val_loss",
                      "over": "optimizer.weight_decay", "within": within, **args}}


def run(experiment, claim, outcome, grid=None, seeds=(0, 1, 2)):
    grid = grid or {"model.width": WIDTHS, "optimizer.weight_decay": DECAYS}
    return evaluate(experiment(sweep_spec(grid, [claim], seeds), outcome))


def test_an_optimum_inside_the_range_at_every_width_is_supported(experiment):
    result = run(experiment, optimum_claim([1.0, None]), lambda c: bowl(c, 3.0))
    assert result.verdict == "supported", result.summary
    # The bowl is a parabola in log10: the vertex lands on 3 exactly.
    assert result.numbers["best optimizer.weight_decay at model.width=128"] == pytest.approx(3.0)
    assert result.numbers["lowest optimum allowed"] == 1.0
    assert result.numbers["highest optimum allowed"] == "none"
    assert result.summary.startswith("The best optimizer.weight_decay is at least 1 on every "
                                     "line: 3 (± 0.00 in log10) at model.width=32")


def test_an_optimum_at_the_usual_value_is_not_supported(experiment):
    result = run(experiment, optimum_claim([1.0, None]), lambda c: bowl(c, 0.3))
    assert result.verdict == "not supported"
    assert result.summary.startswith("The best optimizer.weight_decay is outside at least 1 "
                                     "at model.width=32, model.width=64")


def test_an_optimum_at_the_bound_within_the_seed_noise_is_inconclusive(experiment):
    result = run(experiment, optimum_claim([1.0, None]),
                 lambda c: bowl(c, 1.0, seed_std=0.05))
    assert result.verdict == "inconclusive"
    assert "too close to at least 1 to tell" in result.summary
    assert "Deciding needs" in result.summary


def test_a_best_at_the_edge_is_placed_beyond_the_value_next_to_it(experiment):
    # The best is the highest value swept (10): the optimum lies above 3, all of which is
    # at least 1, but only part of which is at most 5.
    beyond = run(experiment, optimum_claim([1.0, None]), lambda c: bowl(c, 100.0))
    assert beyond.verdict == "supported", beyond.summary
    assert beyond.numbers["its uncertainty (log10) at model.width=32"] == \
        "at the highest value swept"
    bounded = run(experiment, optimum_claim([1.0, 5.0]), lambda c: bowl(c, 100.0))
    assert bounded.verdict == "inconclusive"
    assert "values of optimizer.weight_decay beyond the last swept would place" in \
        bounded.summary
    below = run(experiment, optimum_claim([1.0, None]), lambda c: bowl(c, 0.01))
    assert below.verdict == "not supported"


def test_a_line_with_one_completed_point_is_inconclusive(experiment):
    def outcome(config):
        return "failed" if config.model.width == 64 and config.optimizer.weight_decay != 1.0 \
            else bowl(config, 3.0)

    result = run(experiment, optimum_claim([1.0, None]), outcome)
    assert result.verdict == "inconclusive"
    assert "at model.width=64 fewer than two values of optimizer.weight_decay completed" in \
        result.summary


def shifting(config) -> float:
    """Each width has its own best weight decay (0.3 at 32, up to 3 at 256); at its best the
    loss falls with width, while at any one weight decay it does not."""
    centre = {32: 0.3, 64: 1.0, 128: 1.0, 256: 3.0}[config.model.width]
    return bowl(config, centre) + 0.05 * math.log2(config.model.width / 32) \
        + 0.002 * (config.seed - 1)


def monotone_claim(**args):
    return {"id": "tuned-falls", "statement": "Tuned, loss falls with width.",
            "check": {"kind": "monotone", "metric": "final.val_loss", "along": "model.width",
                      "direction": "decreasing", **args}}


def test_monotone_tuned_reads_each_point_at_its_best_setting(experiment):
    tuned = run(experiment, monotone_claim(tuned=["optimizer.weight_decay"]), shifting)
    assert tuned.verdict == "supported", tuned.summary
    assert tuned.numbers["steps checked"] == 3
    assert tuned.numbers["best optimizer.weight_decay of the runs at model.width=256"] == 3.0
    untuned = run(experiment, monotone_claim(), shifting)
    assert untuned.verdict == "not supported"


def test_monotone_tuned_with_a_best_at_the_edge_is_inconclusive(experiment):
    result = run(experiment, monotone_claim(tuned=["optimizer.weight_decay"]),
                 lambda c: bowl(c, 10.0) + 0.002 * c.seed)
    assert result.verdict == "inconclusive"
    assert "is the highest value swept; widen its sweep" in result.summary


ASYMPTOTES = {0.5: 2.0, 1.0: 2.3}     # by optimizer.grad_clip: the arm's asymptote


def levelling(config, asymptotes=ASYMPTOTES) -> float:
    """E + 0.8 * (width / 32)^-0.7 per arm, at its best weight decay (a bowl centred at 1)."""
    return asymptotes[config.optimizer.grad_clip] \
        + 0.8 * (config.model.width / 32) ** -0.7 \
        + 0.1 * (math.log10(config.optimizer.weight_decay)) ** 2


def asymptote_claim(**args):
    return {"id": "lower-asymptote", "statement": "The first arm levels off lower.",
            "check": {"kind": "asymptote", "metric": "final.val_loss", "against": "model.width",
                      "lower": {"optimizer.grad_clip": 0.5},
                      "higher": {"optimizer.grad_clip": 1.0}, **args}}


def run_asymptote(experiment, claim, outcome=levelling, widths=(32, 64, 128, 256, 512)):
    grid = {"optimizer.grad_clip": [0.5, 1.0], "model.width": list(widths),
            "optimizer.weight_decay": [0.1, 1.0, 10.0]}
    return run(experiment, claim, outcome, grid=grid, seeds=(0,))


def test_an_arm_that_levels_off_lower_is_supported(experiment):
    result = run_asymptote(experiment, asymptote_claim(tuned=["optimizer.weight_decay"]))
    assert result.verdict == "supported", result.summary
    assert result.numbers["asymptote E of lower"] == pytest.approx(2.0, abs=1e-3)
    assert result.numbers["asymptote E of higher"] == pytest.approx(2.3, abs=1e-3)
    assert result.numbers["exponent k of lower"] == pytest.approx(-0.7, abs=1e-3)
    assert result.numbers["best optimizer.weight_decay of lower at model.width=64"] == 1.0


def test_an_arm_that_levels_off_higher_is_not_supported(experiment):
    result = run_asymptote(experiment, asymptote_claim(tuned=["optimizer.weight_decay"]),
                           outcome=lambda c: levelling(c, {0.5: 2.3, 1.0: 2.0}))
    assert result.verdict == "not supported"
    assert result.summary.startswith("optimizer.grad_clip=0.5 does not level off below")


def test_asymptotes_the_sizes_cannot_pin_down_are_inconclusive(experiment):
    # Scatter of 0.05 on points only 0.3 apart at the largest sizes: leaving one size out
    # moves each asymptote by more than their difference.
    def noisy(config):
        kick = {32: 0.0, 64: 0.05, 128: -0.05, 256: 0.05, 512: -0.05}[config.model.width]
        return levelling(config, {0.5: 2.0, 1.0: 2.05}) + kick * (config.optimizer.grad_clip
                                                                   * 2 - 1.5)

    result = run_asymptote(experiment, asymptote_claim(tuned=["optimizer.weight_decay"]),
                           outcome=noisy)
    assert result.verdict == "inconclusive", result.summary
    assert "is within 2 uncertainties" in result.summary


def test_too_few_sizes_or_no_levelling_off_is_inconclusive(experiment):
    few = run_asymptote(experiment, asymptote_claim(tuned=["optimizer.weight_decay"]),
                        widths=(32, 64, 128))
    assert few.verdict == "inconclusive"
    assert "3 values of model.width of lower completed; the fit and its jackknife need 4" in \
        few.summary
    rising = run_asymptote(experiment, asymptote_claim(tuned=["optimizer.weight_decay"]),
                           outcome=lambda c: 2.0 + 0.1 * math.log2(c.model.width)
                           + (0.2 if c.optimizer.grad_clip == 1.0 else 0.0)
                           + 0.1 * math.log10(c.optimizer.weight_decay) ** 2)
    assert rising.verdict == "inconclusive"
    assert rising.summary.startswith("The fit to lower does not level off (its exponent is at "
                                     "-0.01, the bound)")


ENSEMBLED = """\
name: ensembled
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 32}
  budget: {steps: 20}
stages:
  - name: single
  - name: ensemble
    ensemble: [0, 1]
sweep:
  seeds: [0, 1]
"""


def test_where_ensemble_null_keeps_the_runs_that_are_not_ensembles(tmp_path):
    path = tmp_path / "ensembled.yaml"
    path.write_text(ENSEMBLED)
    plan = compile_spec(path).plan
    table = runs_table(plan, tmp_path / "results")
    singles = {run.id for run in plan.runs if run.stage == "single"}
    assert set(matching(table, {"ensemble": None}).id) == singles
    assert set(matching(table, {"ensemble.step": 20}).id) == \
        {run.id for run in plan.runs if run.stage == "ensemble"}
