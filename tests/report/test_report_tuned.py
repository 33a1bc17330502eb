"""`tuned`: two arms compared each at its own best setting ("AdamW and Muon, each at its
best learning rate"), as ordering, matches and crossing do it."""

import math

import pytest
from report_synthetic import Completed, evaluate, records, sweep_spec

LRS = [1e-4, 1e-3, 1e-2, 1e-1]
GRID = {"schedule.kind": ["cosine", "constant"], "model.width": [64, 128],
        "optimizer.lr": LRS}
COSINE, CONSTANT = {"schedule.kind": "cosine"}, {"schedule.kind": "constant"}
# Each arm is a bowl in log10(lr): cosine bottoms out at 1e-3 (3.00), constant at 1e-2
# (3.05). Tuned, cosine is below by 0.05 at both widths; at one shared learning rate (1e-2)
# constant is below instead.
BEST = {"cosine": (1e-3, 3.00), "constant": (1e-2, 3.05)}


def loss(config) -> float:
    centre, bottom = BEST[config.schedule.kind]
    return bottom + 0.2 * (math.log10(config.optimizer.lr) - math.log10(centre)) ** 2 \
        + 0.001 * config.seed


def claim(kind="ordering", **args):
    arms = ({"lower": COSINE, "higher": CONSTANT} if kind == "ordering"
            else {"a": COSINE, "b": CONSTANT})
    metric = "val_loss" if kind == "crossing" else "final.val_loss"
    return {"id": "tuned", "statement": "Tuned, cosine ends below constant.",
            "check": {"kind": kind, "metric": metric, **arms, **args}}


def run(experiment, check, grid=GRID, outcome=loss, seeds=(0, 1)):
    return evaluate(experiment(sweep_spec(grid, [check], seeds), outcome))


def test_each_arm_stands_at_its_own_best_learning_rate(experiment):
    result = run(experiment, claim(tuned=["optimizer.lr"], margin=0.02))

    assert result.verdict == "supported"
    assert result.numbers["gap at model.width=64"] == pytest.approx(0.05)
    assert result.numbers["best optimizer.lr of lower at model.width=64"] == 1e-3
    assert result.numbers["best optimizer.lr of higher at model.width=128"] == 1e-2
    assert "its setting of [optimizer.lr] with the lowest mean" in result.rule
    # The same claim without tuning pairs the runs learning rate by learning rate, and at
    # 1e-2 constant is the lower one.
    assert run(experiment, claim(margin=0.02)).verdict == "not supported"


def test_matches_compares_the_tuned_arms(experiment):
    close = run(experiment, claim("matches", tuned=["optimizer.lr"], tolerance=0.06))
    assert close.verdict == "supported"
    apart = run(experiment, claim("matches", tuned=["optimizer.lr"], tolerance=0.02))
    assert apart.verdict == "not supported"


def test_a_best_at_the_edge_of_the_sweep_is_inconclusive(experiment):
    grid = {**GRID, "optimizer.lr": [1e-2, 1e-1]}   # cosine's best would be below 1e-2
    result = run(experiment, claim(tuned=["optimizer.lr"]), grid=grid)

    # Tuned no further, cosine is above constant; but it may not be at its best.
    assert result.verdict == "inconclusive"
    assert "best optimizer.lr of lower at model.width=64 (0.01) is the lowest value " \
        "swept; widen its sweep" in result.summary


def test_a_diverged_setting_is_a_result_of_the_sweep_not_the_best(experiment):
    def outcome(config):
        return "diverged" if config.optimizer.lr == 1e-1 else loss(config)

    result = run(experiment, claim(tuned=["optimizer.lr"], margin=0.02), outcome=outcome)
    assert result.verdict == "supported"
    assert result.numbers["runs diverged"] == 8


def test_a_setting_still_missing_leaves_its_point_untuned(experiment):
    def outcome(config):
        missing = config.schedule.kind == "constant" and config.optimizer.lr == 1e-4
        return None if missing else loss(config)

    result = run(experiment, claim(tuned=["optimizer.lr"], margin=0.02), outcome=outcome)
    assert result.verdict == "inconclusive"
    assert result.summary.startswith("4 of 32 runs are missing or unfinished")


def test_crossing_follows_the_tuned_curves(experiment):
    """Cosine's best run starts above constant's and ends below it: the tuned curves cross."""
    def outcome(config):
        final = loss(config)
        start = 4.0 if config.schedule.kind == "cosine" else 3.5
        return Completed(final={"val_loss": final}, records=records(
            range(0, 101, 10), lr=lambda step: config.optimizer.lr,
            val_loss=lambda step: start + (final - start) * step / 100))

    grid = {**GRID, "model.width": [64]}
    result = run(experiment, claim("crossing", tuned=["optimizer.lr"]), grid=grid,
                 outcome=outcome)
    assert result.verdict == "supported"
    assert result.numbers["best optimizer.lr of a"] == 1e-3
