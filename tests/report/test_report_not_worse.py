"""not_worse: one arm no worse than another by more than a margin, against the seed noise."""

import math

import pytest
from report_synthetic import evaluate, sweep_spec

GRID = {"schedule.kind": ["cosine", "constant"], "model.width": [64, 128]}
CONSTANT, COSINE = {"schedule.kind": "constant"}, {"schedule.kind": "cosine"}
# Constant ends 0.05 above (worse than) cosine; seeds scatter by a std of 0.01, so a
# difference of two means over three seeds has a standard error of 0.01 * sqrt(2/3).
GAP, SEED_STD = 0.05, 0.01
TWO_ERRORS = 2 * SEED_STD * math.sqrt(2 / 3)


def loss(config) -> float:
    base = 3.0 - 0.1 * math.log2(config.model.width / 64)
    return base + (GAP if config.schedule.kind == "constant" else 0.0) \
        + SEED_STD * (config.seed - 1)


def not_worse(a=CONSTANT, b=COSINE, **args):
    return {"id": "constant-not-worse", "statement": "Constant is not much worse than cosine.",
            "check": {"kind": "not_worse", "metric": "final.val_loss", "a": a, "b": b, **args}}


def run(experiment, claim, outcome=loss):
    return evaluate(experiment(sweep_spec(GRID, [claim], (0, 1, 2)), outcome))


@pytest.mark.parametrize("margin, verdict", [
    (0.08, "supported"),                       # 0.05 worse, 0.03 inside the margin
    (0.02, "not supported"),                   # 0.05 worse, clearly past 0.02
    (GAP + TWO_ERRORS / 2, "inconclusive"),    # within the noise of the margin
])
def test_how_much_worse_is_weighed_against_the_margin_and_the_noise(experiment, margin,
                                                                     verdict):
    result = run(experiment, not_worse(margin=margin))
    assert result.verdict == verdict, result.summary
    assert result.numbers["a worse than b by, at model.width=64"] == pytest.approx(GAP)
    assert result.numbers["seed-to-seed noise (std)"] == pytest.approx(SEED_STD)


def test_better_by_any_amount_is_not_worse(experiment):
    # Unlike matches: cosine is 0.05 better than constant, far outside a 0.01 tolerance.
    result = run(experiment, not_worse(a=COSINE, b=CONSTANT, margin=0.01))
    assert result.verdict == "supported"
    assert result.numbers["a worse than b by, at model.width=128"] == pytest.approx(-GAP)
    assert result.summary.endswith("(worse by model.width=64: -0.05, model.width=128: -0.05; "
                                   "negative is better).")


def test_higher_is_better_and_relative_margins(experiment):
    # As an accuracy, constant's higher score is better: cosine is worse by 0.05 of ~3.
    accuracy = not_worse(a=COSINE, b=CONSTANT, higher_is_better=True, relative=True,
                         margin=0.01)
    assert run(experiment, accuracy).verdict == "not supported"
    assert run(experiment, {**accuracy, "check": {**accuracy["check"], "margin": 0.03}}
               ).verdict == "supported"


def test_a_diverged_run_leaves_it_inconclusive(experiment):
    result = run(experiment, not_worse(margin=0.08),
                 outcome=lambda c: "diverged" if c.model.width == 128
                 and c.schedule.kind == "constant" and c.seed == 0 else loss(c))
    assert result.verdict == "inconclusive"
    assert "1 of 12 runs diverged" in result.summary
