"""A final metric against a swept hyperparameter: one line per group, one panel per slice.

The figure knows nothing about checks. A check hands it `Panel`s (one per slice of the
runs, e.g. muP and SP) whose points table (report.checks.points) has the columns:

    group   the value that names a line (a width; a metric, in a coord check)
    x       the swept value
    y       the metric's mean over seeds (NaN unless completed)
    y_std   the metric's spread over seeds (0 with one seed)
    state   completed | diverged | failed | pending
    note    hover text for points that did not complete
    best    (optional) True on the point a check picked as the optimum of its group
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from report.figures.style import KEY_COLOR, axis_type, colors, compact, label, panels_figure

# How a point that has no value to plot is drawn, at the top of its panel.
NO_VALUE_MARKERS = {"diverged": "x", "failed": "x-open", "pending": "circle-open"}
NO_VALUE_LABELS = {"diverged": "diverged", "failed": "failed",
                   "pending": "missing or unfinished"}


@dataclass(frozen=True)
class Panel:
    title: str
    points: pd.DataFrame


def sweep_figure(panels: list[Panel], *, x_title: str, y_title: str, group_name: str = "",
                 y_log: bool = False) -> go.Figure:
    """The metric against the swept axis (log when it spans a factor of four), one line per
    group, panels side by side with a shared y axis; each line's best point starred, points
    without a value marked at the top of their panel."""
    fig = panels_figure([p.title for p in panels])
    palette = colors(g for p in panels for g in p.points.group)
    top = _top_of_plotted(panels, y_log)
    shown: set[Any] = set()
    for col, panel in enumerate(panels, start=1):
        for group, points in panel.points.groupby("group", sort=True):
            name = label(group_name, group) if group_name else str(group)
            style = {"legendgroup": name, "marker_color": palette[group]}
            done = points[points.state == "completed"]
            spread = {"type": "data", "array": compact(done.y_std),
                      "visible": bool((done.y_std > 0).any())}
            fig.add_trace(go.Scatter(
                x=done.x, y=compact(done.y), error_y=spread, mode="lines+markers", name=name,
                showlegend=group not in shown, line_color=palette[group],
                hovertemplate="%{x:.3g}: %{y:.4g}", **style,
            ), row=1, col=col)
            shown.add(group)
            if "best" in points:
                best = points[points.best]
                fig.add_trace(go.Scatter(
                    x=best.x, y=compact(best.y), mode="markers", name=f"{name} best",
                    showlegend=False, marker={"symbol": "star", "size": 16, "line": {"width": 1}},
                    hovertemplate="best %{x:.3g}: %{y:.4g}", **style,
                ), row=1, col=col)
            lost = points[points.state != "completed"]
            if len(lost):
                fig.add_trace(go.Scatter(
                    x=lost.x, y=[top] * len(lost), mode="markers", name=name, showlegend=False,
                    marker={"symbol": [NO_VALUE_MARKERS[s] for s in lost.state], "size": 10},
                    text=lost.note, hovertemplate="%{x:.3g}: %{text}", **style,
                ), row=1, col=col)
    _add_marker_key(fig, panels)
    xs = pd.concat([p.points.x for p in panels])
    # Powers of ten: the default SI prefixes read badly for learning rates ("100µ").
    fig.update_xaxes(type=axis_type(xs), exponentformat="power", title_text=x_title)
    fig.update_yaxes(title_text=y_title, col=1)
    if y_log:
        fig.update_yaxes(type="log", exponentformat="power")
    return fig


def _top_of_plotted(panels: list[Panel], y_log: bool) -> float:
    """A y just above every plotted value, where points without a value are marked."""
    done = pd.concat([p.points[p.points.state == "completed"] for p in panels])
    low, high = (done.y - done.y_std).min(), (done.y + done.y_std).max()
    if pd.isna(high):
        return 1.0
    if y_log:
        return float(high * 1.25)
    return float(high + 0.08 * max(high - low, abs(high) * 0.05, 1e-9))


def _add_marker_key(fig: go.Figure, panels: list[Panel]) -> None:
    """Legend entries that say what the star and the top-of-panel symbols mean."""
    states = set().union(*(set(p.points.state) for p in panels))
    has_best = any("best" in p.points and p.points.best.any() for p in panels)
    keys = [("best of its line", "star")] if has_best else []
    keys += [(NO_VALUE_LABELS[s], NO_VALUE_MARKERS[s]) for s in NO_VALUE_MARKERS if s in states]
    for text, symbol in keys:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=text,
                                 marker={"symbol": symbol, "size": 10, "color": KEY_COLOR}))
