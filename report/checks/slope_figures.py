"""The figures of a slope check: the measured values in log-log with the fitted lines (beside
the other slices of the runs, SP beside muP), coord-check panels over training when the
metric is logged per step, and the curves behind the points."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from compiler.language.check_args import Slope
from report.checks.optima import sweep_points
from report.checks.optima_figures import optima_points
from report.checks.points import points
from report.checks.selection import (
    conditions,
    line_keys,
    matching,
    naming,
    other_slices,
    short,
)
from report.figures.coord import coord_figure
from report.figures.curves import CurveGroup, curves_figure, sources_figure
from report.figures.style import colors, compact, label
from report.figures.sweep import Panel, sweep_figure
from report.table import Curves

if TYPE_CHECKING:
    from report.checks.slope import Fitted


def slope_figures(args: Slope, table: pd.DataFrame, checked: pd.DataFrame,
                  fits: list[Fitted], curves: Curves) -> list[go.Figure]:
    if not (checked.status == "completed").any():
        return []
    metrics = sorted({f.metric for f in fits}) if not args.over else [args.metric]
    figures = _optimum_figures(args, args.over, checked, fits, curves) if args.over \
        else _value_figures(args, table, checked, metrics, fits, curves)
    return [fig for fig in figures if fig is not None]


def _value_figures(args: Slope, table: pd.DataFrame, checked: pd.DataFrame,
                   metrics: list[str], fits: list[Fitted],
                   curves: Curves) -> list[go.Figure | None]:
    slices = [(conditions(args.where) or "all runs", checked)]
    slices += [(conditions(other), matching(table, other))
               for other in other_slices(table, args.where)]
    panels = [Panel(title=title, points=_metric_points(runs, metrics, args.against))
              for title, runs in slices]
    y_title = metrics[0] if len(metrics) == 1 else args.metric
    fig = sweep_figure(panels, x_title=args.against, y_title=y_title, y_log=True)
    _add_fitted_lines(fig, fits, colors(g for p in panels for g in p.points.group))
    widths = {x: tuple(runs.id) for x, runs in checked.groupby(args.against)}
    columns = [m.removeprefix("final.") for m in metrics]
    if len(metrics) > 1:
        return [fig, coord_figure(columns, widths, curves, x_title=args.against)]
    groups = [CurveGroup(panel=slices[0][0], label=label(short(args.against), x), runs=runs)
              for x, runs in widths.items()]
    return [fig, curves_figure(groups, curves, columns[0])]


def _metric_points(runs: pd.DataFrame, metrics: list[str], against: str) -> pd.DataFrame:
    """Every metric's points along `against`, one line per metric and per other config."""
    keys = line_keys(runs, (against,))
    names = naming(runs, keys)
    frames = []
    for metric in metrics:
        frame = points(runs, [*keys, against], metric)
        frame["group"] = [", ".join(part for part in (metric.removeprefix("final."),
                                                      conditions({k: row[k] for k in names}))
                                    if part)
                          for row in frame.to_dict("records")]
        frames.append(frame.assign(x=frame[against]))
    return pd.concat(frames, ignore_index=True)


def _optimum_figures(args: Slope, over: str, checked: pd.DataFrame, fits: list[Fitted],
                     curves: Curves) -> list[go.Figure | None]:
    """The sweep whose optima are fitted, then the optima against the axis with the fit."""
    sweep = sweep_points(checked, group=args.against, x=over, metric=args.metric)
    group_name = short(args.against)
    figures: list[go.Figure | None] = [
        sweep_figure([Panel(title=conditions(args.where) or "all runs", points=sweep)],
                     x_title=over, y_title=args.metric, group_name=group_name)]
    if fits:
        best = pd.concat([optima_points(f.name, dict(zip(f.x, f.optima.values(), strict=True)))
                          for f in fits])
        fig = sweep_figure([Panel(title=f"best {over}", points=best)],
                           x_title=args.against, y_title=f"best {over}", y_log=True)
        _add_fitted_lines(fig, fits, colors(best.group))
        figures.append(fig)
    groups = [CurveGroup(panel="best runs", label=label(group_name, point.group),
                         runs=point.runs) for point in sweep[sweep.best].itertuples()]
    column = args.metric.removeprefix("final.")
    return [*figures, curves_figure(groups, curves, column), sources_figure(groups, curves)]


def _add_fitted_lines(fig: go.Figure, fits: list[Fitted], palette: dict) -> None:
    for fitted in fits:
        x = np.geomspace(fitted.x.min(), fitted.x.max(), 24)
        fig.add_trace(go.Scatter(
            x=x, y=compact(10 ** fitted.intercept * x ** fitted.slope), mode="lines",
            name=f"{fitted.name} fit", legendgroup=fitted.name, showlegend=False,
            line={"color": palette.get(fitted.name), "dash": "dash", "width": 1},
            hovertemplate=f"slope {fitted.slope:.3g}<extra>{fitted.name} fit</extra>",
        ), row=1, col=1)
