"""monotone (a final metric along an axis) and crossing (two arms' curves over steps)."""

import math

import pytest
from report_synthetic import Completed, evaluate, records, sweep_spec

WIDTHS = [64, 128, 256, 512]
SEED_STD = 0.01


def falling(config, drop: float = 0.1) -> float:
    """val_loss falls by `drop` per doubling of width; seeds scatter by SEED_STD."""
    return 3.0 - drop * math.log2(config.model.width / 64) + SEED_STD * (config.seed - 1)


def monotone(**args):
    return {"id": "wider-is-better", "statement": "Loss falls with width.",
            "check": {"kind": "monotone", "metric": "final.val_loss", "along": "model.width",
                      "direction": "decreasing", **args}}


def run_monotone(experiment, claim, outcome=falling, grid=None):
    spec = sweep_spec(grid or {"model.width": WIDTHS}, [claim], seeds=(0, 1, 2))
    return evaluate(experiment(spec, outcome))


def test_a_metric_that_falls_at_every_step_is_decreasing(experiment):
    result = run_monotone(experiment, monotone())
    assert result.verdict == "supported"
    assert result.numbers["steps checked"] == 3
    assert result.summary == "final.val_loss is decreasing along model.width at all 3 steps."


def test_a_metric_that_falls_is_not_increasing(experiment):
    result = run_monotone(experiment, monotone(direction="increasing"))
    assert result.verdict == "not supported"
    assert result.numbers["largest step against"] == pytest.approx(0.1)
    assert "3 of 3 steps go the other way" in result.summary


def test_steps_within_the_noise_are_inconclusive(experiment):
    result = run_monotone(experiment, monotone(), outcome=lambda c: falling(c, drop=0.005))
    assert result.verdict == "inconclusive"
    assert "within 2 standard errors" in result.summary


def test_a_rise_on_one_line_is_enough_to_refute(experiment):
    def outcome(config):
        rises = config.optimizer.lr == 1e-2 and config.model.width == 512
        return falling(config) + (0.5 if rises else 0.0)

    grid = {"model.width": WIDTHS, "optimizer.lr": [1e-3, 1e-2]}
    result = run_monotone(experiment, monotone(), outcome=outcome, grid=grid)
    assert result.verdict == "not supported"
    assert result.numbers["steps checked"] == 6
    sweep = result.figures[0]
    assert {t.name for t in sweep.data if t.mode == "lines+markers"} == {
        "optimizer.lr=0.001", "optimizer.lr=0.01"}


def test_a_diverged_run_makes_monotone_inconclusive(experiment):
    result = run_monotone(experiment, monotone(), outcome=lambda c: "diverged"
                          if c.model.width == 512 and c.seed == 2 else falling(c))
    assert result.verdict == "inconclusive"
    assert result.summary == "1 of 12 runs diverged."


STEPS = range(1, 101)
ARMS = {"a": {"schedule.kind": "cosine"}, "b": {"schedule.kind": "constant"}}


def crossing(**args):
    return {"id": "cosine-overtakes", "statement": "Cosine starts above constant, ends below.",
            "check": {"kind": "crossing", "metric": "val_loss", **ARMS, **args}}


def run_crossing(experiment, cosine, claim=None, constant=lambda s: 2.0, noise=SEED_STD):
    """Cosine's curve is `cosine(step)`, constant's `constant(step)`, each seed offset by
    `noise` * (seed - 1)."""
    def outcome(config):
        curve = cosine if config.schedule.kind == "cosine" else constant
        shift = noise * (config.seed - 1)
        logged = records(STEPS, lr=lambda s: 1e-3, val_loss=lambda s: curve(s) + shift)
        return Completed(final={"val_loss": logged[-1]["val_loss"]}, records=logged)

    spec = sweep_spec({"schedule.kind": ["cosine", "constant"]}, [claim or crossing()],
                      seeds=(0, 1, 2))
    return evaluate(experiment(spec, outcome))


def descending(step: int) -> float:
    return 2.5 - 0.01 * step       # above 2.0 until step 50, below after


def test_curves_that_change_sides_cross(experiment):
    result = run_crossing(experiment, descending)
    assert result.verdict == "supported"
    # The first step clearly below: the gap must clear two standard errors (0.016).
    assert result.numbers["crossing step at all runs"] == 52
    (curves,) = result.figures
    (mark,) = [t for t in curves.data if t.name == "crossing"]
    assert list(mark.x) == [52]


def test_curves_that_cross_too_late_do_not_support_before(experiment):
    result = run_crossing(experiment, descending, crossing(before=40))
    assert result.verdict == "not supported"
    assert "do not cross by step 40" in result.summary


def test_curves_that_stay_apart_do_not_cross(experiment):
    result = run_crossing(experiment, lambda s: 2.5)
    assert result.verdict == "not supported"
    assert result.numbers["gap a - b at the last step at all runs"] == pytest.approx(0.5)


def test_curves_within_the_noise_of_each_other_are_inconclusive(experiment):
    result = run_crossing(experiment, lambda s: 2.0 + 0.001 * math.sin(s), noise=0.05)
    assert result.verdict == "inconclusive"
    assert "never part" in result.summary
