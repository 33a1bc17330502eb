"""power_law_fit (an exponent with a bootstrap interval) and curve_fit_predict (a loss-curve
law fitted on some runs, scored on held-out ones)."""

import math

import pytest
from report_synthetic import Completed, evaluate, records, sweep_spec

BUDGETS = [100, 200, 400, 800, 1600]


def scaling(config, noise: float = 0.002, offset: float = 2.0) -> float:
    """offset + 30 * steps^-0.5, each seed off by a fixed relative amount."""
    jitter = noise * (-1, 1, 0.5)[config.seed]
    return (offset + 30 * config.budget.steps ** -0.5) * (1 + jitter)


def power_law(**args):
    return {"id": "budget-scaling", "statement": "Loss falls as steps^-0.5.",
            "check": {"kind": "power_law_fit", "metric": "final.val_loss",
                      "against": "budget.steps", "exponent": [-0.6, -0.4], "offset": True,
                      **args}}


def run_power_law(experiment, claim, budgets=BUDGETS, outcome=scaling):
    spec = sweep_spec({"budget.steps": budgets}, [claim], seeds=(0, 1, 2))
    return evaluate(experiment(spec, outcome))


def test_an_exponent_whose_interval_is_inside_the_range_is_supported(experiment):
    result = run_power_law(experiment, power_law())
    assert result.verdict == "supported"
    assert result.numbers["exponent k"] == pytest.approx(-0.5, abs=0.02)
    assert result.numbers["offset E"] == pytest.approx(2.0, abs=0.05)
    low, high = result.numbers["k, 95% interval low"], result.numbers["k, 95% interval high"]
    assert -0.6 < low <= result.numbers["exponent k"] <= high < -0.4
    assert result.numbers["runs fitted"] == 15


def test_the_interval_is_the_same_on_every_build(experiment):
    first, second = (run_power_law(experiment, power_law()) for _ in range(2))
    assert first.numbers == second.numbers


def test_an_exponent_outside_the_range_is_not_supported(experiment):
    result = run_power_law(experiment, power_law(exponent=[-0.3, -0.1]))
    assert result.verdict == "not supported"
    assert "outside the claimed [-0.3, -0.1]" in result.summary


def test_without_an_offset_the_fit_is_a_line_in_log_log(experiment):
    result = run_power_law(experiment, power_law(offset=False),
                           outcome=lambda c: scaling(c, offset=0.0))
    assert result.verdict == "supported"
    assert result.numbers["exponent k"] == pytest.approx(-0.5, abs=1e-3)
    assert "offset E" not in result.numbers
    fig = result.figures[0]
    assert fig.layout.yaxis.type == "log"
    assert [t.name for t in fig.data if t.name.startswith("fit")] == ["fit: k = -0.5"]


def test_an_interval_astride_the_range_is_inconclusive(experiment):
    result = run_power_law(experiment, power_law(), outcome=lambda c: scaling(c, noise=0.08))
    assert result.verdict == "inconclusive"
    assert "the interval straddles the claimed [-0.6, -0.4]" in result.summary


def test_too_few_budgets_to_fit_is_inconclusive(experiment):
    result = run_power_law(experiment, power_law(), budgets=BUDGETS[:3])
    assert result.verdict == "inconclusive"
    assert result.summary == ("3 values of budget.steps have a completed run; the fit "
                              "needs 4.")
    assert result.numbers["runs completed"] == 9


STEPS = 200
SCHEDULES = {                       # the lr multiplier at step s (1-based) of STEPS
    "constant": lambda s: 1.0,
    "cosine": lambda s: 0.5 * (1 + math.cos(math.pi * (s - 1) / STEPS)),
    "wsd": lambda s: min(1.0, (STEPS - s) / (0.2 * STEPS)),
}


def annealing_curve(kind: str, *, c: float = 5.0) -> list[float]:
    """The annealing law's loss at each step: 2 + 0.5 * S1^-0.5 - c * S2 (lr peak 1e-3)."""
    lrs = [1e-3 * SCHEDULES[kind](s) for s in range(1, STEPS + 1)]
    s1, s2, m, losses = 0.0, 0.0, 0.0, []
    for before, lr in zip([lrs[0], *lrs[:-1]], lrs, strict=True):
        m = 0.999 * m + (before - lr)
        s1, s2 = s1 + lr, s2 + m
        losses.append(2 + 0.5 * s1 ** -0.5 - c * s2)
    return losses


