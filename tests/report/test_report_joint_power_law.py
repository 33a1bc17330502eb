"""joint_power_law: Chinchilla's L = E + A N^-a + B D^-b, and a best learning rate as
c * width^a * batch^b, each exponent with a bootstrap interval, held-out runs predicted."""

import math
import random

import pytest
from report_synthetic import evaluate, sweep_spec

from report.quantities import derived

WIDTHS = [32, 64, 128, 256]
STEPS = [50, 100, 200, 400]
TRUE = {"E": 1.7, "A": 400.0, "a": 0.34, "B": 410.0, "b": 0.28}


def chinchilla(config, noise: float = 0.0) -> float:
    size = derived(config)
    loss = TRUE["E"] + TRUE["A"] * size["N"] ** -TRUE["a"] + TRUE["B"] * size["D"] ** -TRUE["b"]
    jitter = random.Random(f"{config.seed}-{config.model.width}-{config.budget.steps}")
    return loss * (1 + noise * jitter.gauss(0, 1))


def law_claim(**check):
    return {"id": "chinchilla", "statement": "Loss is E + A N^-a + B D^-b.",
            "check": {"kind": "joint_power_law", "metric": "final.val_loss",
                      "against": ["N", "D"], "law": "chinchilla",
                      "exponents": [[0.3, 0.4], [0.25, 0.32]], **check}}


def run_law(experiment, claim, widths=WIDTHS, seeds=(0,), noise=0.0):
    spec = sweep_spec({"model.width": widths, "budget.steps": STEPS, "model.head_dim": [16]},
                      [claim], seeds)
    return evaluate(experiment(spec, lambda c: chinchilla(c, noise)))


def test_chinchillas_exponents_are_recovered_and_held_out_runs_predicted(experiment):
    claim = law_claim(held_out={"model.width": 256}, tolerance=0.01)
    result = run_law(experiment, claim)
    assert result.verdict == "supported", result.summary
    assert result.numbers["exponent a (of N)"] == pytest.approx(TRUE["a"], abs=0.01)
    assert result.numbers["exponent b (of D)"] == pytest.approx(TRUE["b"], abs=0.01)
    assert result.numbers["coefficient E"] == pytest.approx(TRUE["E"], rel=0.05)
    assert result.numbers["points fitted"] == 12
    assert result.numbers["held-out points predicted"] == 4
    assert result.numbers["mean relative error on the held-out points"] < 1e-3


def test_an_exponent_outside_its_range_is_not_supported(experiment):
    result = run_law(experiment, law_claim(exponents=[[0.5, 0.7], [0.25, 0.32]]))
    assert result.verdict == "not supported"
    assert "a = 0.34" in result.summary


def test_noisy_seeds_widen_the_intervals_past_a_tight_range(experiment):
    result = run_law(experiment, law_claim(exponents=[[0.33, 0.35], [0.27, 0.29]]),
                     seeds=(0, 1, 2), noise=0.01)
    assert result.verdict == "inconclusive", result.summary
    low, high = (result.numbers[f"a, 95% interval {end}"] for end in ("low", "high"))
    assert low < 0.33 or high > 0.35
    assert "straddles" in result.summary


def test_too_few_values_to_fit_is_inconclusive(experiment):
    result = run_law(experiment, law_claim(), widths=[32, 64])
    assert result.verdict == "inconclusive"
    assert result.summary.startswith("The chinchilla law needs 3 values of each of N and D")


LRS = [10 ** (-4 + 0.25 * k) for k in range(13)]


def best_lr_bowl(config) -> float:
    """The best learning rate goes as 0.02 * (width / 32)^-0.5 * (batch / 32)^0.5."""
    best = 0.02 * (config.model.width / 32) ** -0.5 * (config.data.batch_size / 32) ** 0.5
    return 2 + 0.5 * (math.log10(config.optimizer.lr) - math.log10(best)) ** 2


def test_the_optimum_as_a_product_law_of_width_and_batch(experiment):
    claim = {"id": "lr-law", "statement": "The best LR goes as width^-0.5 batch^0.5.",
             "check": {"kind": "joint_power_law", "metric": "final.val_loss",
                       "over": "optimizer.lr", "against": ["model.width", "data.batch_size"],
                       "exponents": [[-0.55, -0.45], [0.45, 0.55]]}}
    spec = sweep_spec({"model.width": [32, 64, 128], "data.batch_size": [16, 32, 64],
                       "optimizer.lr": LRS}, [claim])
    result = evaluate(experiment(spec, best_lr_bowl))
    assert result.verdict == "supported", result.summary
    assert result.numbers["exponent a (of model.width)"] == pytest.approx(-0.5, abs=1e-6)
    assert result.numbers["exponent b (of data.batch_size)"] == pytest.approx(0.5, abs=1e-6)
    assert result.numbers["coefficient c"] == pytest.approx(0.02 * 32 ** 0.5 / 32 ** 0.5)
    assert result.numbers["points fitted"] == 9
