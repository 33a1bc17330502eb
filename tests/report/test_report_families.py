"""Families of metrics reduced to one inside a check: `min(final.attn_entropy_min/*)` (the
lowest layer's entropy), `mean(val_loss/*)` (per-source losses, averaged at each step)."""

import pytest
from report_synthetic import Completed, evaluate, make_experiment, records, sweep_spec

from report.table import Curves


def entropies(config) -> Completed:
    """Layer 0's attention entropy grows with width, layer 1's stays at 5; only logged."""
    width = config.model.width
    logged = records(range(1, 5), lr=lambda s: 1e-3, **{
        "attn_entropy_min/0": lambda s: width / 10, "attn_entropy_min/1": lambda s: 5.0})
    return Completed(final={"val_loss": 3.0}, records=logged)


def grows(metric: str) -> dict:
    return {"id": "entropy-grows", "statement": "Attention entropy grows with width.",
            "check": {"kind": "monotone", "metric": metric, "along": "model.width",
                      "direction": "increasing"}}


@pytest.mark.parametrize("metric, verdict, values", [
    ("min(final.attn_entropy_min/*)", "supported", [1.6, 3.2, 5.0]),
    # The largest is layer 1's flat 5 until layer 0 passes it: a step that does not grow.
    ("max(final.attn_entropy_min/*)", "inconclusive", [5.0, 5.0, 6.4]),
])
def test_a_family_is_reduced_per_run_before_the_check(experiment, metric, verdict, values):
    spec = sweep_spec({"model.width": [16, 32, 64], "model.head_dim": [16]}, [grows(metric)])
    exp = experiment(spec, entropies)
    result = evaluate(exp)
    assert result.verdict == verdict, result.summary
    sweep = result.figures[0]
    (line,) = [t for t in sweep.data if t.mode == "lines+markers"]
    assert [float(y) for y in line.y] == pytest.approx(values)


def test_a_curve_family_is_reduced_at_each_step(tmp_path):
    spec = sweep_spec({"model.width": [32]}, [grows("min(final.attn_entropy_min/*)")])
    exp = make_experiment(tmp_path, spec, lambda c: Completed(
        final={"val_loss": 3.0},
        records=records(range(1, 4), lr=lambda s: 1e-3, **{
            "val_loss/code": lambda s: 4.0 - s, "val_loss/prose": lambda s: 1.0 + s})))
    curves = Curves(exp.results)
    (run,) = exp.plan.runs
    curves.derive("mean(val_loss/*)")
    curves.derive("max(val_loss/*)")
    assert list(curves[run.id]["mean(val_loss/*)"]) == [2.5, 2.5, 2.5]
    assert list(curves[run.id]["max(val_loss/*)"]) == [3.0, 3.0, 4.0]
