import pytest
from report_synthetic import LRS, WIDTHS, evaluate, mup_claim, transfer_loss, transfer_spec

from report.checks import CHECKS
from report.errors import ReportError

MUP_RUNS = len(WIDTHS) * len(LRS)


def best(result, width: int) -> float:
    return result.numbers[f"best optimizer.lr at model.width={width}"]


def test_registry_names_the_check():
    assert CHECKS["argmin_stable"].__name__ == "argmin_stable"


def test_optimum_that_stays_put_is_supported(experiment):
    result = evaluate(experiment())

    assert result.verdict == "supported"
    assert [best(result, w) for w in WIDTHS] == [1e-2, 1e-2, 1e-2]
    assert result.numbers["spread of the best (log10)"] == 0
    assert result.numbers["tolerance (log10)"] == 0.5
    assert result.numbers["runs completed"] == MUP_RUNS
    assert "within 0.00 decades" in result.summary
    assert "0.01 at model.width=64" in result.summary
    assert len(result.runs) == MUP_RUNS


def test_optimum_that_moves_is_not_supported(experiment):
    spec = transfer_spec(claims=[mup_claim(where={"parametrization.kind": "sp"})])
    result = evaluate(experiment(spec))

    assert result.verdict == "not supported"
    assert [best(result, w) for w in WIDTHS] == [1e-2, 3e-3, 1e-3]
    assert result.numbers["spread of the best (log10)"] == pytest.approx(1.0)
    assert "moves 1.00 decades" in result.summary


def test_spread_equal_to_the_tolerance_up_to_rounding_is_supported(experiment):
    # Half a decade written to 12 digits: log10 puts the optima 0.5 + 1e-12 apart.
    half_decade = 3.16227766016e-3
    lrs = [1e-3, half_decade, 1e-2, 3e-2]
    spec = transfer_spec(grid={"model.width": [64, 256], "optimizer.lr": lrs,
                               "parametrization.kind": ["sp"]},
                         claims=[mup_claim(where={"parametrization.kind": "sp"})])
    result = evaluate(experiment(spec))
    assert [best(result, 64), best(result, 256)] == [1e-2, half_decade]
    assert result.numbers["spread of the best (log10)"] > 0.5
    assert result.verdict == "supported"


def test_optimum_at_the_edge_of_the_sweep_is_inconclusive(experiment):
    lrs = [lr for lr in LRS if lr <= 1e-2]
    spec = transfer_spec(grid={"model.width": WIDTHS, "optimizer.lr": lrs,
                               "parametrization.kind": ["mup"]})
    result = evaluate(experiment(spec))

    assert result.verdict == "inconclusive"
    assert "the highest value swept" in result.summary
    assert "may lie outside" in result.summary
    assert best(result, 64) == 1e-2


def test_diverged_neighbour_brackets_the_optimum(experiment):
    spec = transfer_spec(grid={"model.width": WIDTHS, "optimizer.lr": [1e-3, 3e-3, 1e-2, 3e-2],
                               "parametrization.kind": ["mup"]})
    result = evaluate(experiment(spec, lambda c: "diverged" if c.optimizer.lr == 3e-2
                              else transfer_loss(c)))

    assert result.verdict == "supported"
    assert result.numbers["runs diverged"] == len(WIDTHS)


def test_missing_and_unfinished_runs_make_it_inconclusive(experiment):
    def outcome(config):
        if config.parametrization.kind == "mup" and config.optimizer.lr == 1e-4:
            return None if config.model.width == 64 else "unfinished"
        return transfer_loss(config)

    result = evaluate(experiment(outcome=outcome))

    assert result.verdict == "inconclusive"
    assert result.summary.startswith(f"3 of {MUP_RUNS} runs are missing or unfinished")
    assert result.numbers["runs missing or unfinished"] == 3
    assert "So far the best optimizer.lr spans 0.00 decades" in result.summary
    assert best(result, 1024) == 1e-2


def test_failed_runs_make_it_inconclusive(experiment):
    result = evaluate(experiment(outcome=lambda c: "failed" if c.model.width == 1024
                              and c.optimizer.lr == 1e-1 else transfer_loss(c)))

    assert result.verdict == "inconclusive"
    assert f"1 of {MUP_RUNS} runs failed" in result.summary
    assert result.numbers["runs failed"] == 1


