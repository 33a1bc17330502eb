"""Plotly figures for sweeps: a metric against one swept axis, one line per group, in panels.

The figures know nothing about checks. A check hands them `Panel`s (one per slice of the
runs, e.g. muP and SP) whose points table has the columns:

    group   the value that names a line (e.g. the width)
    x, y    the swept value and the metric's mean over seeds (NaN unless completed)
    y_std   the metric's spread over seeds (0 with one seed)
    state   completed | diverged | failed | pending
    note    hover text for points that did not complete
    best    True on the point a check picked as the optimum of its group
    runs    the run ids behind the point (one per seed)

Colors are not themed here: the site's script applies the light or dark palette.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from report.table import Curves

PALETTE = qualitative.Plotly

# How a point that has no loss to plot is drawn, at the top of its panel.
NO_LOSS_MARKERS = {"diverged": "x", "failed": "x-open", "pending": "circle-open"}
NO_LOSS_LABELS = {"diverged": "diverged", "failed": "failed", "pending": "missing or unfinished"}
KEY_COLOR = "#888888"   # legend-only entries that explain marker symbols


@dataclass(frozen=True)
class Panel:
    title: str
    points: pd.DataFrame


def sweep_figure(panels: list[Panel], *, x_title: str, y_title: str, group_name: str) -> go.Figure:
    """The metric against the swept axis (log x), one line per group, panels side by side
    with a shared y axis; the best point of each line starred, points without a loss
    marked at the top of the panel."""
    fig = _panels_figure(panels)
    colors = _group_colors(panels)
    top = _top_of_plotted(panels)
    shown: set[Any] = set()
    for col, panel in enumerate(panels, start=1):
        for group, points in panel.points.groupby("group", sort=True):
            name = _group_label(group_name, group)
            style = {"legendgroup": name, "marker_color": colors[group]}
            done = points[points.state == "completed"]
            spread = {"type": "data", "array": done.y_std, "visible": bool((done.y_std > 0).any())}
            fig.add_trace(go.Scatter(
                x=done.x, y=done.y, error_y=spread, mode="lines+markers", name=name,
                showlegend=group not in shown, line_color=colors[group],
                hovertemplate="%{x:.3g}: %{y:.4g}", **style,
            ), row=1, col=col)
            shown.add(group)
            best = points[points.best]
            fig.add_trace(go.Scatter(
                x=best.x, y=best.y, mode="markers", name=f"{name} best", showlegend=False,
                marker={"symbol": "star", "size": 16, "line": {"width": 1}},
                hovertemplate="best %{x:.3g}: %{y:.4g}", **style,
            ), row=1, col=col)
            lost = points[points.state != "completed"]
            fig.add_trace(go.Scatter(
                x=lost.x, y=[top] * len(lost), mode="markers", name=name, showlegend=False,
                marker={"symbol": [NO_LOSS_MARKERS[s] for s in lost.state], "size": 10},
                text=lost.note, hovertemplate="%{x:.3g}: %{text}", **style,
            ), row=1, col=col)
    _add_marker_key(fig, panels)
    # Powers of ten: the default SI prefixes read badly for learning rates ("100µ").
    fig.update_xaxes(type="log", exponentformat="power", title_text=x_title)
    fig.update_yaxes(title_text=y_title, row=1, col=1)
    return fig


def curves_figure(panels: list[Panel], curves: Curves, *, column: str,
                  group_name: str, x_name: str) -> go.Figure | None:
    """`column` (e.g. val_loss) against step for the runs behind each group's best point,
    one line per seed; None when no such run logged that column."""
    fig = _panels_figure(panels)
    colors = _group_colors(panels)
    shown: set[Any] = set()
    for col, panel in enumerate(panels, start=1):
        for point in panel.points[panel.points.best].itertuples():
            name = _group_label(group_name, point.group)
            for run_id in point.runs:
                curve = curves[run_id]
                if column not in curve:
                    continue
                logged = curve[curve[column].notna()]
                fig.add_trace(go.Scatter(
                    x=logged.step, y=logged[column], mode="lines", name=name,
                    legendgroup=name, showlegend=point.group not in shown,
                    line_color=colors[point.group],
                    hovertemplate=f"{x_name}={point.x:.3g}, run {run_id}<br>"
                                  "step %{x}: %{y:.4g}<extra>" + name + "</extra>",
                ), row=1, col=col)
                shown.add(point.group)
    if not shown:
        return None
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text=column, row=1, col=1)
    return fig


def _panels_figure(panels: list[Panel]) -> go.Figure:
    fig = make_subplots(rows=1, cols=len(panels), shared_yaxes=True,
                        subplot_titles=[p.title for p in panels], horizontal_spacing=0.03)
    fig.update_layout(template="none", height=440, margin={"l": 60, "r": 20, "t": 64, "b": 50},
                      hovermode="closest")
    return fig


def _group_colors(panels: list[Panel]) -> dict[Any, str]:
    # One color per group across all panels, so a width is the same color under SP and muP.
    groups = sorted(set().union(*(set(p.points.group) for p in panels)))
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}


def _top_of_plotted(panels: list[Panel]) -> float:
    """A y just above every plotted loss, where points without a loss are marked."""
    done = pd.concat([p.points[p.points.state == "completed"] for p in panels])
    low, high = (done.y - done.y_std).min(), (done.y + done.y_std).max()
    if pd.isna(high):
        return 1.0
    return float(high + 0.08 * max(high - low, abs(high) * 0.05, 1e-9))


def _add_marker_key(fig: go.Figure, panels: list[Panel]) -> None:
    """Legend entries that say what the star and the top-of-panel symbols mean."""
    states = set().union(*(set(p.points.state) for p in panels))
    keys = [("best of its line", "star")] + [
        (NO_LOSS_LABELS[s], NO_LOSS_MARKERS[s]) for s in NO_LOSS_MARKERS if s in states]
    for label, symbol in keys:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=label,
                                 marker={"symbol": symbol, "size": 10, "color": KEY_COLOR}))


def _group_label(group_name: str, value: Any) -> str:
    return f"{group_name}={value:g}" if isinstance(value, float) else f"{group_name}={value}"
