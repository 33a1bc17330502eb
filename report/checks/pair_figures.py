"""The figures of a two-arm comparison: the metric per point for each arm, and the curves of
each pair side by side (a panel per pair, the two arms in each)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from report.checks.pairs import Arm, Comparison
from report.checks.selection import fmt
from report.figures.curves import CurveGroup, curves_figure, sources_figure
from report.figures.style import KEY_COLOR
from report.figures.sweep import Panel, sweep_figure
from report.table import Curves

# Curves of more pairs than this would make panels too narrow to read: an even spread of
# the pairs is drawn.
MAX_PANELS = 4


def pair_figures(comparison: Comparison, curves: Curves, metric: str,
                 marks: dict[str, tuple[float, float]] | None = None) -> list[go.Figure]:
    """`metric` is a final metric (final.val_loss) or a curve (val_loss); `marks` puts a
    diamond at (step, value) in the curves panel of the pair with that label."""
    if comparison.pairs.empty:
        return []
    figures = []
    column = metric.removeprefix("final.")
    if metric.startswith("final."):
        figures.append(points_figure(comparison, metric))
    groups = curve_groups(comparison)
    drawn = curves_figure(groups, curves, column)
    if drawn is not None and marks:
        _mark(drawn, [g.panel for g in groups], marks)
    figures += [drawn, sources_figure(groups, curves)]
    return [fig for fig in figures if fig is not None]


def points_figure(comparison: Comparison, metric: str) -> go.Figure:
    """Each arm's metric against the first value the pairs vary in (or by arm when they
    vary in none), one line per arm and per value of the others."""
    axis = comparison.keys[0] if comparison.keys else None
    frames = [_arm_points(arm, axis) for arm in (comparison.first, comparison.second)]
    return sweep_figure([Panel(title="", points=pd.concat(frames, ignore_index=True))],
                        x_title=axis or "", y_title=metric)


def curve_groups(comparison: Comparison) -> list[CurveGroup]:
    rows = comparison.rows()
    picked = sorted(set(np.linspace(0, len(rows) - 1, min(len(rows), MAX_PANELS)).round()
                        .astype(int)))
    return [CurveGroup(panel=comparison.pair_label(rows[i]), label=arm.title,
                       runs=rows[i][f"runs_{n}"])
            for i in picked for n, arm in ((1, comparison.first), (2, comparison.second))]


def _arm_points(arm: Arm, axis: str | None) -> pd.DataFrame:
    frame = arm.points.copy()
    others = [key for key in arm.keys if key != axis]
    frame["x"] = frame[axis] if axis else arm.title
    frame["group"] = [", ".join([arm.title, *(f"{k}={fmt(row[k])}" for k in others)])
                      for row in frame.to_dict("records")]
    return frame


def _mark(fig: go.Figure, panels: list[str], marks: dict[str, tuple[float, float]]) -> None:
    columns = list(dict.fromkeys(panels))
    shown = False
    for panel, (step, value) in marks.items():
        if panel in columns:
            fig.add_trace(go.Scatter(
                x=[step], y=[value], mode="markers", name="crossing", legendgroup="crossing",
                showlegend=not shown, marker={"symbol": "diamond", "size": 12,
                                              "color": KEY_COLOR},
                hovertemplate="crosses at step %{x}<extra></extra>",
            ), row=1, col=columns.index(panel) + 1, secondary_y=False)
            shown = True
