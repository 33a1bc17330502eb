"""ordering and matches: two arms compared point by point against the seed-to-seed noise."""

import math

import pytest
from report_synthetic import evaluate, sweep_spec

from report.errors import ReportError

GRID = {"schedule.kind": ["cosine", "constant"], "model.width": [64, 128]}
COSINE, CONSTANT = {"schedule.kind": "cosine"}, {"schedule.kind": "constant"}
# Cosine ends 0.05 below constant at both widths; seeds scatter by a std of 0.01, so a
# difference of two means over three seeds has a standard error of 0.01 * sqrt(2/3).
GAP, SEED_STD = 0.05, 0.01
TWO_ERRORS = 2 * SEED_STD * math.sqrt(2 / 3)


def loss(config) -> float:
    base = 3.0 - 0.1 * math.log2(config.model.width / 64)
    return base + (GAP if config.schedule.kind == "constant" else 0.0) \
        + SEED_STD * (config.seed - 1)


def ordering(**args):
    return {"id": "cosine-below", "statement": "Cosine ends below constant.",
            "check": {"kind": "ordering", "metric": "final.val_loss", "lower": COSINE,
                      "higher": CONSTANT, **args}}


def matches(**args):
    return {"id": "cosine-matches", "statement": "Cosine matches constant.",
            "check": {"kind": "matches", "metric": "final.val_loss", "a": COSINE,
                      "b": CONSTANT, **args}}


def run(experiment, claim, seeds=(0, 1, 2), outcome=loss):
    return evaluate(experiment(sweep_spec(GRID, [claim], seeds), outcome))


@pytest.mark.parametrize("margin, verdict", [
    (0.02, "supported"),                       # 0.05 - 0.02 clears two standard errors
    (0.1, "not supported"),                    # 0.05 is clearly short of 0.1
    (GAP - TWO_ERRORS / 2, "inconclusive"),    # within the noise of the margin
])
def test_ordering_weighs_the_gap_against_the_seed_noise(experiment, margin, verdict):
    result = run(experiment, ordering(margin=margin))

    assert result.verdict == verdict
    assert result.numbers["gap at model.width=64"] == pytest.approx(GAP)
    assert result.numbers["gap at model.width=128"] == pytest.approx(GAP)
    assert result.numbers["seed-to-seed noise (std)"] == pytest.approx(SEED_STD)
    assert len(result.runs) == 12


def test_ordering_summary_names_the_arms_and_the_gaps(experiment):
    result = run(experiment, ordering(margin=0.02))
    assert result.summary == ("schedule.kind=cosine is below schedule.kind=constant on "
                              "final.val_loss by more than 0.02 at all 2 points (gap "
                              "model.width=64: 0.05, model.width=128: 0.05).")
    assert "within" in run(experiment, ordering(margin=0.045)).summary


def test_with_one_seed_the_sign_decides(experiment):
    assert run(experiment, ordering(margin=0.049), seeds=(1,)).verdict == "supported"
    one_seed = run(experiment, ordering(margin=0.051), seeds=(1,))
    assert one_seed.verdict == "not supported"
    assert one_seed.numbers["seed-to-seed noise (std)"] == "one seed: not measured"


@pytest.mark.parametrize("ending", ["diverged", "failed", None])
def test_a_run_without_a_result_makes_ordering_inconclusive(experiment, ending):
    def outcome(config):
        lost = config.schedule.kind == "cosine" and config.model.width == 128 \
            and config.seed == 0
        return ending if lost else loss(config)

    result = run(experiment, ordering(margin=0.02), outcome=outcome)
    assert result.verdict == "inconclusive"
    assert result.summary.startswith("1 of 12 runs")
    assert "So far the gap is model.width=64: 0.05" in result.summary


@pytest.mark.parametrize("tolerance, verdict", [
    (0.1, "supported"),                        # 0.05 + two standard errors < 0.1
    (0.02, "not supported"),                   # 0.05 - two standard errors > 0.02
    (GAP + TWO_ERRORS / 2, "inconclusive"),    # the noise reaches past the tolerance
])
def test_matches_weighs_the_gap_against_the_tolerance_and_noise(experiment, tolerance, verdict):
    result = run(experiment, matches(tolerance=tolerance))
    assert result.verdict == verdict
    assert result.numbers["gap at model.width=128"] == pytest.approx(GAP)