def test_too_few_completed_points_is_inconclusive(experiment):
    # Only width 64 keeps more than one completed learning rate.
    result = evaluate(experiment(outcome=lambda c: "diverged" if c.model.width > 64
                              and c.optimizer.lr != 1e-2 else transfer_loss(c)))

    assert result.verdict == "inconclusive"
    assert result.summary.startswith("Only 1 of 3 model.width values have two or more completed")
    assert result.numbers["model.width values with two or more completed points"] == 1
    assert "spread of the best (log10)" not in result.numbers


def test_seeds_are_averaged_and_a_diverged_seed_rules_a_point_out(experiment):
    def outcome(config):
        loss = transfer_loss(config)
        if config.model.width == 64 and config.optimizer.lr == 3e-2:
            return loss + (0.5 if config.seed == 0 else -0.3)   # seed 1 alone prefers 3e-2
        if config.model.width == 256 and config.optimizer.lr == 1e-2 and config.seed == 1:
            return "diverged"
        return loss

    spec = transfer_spec(seeds=(0, 1))
    result = evaluate(experiment(spec, outcome))

    assert best(result, 64) == 1e-2
    assert best(result, 256) == 3e-2      # the nearer neighbour of the ruled-out 1e-2
    assert result.verdict == "supported"
    assert result.numbers["runs"] == 2 * MUP_RUNS


def test_sweep_figure_shows_the_checked_runs_beside_the_others(experiment):
    exp = experiment(outcome=lambda c: "diverged" if c.parametrization.kind == "sp"
                     and c.model.width == 1024 and c.optimizer.lr == 1e-1 else transfer_loss(c))
    sweep, curves = evaluate(exp).figures

    titles = [a.text for a in sweep.layout.annotations]
    assert titles == ["parametrization.kind=mup", "parametrization.kind=sp"]
    assert sweep.layout.yaxis2.matches == "y"
    assert sweep.layout.xaxis.type == "log"
    lines = [t for t in sweep.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == [f"width={w}" for w in WIDTHS] * 2
    stars = [t for t in sweep.data if t.marker.symbol == "star" and t.xaxis == "x"]
    assert [list(t.x) for t in stars if len(t.x)] == [[1e-2]] * 3
    diverged = [t for t in sweep.data if t.xaxis == "x2" and len(t.x) and t.text is not None]
    assert [list(t.x) for t in diverged] == [[1e-1]]
    assert "diverged at step 17" in diverged[0].text[0]

    losses = [t for t in curves.data if t.name in {f"width={w}" for w in WIDTHS}]
    assert len(losses) == 2 * len(WIDTHS)    # each panel: the run of each width's optimum
    assert all(list(t.x) == [0, 20, 40] for t in losses)
    right = {key.replace("axis", "") for key in curves.layout.to_plotly_json()
             if key.startswith("yaxis") and curves.layout[key].overlaying}
    lrs = [t for t in curves.data if t.name.endswith(" lr")]
    assert lrs and all(t.yaxis in right for t in lrs)
    assert {t.yaxis for t in losses}.isdisjoint(right)


def test_nothing_completed_means_no_figures(experiment):
    result = evaluate(experiment(outcome=lambda c: None))
    assert result.verdict == "inconclusive"
    assert result.figures == []


@pytest.mark.parametrize("args, message", [
    ({"where": {"data.mix.web": 1.0}}, "'data.mix.web'"),
    ({"over": "model"}, "'model'"),
    ({"metric": "final.vall_loss"}, "final.train_loss, final.val_loss"),
    ({"where": {"parametrization.kind": "mu"}}, "no planned run has parametrization.kind=mu"),
    ({"over": "parametrization.kind", "where": {}}, "must take positive numbers"),
])
def test_arguments_that_do_not_fit_the_runs_are_clear_errors(experiment, args, message):
    exp = experiment(transfer_spec(claims=[mup_claim(**args)]))
    with pytest.raises(ReportError, match=message.replace(".", r"\.")):
        evaluate(exp)


def test_rule_states_the_tolerance_and_the_filter(experiment):
    rule = evaluate(experiment()).rule
    assert "parametrization.kind=mup" in rule
    assert "at most 0.5 in log10" in rule
