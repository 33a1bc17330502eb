"""slope: coord checks (a scale per role against width) and scaling rules (the best learning
rate against batch size)."""

import math

import pytest
from report_synthetic import Completed, evaluate, records, sweep_spec

from report.errors import ReportError

WIDTHS = [64, 128, 256, 512]
ROLES = {"embedding": 0.0, "hidden": 0.5, "readout": 0.25}   # their growth exponent under SP


def activation(config, role: str, step: int | None = None, seed_slope: float = 0.0) -> float:
    """Flat in width under muP; under SP the role's scale grows as width^exponent. A seed
    tilts every slope by seed_slope * (seed - 1)."""
    exponent = ROLES[role] if config.parametrization.kind == "sp" else 0.0
    exponent += seed_slope * (config.seed - 1)
    early = 1.0 if step is None else 1 - 0.5 / step
    return early * (config.model.width / 64) ** exponent


def coord_run(config, seed_slope: float = 0.0, summarised: bool = True) -> Completed:
    final = {f"act_rms/{role}": activation(config, role, seed_slope=seed_slope)
             for role in ROLES} if summarised else {}
    curves = {f"act_rms/{role}": (lambda s, role=role: activation(config, role, s, seed_slope))
              for role in ROLES}
    return Completed(final={"val_loss": 3.0, **final},
                     records=records(range(1, 9), lr=lambda s: 1e-3, **curves))


def coord_check(**args):
    return {"id": "coord-check", "statement": "Under muP activations do not grow with width.",
            "check": {"kind": "slope", "metric": "final.act_rms/*", "against": "model.width",
                      "within": [-0.1, 0.1], "where": {"parametrization.kind": "mup"}, **args}}


def run_coord(experiment, claim, seeds=(0, 1), seed_slope=0.0, summarised=True):
    spec = sweep_spec({"parametrization.kind": ["sp", "mup"], "model.width": WIDTHS},
                      [claim], seeds=seeds)
    return evaluate(experiment(spec, lambda c: coord_run(c, seed_slope, summarised)))


def test_flat_coordinates_under_mup_pass_the_coord_check(experiment):
    result = run_coord(experiment, coord_check())
    assert result.verdict == "supported"
    for role in ROLES:
        assert result.numbers[f"slope of act_rms/{role}"] == pytest.approx(0.0, abs=1e-9)
    assert result.summary.startswith("Every slope against model.width lies within [-0.1, 0.1]")


def test_scales_only_logged_during_training_are_read_from_the_curves(experiment):
    # The runtime logs per-role scales at diagnostic steps and leaves them out of the
    # summary: final.act_rms/<role> is then each run's last logged value (step 8 here).
    result = run_coord(experiment, coord_check(where={"parametrization.kind": "sp"}),
                       summarised=False)
    assert result.verdict == "not supported"
    assert result.numbers["slope of act_rms/hidden"] == pytest.approx(0.5)


def test_growing_coordinates_under_sp_fail_it(experiment):
    result = run_coord(experiment, coord_check(where={"parametrization.kind": "sp"}))
    assert result.verdict == "not supported"
    assert result.numbers["slope of act_rms/hidden"] == pytest.approx(0.5)
    assert "2 of 3 slopes against model.width lie outside [-0.1, 0.1]" in result.summary


def test_seed_to_seed_spread_astride_an_edge_is_inconclusive(experiment):
    # Seeds 0, 1, 2 have slopes -0.12, 0, 0.12: the standard error 0.07 reaches both edges.
    result = run_coord(experiment, coord_check(), seeds=(0, 1, 2), seed_slope=0.12)
    assert result.verdict == "inconclusive"
    assert result.numbers["standard error of the slope of act_rms/hidden"] == \
        pytest.approx(0.12 / math.sqrt(3))


def test_coord_check_figures_put_slices_side_by_side_and_panel_the_steps(experiment):
    values, coord = run_coord(experiment, coord_check()).figures
    assert [a.text for a in values.layout.annotations] == [
        "parametrization.kind=mup", "parametrization.kind=sp"]
    assert values.layout.yaxis.type == "log" and values.layout.xaxis.type == "log"
    fitted = [t for t in values.data if t.name.endswith(" fit")]
    assert sorted(t.name for t in fitted) == [f"act_rms/{r} fit" for r in sorted(ROLES)]
    assert [a.text for a in coord.layout.annotations] == ["step 1", "step 3", "step 6", "step 8"]
    assert {t.name for t in coord.data} == {f"act_rms/{r}" for r in ROLES}


def test_a_prefix_that_matches_no_metric_is_an_error(experiment):
    with pytest.raises(ReportError, match="no run reports a metric 'final.upd_rms/\\*'"):
        run_coord(experiment, coord_check(metric="final.upd_rms/*"))


BATCHES = [8, 32, 128]
LRS = [1e-3 * 2 ** k for k in range(-1, 6)]


def bowl(config) -> float:
    """The best learning rate grows as the square root of the batch size."""
    best = 1e-3 * math.sqrt(config.data.batch_size / 8)
    return 2.0 + 0.3 * (math.log10(config.optimizer.lr) - math.log10(best)) ** 2


def lr_rule(**args):
    return {"id": "sqrt-scaling", "statement": "The best LR grows as sqrt(batch size).",
            "check": {"kind": "slope", "metric": "final.val_loss", "over": "optimizer.lr",
                      "against": "data.batch_size", "within": [0.4, 0.6], **args}}


def run_rule(experiment, claim, lrs=LRS, outcome=bowl):
    spec = sweep_spec({"data.batch_size": BATCHES, "optimizer.lr": lrs}, [claim])
    return evaluate(experiment(spec, outcome))


def test_the_slope_of_the_best_learning_rate(experiment):
    result = run_rule(experiment, lr_rule())
    assert result.verdict == "supported"
    assert result.numbers["slope of best optimizer.lr"] == pytest.approx(0.5)
    _sweep, optima, _ = result.figures
    assert optima.layout.xaxis.title.text == "data.batch_size"
    assert [list(t.y) for t in optima.data if t.name == "best optimizer.lr"] == [
        pytest.approx([1e-3, 2e-3, 4e-3])]
    assert run_rule(experiment, lr_rule(within=[0.9, 1.1])).verdict == "not supported"


def test_a_best_learning_rate_at_the_edge_is_inconclusive(experiment):
    result = run_rule(experiment, lr_rule(), lrs=LRS[1:])
    assert result.verdict == "inconclusive"
    assert result.summary.startswith(
        "At data.batch_size=8 the best optimizer.lr (0.001) is the lowest value swept")