def test_relative_tolerance_is_a_fraction_of_b(experiment):
    # constant ends at 3.05 at width 64: a gap of 0.05 is 1.6% of it.
    supported = run(experiment, matches(tolerance=0.03, relative=True))
    assert supported.verdict == "supported"
    assert supported.numbers["gap at model.width=64"] == pytest.approx(GAP / 3.05)
    assert run(experiment, matches(tolerance=0.005, relative=True)).verdict == "not supported"


def test_arms_vary_alike_to_pair(experiment):
    grid = {"schedule.kind": ["cosine", "constant"], "model.width": [64, 128],
            "optimizer.lr": [1e-3, 1e-2]}
    result = evaluate(experiment(sweep_spec(grid, [ordering(margin=0.02)]), loss))
    assert len([k for k in result.numbers if k.startswith("gap at")]) == 4
    assert "gap at model.width=64, optimizer.lr=0.001" in result.numbers


def test_comparison_figures_show_both_arms(experiment):
    points, curves = run(experiment, ordering(margin=0.02)).figures
    names = {t.name for t in points.data if t.mode == "lines+markers"}
    assert names == {"schedule.kind=cosine", "schedule.kind=constant"}
    assert points.layout.xaxis.title.text == "model.width"
    panels = [a.text for a in curves.layout.annotations]
    assert panels == ["model.width=64", "model.width=128"]
    bands = [t for t in curves.data if t.fill == "toself"]
    assert len(bands) == 4        # three seeds: each arm in each panel has a band


@pytest.mark.parametrize("claim, message", [
    (ordering(lower={"schedule.kind": "wsd"}), "no planned run has schedule.kind=wsd"),
    (ordering(metric="final.bpb"), "no run reports the metric 'final.bpb'"),
    (matches(tolerance=0.1, a={"data.mix.web": 1.0}), "'data.mix.web'"),
])
def test_arguments_that_do_not_fit_the_runs_are_clear_errors(experiment, claim, message):
    with pytest.raises(ReportError, match=message):
        run(experiment, claim)


def per_seed_gap(config) -> float:
    # Seeds move both arms alike (0.01 per seed), and the gap itself varies a little by
    # seed: 0.015, 0.016, 0.017, the sort of gap branches of one run per seed show.
    gap = 0.015 + 0.001 * config.seed if config.schedule.kind == "constant" else 0.0
    return 3.0 + gap + SEED_STD * config.seed


@pytest.mark.parametrize("check", [ordering, matches])
def test_paired_by_seed_the_gap_is_weighed_against_the_spread_of_its_differences(
        experiment, check):
    # Unpaired, the seeds' spread (std 0.01) swamps a gap of 0.016; paired, each seed's
    # difference is 0.015-0.017, std 0.001, and the gap clears two standard errors easily.
    args = {"tolerance": 0.005} if check is matches else {}
    unpaired = run(experiment, check(**args), outcome=per_seed_gap)
    paired = run(experiment, check(paired=True, **args), outcome=per_seed_gap)
    assert unpaired.verdict == "inconclusive"
    assert paired.verdict == ("supported" if check is ordering else "not supported")
    assert paired.numbers["std of the per-seed differences"] == pytest.approx(0.001)
    assert unpaired.numbers["seed-to-seed noise (std)"] == pytest.approx(SEED_STD, rel=0.1)


def test_paired_needs_the_same_seeds_on_both_sides(experiment):
    # Cosine's runs of seeds 0 and 1 against constant's of 0, 1 and 2: no seed-by-seed pairs.
    claim = ordering(paired=True, lower={**COSINE, "seed": {"one_of": [0, 1]}})
    result = run(experiment, claim, outcome=per_seed_gap)
    assert result.verdict == "inconclusive"
    assert "Paired by seed, but the two sides have different seeds at model.width=64" in \
        result.summary
