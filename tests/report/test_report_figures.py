"""The figures' shared behaviour: thinned curves that keep their spikes, seeds as a mean with
a band, the learning rate on a second axis, and a panel per data source."""

import math

import numpy as np
from report_synthetic import Completed, make_experiment, records, sweep_spec

from report.figures.curves import CurveGroup, curves_figure, sources_figure
from report.figures.downsample import MAX_POINTS, minmax_indices
from report.figures.style import colors
from report.table import Curves

LONG = 10_000
SPIKE_AT = 7_777


def long_run(config) -> Completed:
    """10,000 steps with a spike, two sources, a schedule that depends on the lr."""
    def loss(step: int) -> float:
        return 2 + 1 / math.sqrt(step) + (5.0 if step == SPIKE_AT else 0.0) \
            + 0.01 * config.seed

    logged = records(range(1, LONG + 1), lr=lambda s: config.optimizer.lr * (1 - s / LONG),
                     train_loss=loss)
    for record in logged[::100]:
        record.update({"val_loss/code": 2.0 + 0.01 * config.seed, "val_loss/prose": 2.5})
    return Completed(final={"val_loss": 2.0}, records=logged)


def experiment(tmp_path, seeds=(0, 1, 2)):
    spec = sweep_spec({"optimizer.lr": [1e-3, 1e-2]}, claims=[], seeds=seeds)
    made = make_experiment(tmp_path, spec, long_run)
    by_lr = {}
    for run in made.plan.runs:
        by_lr.setdefault(run.config.optimizer.lr, []).append(run.id)
    groups = [CurveGroup(panel="runs", label=f"lr={lr:g}", runs=tuple(ids))
              for lr, ids in sorted(by_lr.items())]
    return groups, Curves(made.results)


def test_minmax_thinning_keeps_each_stretch_extremes():
    values = np.sin(np.linspace(0, 60, 50_000))
    values[31_337] = 9.0
    kept = minmax_indices(values)
    assert len(kept) <= MAX_POINTS and list(kept) == sorted(kept)
    assert 31_337 in kept and values[kept].min() == values.min()
    assert list(minmax_indices(values[:500])) == list(range(500))


def test_long_curves_are_thinned_to_2000_points_and_keep_the_spike(tmp_path):
    groups, curves = experiment(tmp_path)
    fig = curves_figure(groups, curves, "train_loss")
    assert all(len(trace.x) <= MAX_POINTS for trace in fig.data if trace.x is not None)
    means = [t for t in fig.data if t.name in ("lr=0.001", "lr=0.01")]
    assert len(means) == 2
    for mean in means:
        assert SPIKE_AT in list(mean.x)
        assert max(mean.y) > 7.0                # the spike, not an average of it


def test_seeds_are_a_mean_with_a_band_from_lowest_to_highest(tmp_path):
    groups, curves = experiment(tmp_path)
    fig = curves_figure(groups, curves, "train_loss")
    (band,) = [t for t in fig.data if t.name == "lr=0.001 seeds"]
    assert band.fill == "toself"
    first = list(band.x).index(1)               # the band's upper edge at step 1 ...
    assert band.y[first] == np.float32(3.02)    # ... is the highest seed: 2 + 1 + 0.02
    (mean,) = [t for t in fig.data if t.name == "lr=0.001"]
    assert mean.y[0] == np.float32(3.01)


def test_the_learning_rate_is_on_the_right_axis_once_per_schedule(tmp_path):
    groups, curves = experiment(tmp_path)
    fig = curves_figure(groups, curves, "train_loss")
    lrs = [t for t in fig.data if t.name.endswith(" lr")]
    assert [t.name for t in lrs] == ["lr=0.001 lr", "lr=0.01 lr"]     # two schedules
    assert {t.yaxis for t in lrs} == {"y2"} and fig.layout.yaxis2.overlaying == "y"
    same = [groups[0], CurveGroup(panel="runs", label="again", runs=groups[0].runs)]
    assert len([t for t in curves_figure(same, curves, "train_loss").data
                if t.name.endswith(" lr")]) == 1


def test_each_source_gets_a_panel(tmp_path):
    groups, curves = experiment(tmp_path)
    fig = sources_figure(groups, curves)
    assert [a.text for a in fig.layout.annotations] == ["code", "prose"]
    assert {t.name for t in fig.data if t.fill is None} == {"lr=0.001", "lr=0.01"}


def test_one_source_or_an_unlogged_metric_draws_nothing(tmp_path):
    spec = sweep_spec({"optimizer.lr": [1e-3]}, claims=[])
    made = make_experiment(tmp_path, spec)
    groups = [CurveGroup(panel="", label="run", runs=(made.plan.runs[0].id,))]
    curves = Curves(made.results)
    assert sources_figure(groups, curves) is None
    assert curves_figure(groups, curves, "act_rms/hidden") is None


def test_a_line_keeps_its_color_across_the_figures_of_a_page():
    # The sweep figure keys lines by value, the curves figure by "name=value" label.
    by_value = colors([128, 32, 256, 64])
    by_label = colors(["width=128", "width=32", "width=256", "width=64"])
    assert [by_value[w] for w in (32, 64, 128, 256)] == \
        [by_label[f"width={w}"] for w in (32, 64, 128, 256)]
    assert len(set(by_value.values())) == 4
