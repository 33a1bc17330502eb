"""stability_edge: the largest stable learning rate per width, its slope against width, and
its ratio between two arms, each with the sweep's resolution."""

import math

import pytest
from report_synthetic import evaluate, sweep_spec

WIDTHS = [32, 64, 128, 256, 512]
# A tenth of a decade apart, offset so that no true edge falls on a value swept.
FINE = [10 ** (-3.03 + 0.1 * k) for k in range(31)]
COARSE = [10 ** (-3 + 0.5 * k) for k in range(7)]         # half a decade apart


def largest_stable(config) -> float:
    """0.1 under muP at every width; under SP 0.1 * (32 / width); clipping gradients at 0.5
    rather than 1 triples it."""
    edge = 0.1 if config.parametrization.kind == "mup" else 0.1 * 32 / config.model.width
    return edge * (3 if config.optimizer.grad_clip == 0.5 else 1)


def outcome(config):
    if config.optimizer.lr > largest_stable(config):
        return "diverged"
    return 3.0 - 0.1 * math.log10(config.optimizer.lr)


def edge_claim(**check):
    return {"id": "stable-range", "statement": "The stable learning rates.",
            "check": {"kind": "stability_edge", "over": "optimizer.lr", "across": "model.width",
                      "slope": [-0.1, 0.1], "where": {"parametrization.kind": "mup"}, **check}}


def run(experiment, claim, lrs=FINE, grid=None, result=outcome):
    grid = grid or {"parametrization.kind": ["sp", "mup"], "model.width": WIDTHS,
                    "optimizer.lr": lrs}
    return evaluate(experiment(sweep_spec(grid, [claim]), result))


def test_an_edge_that_stays_put_under_mup(experiment):
    result = run(experiment, edge_claim())
    assert result.verdict == "supported", result.summary
    # Between 10^-1.03 (stable) and 10^-0.93 (diverged).
    assert result.numbers["edge of optimizer.lr at model.width=512"] == \
        pytest.approx(10 ** -0.98)
    assert result.numbers["last stable and first diverged at model.width=32"] == \
        "0.0933 – 0.117"
    assert result.numbers["its uncertainty (log10) at model.width=32"] == \
        pytest.approx(0.1 / math.sqrt(12))
    assert result.numbers["slope of the edge against model.width"] == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("slope, verdict", [([-1.2, -0.8], "supported"),
                                            ([-0.1, 0.1], "not supported")])
def test_an_edge_that_falls_as_one_over_width_under_sp(experiment, slope, verdict):
    result = run(experiment, edge_claim(slope=slope, where={"parametrization.kind": "sp"}))
    assert result.verdict == verdict, result.summary
    # Each edge is placed within a tenth of a decade: the slope to a few hundredths.
    slope, error = (result.numbers[f"{name}slope of the edge against model.width"]
                    for name in ("", "standard error of the "))
    assert abs(slope + 1) < 2 * error < 0.1


def test_a_grid_too_coarse_for_the_range_is_inconclusive(experiment):
    # Half a decade apart, each edge is known to 0.14 decades: too coarse for +-0.1.
    result = run(experiment, edge_claim(), lrs=COARSE)
    assert result.verdict == "inconclusive"
    assert "spaced more finely around the edge" in result.summary


def test_a_sweep_that_never_diverges_does_not_place_the_edge(experiment):
    result = run(experiment, edge_claim(), lrs=FINE[:15])
    assert result.verdict == "inconclusive"
    assert result.summary.startswith(
        "At model.width=32 no value of optimizer.lr swept diverged: the edge lies beyond 0.0234")


def test_a_missing_run_below_the_edge_leaves_it_unknown_but_not_one_above(experiment):
    def missing(config):
        if config.model.width == 64 and config.optimizer.lr in (FINE[5], FINE[-1]):
            return None
        return outcome(config)

    result = run(experiment, edge_claim(), result=missing)
    assert result.verdict == "inconclusive"
    assert result.summary.startswith(
        "At model.width=64 a run at optimizer.lr=0.00295 is missing or unfinished")
    assert "model.width=128" not in result.summary


@pytest.mark.parametrize("ratio, verdict", [([2, math.inf], "supported"),
                                            ([5, math.inf], "not supported")])
def test_tighter_clipping_widens_the_stable_range_three_times(experiment, ratio, verdict):
    claim = edge_claim(slope=None, ratio=ratio, where={"optimizer.grad_clip": 0.5},
                       versus={"optimizer.grad_clip": 1.0})
    grid = {"parametrization.kind": ["sp"], "model.width": [64, 256],
            "optimizer.grad_clip": [0.5, 1.0], "optimizer.lr": FINE}
    result = run(experiment, claim, grid=grid)
    assert result.verdict == verdict, result.summary
    assert result.numbers["edge ratio at model.width=64"] == pytest.approx(3, rel=0.2)