def schedule_run(config, noise: float = 0.0, wsd_c: float = 5.0) -> Completed:
    kind = config.schedule.kind
    losses = annealing_curve(kind, c=wsd_c if kind == "wsd" else 5.0)
    shift = 1 + noise * (config.seed - 1)
    logged = records(range(1, STEPS + 1), lr=lambda s: 1e-3 * SCHEDULES[kind](s),
                     val_loss=lambda s: losses[s - 1] * shift)
    return Completed(final={"val_loss": logged[-1]["val_loss"]}, records=logged)


def predict(**args):
    return {"id": "annealing-law", "statement": "The annealing law predicts WSD from cosine.",
            "check": {"kind": "curve_fit_predict", "law": "annealing",
                      "fit": {"schedule.kind": "cosine"}, "predict": {"schedule.kind": "wsd"},
                      "tolerance": 0.01, **args}}


def run_predict(experiment, claim, seeds=(0,), **curve):
    spec = sweep_spec({"schedule.kind": ["cosine", "wsd"]}, [claim], seeds=seeds)
    return evaluate(experiment(spec, lambda c: schedule_run(c, **curve)))


def test_a_law_that_predicts_the_held_out_curve_is_supported(experiment):
    result = run_predict(experiment, predict())
    assert result.verdict == "supported"
    assert result.numbers["mean relative error"] < 1e-3
    assert result.numbers["alpha"] == pytest.approx(0.5, abs=0.01)
    assert result.numbers["held-out points"] == STEPS
    (fig,) = result.figures
    assert [a.text for a in fig.layout.annotations] == ["fitted to", "held out: predicted"]
    held_out = [t for t in fig.data if t.xaxis == "x2"]
    assert {t.name for t in held_out} == {"schedule.kind=wsd", "schedule.kind=wsd law"}


def test_a_held_out_curve_the_law_misses_is_not_supported(experiment):
    result = run_predict(experiment, predict(), wsd_c=50.0)
    assert result.verdict == "not supported"
    assert result.numbers["mean relative error"] > 0.01
    assert "more than the tolerance of 0.01" in result.summary


def test_seed_noise_larger_than_the_tolerance_is_inconclusive(experiment):
    result = run_predict(experiment, predict(), seeds=(0, 1, 2), noise=0.05)
    assert result.verdict == "inconclusive"
    assert result.numbers["seed-to-seed spread of the held-out curves (relative)"] > 0.01


def test_the_power_law_fits_from_a_later_step(experiment):
    result = run_predict(experiment, predict(law="power", from_step=150, tolerance=0.05))
    assert result.numbers["held-out points"] == STEPS - 149
    assert set(result.numbers) >= {"alpha", "L0", "A"}
    assert "C" not in result.numbers


def test_a_law_fitted_on_two_schedules_at_once_predicts_a_third(experiment):
    # fit: {one_of: [constant, cosine]} fits one law to both curves (not a law per schedule,
    # though schedule.kind, and schedule.floor with it, vary within both arms).
    claim = predict(fit={"schedule.kind": {"one_of": ["constant", "cosine"]}})
    spec = sweep_spec({"schedule.kind": ["constant", "cosine", "wsd"]}, [claim])
    result = evaluate(experiment(spec, schedule_run))
    assert result.verdict == "supported"
    assert result.numbers["mean relative error"] < 1e-3
    assert result.numbers["held-out points"] == STEPS
    assert "the schedule.kind=constant or cosine runs" in result.rule
    (fig,) = result.figures
    fitted = {t.name for t in fig.data if t.xaxis != "x2"}
    assert {"schedule.kind=constant", "schedule.kind=cosine"} <= fitted


def test_a_one_of_side_is_compared_point_by_point_with_the_other(experiment):
    # Each schedule of the one_of side is its own point, each compared with the constant.
    claim = {"id": "decay-helps", "statement": "Decaying ends lower than constant.",
             "check": {"kind": "ordering", "metric": "final.val_loss",
                       "lower": {"schedule.kind": {"one_of": ["cosine", "wsd"]}},
                       "higher": {"schedule.kind": "constant"}}}
    spec = sweep_spec({"schedule.kind": ["constant", "cosine", "wsd"]}, [claim])
    result = evaluate(experiment(spec, schedule_run))
    assert result.verdict == "supported"
    assert set(result.numbers) >= {"gap at schedule.kind=cosine", "gap at schedule.kind=wsd"}
    assert result.numbers["runs"] == 3
