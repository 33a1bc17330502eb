"""Coord-check panels: how each metric's scale moves with width, at a few steps of training.

As in the `mup` package's coord check: one panel per step, width on the x axis, the metric
(an activation or update scale per parameter role) on the y axis, both in log, one line per
metric. Under muP the lines stay flat from the first steps on; under SP they climb.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from report.figures.style import colors, compact, panels_figure
from report.table import Curves

PANELS = 4


def coord_figure(columns: list[str], widths: dict[float, tuple[str, ...]], curves: Curves,
                 *, x_title: str) -> go.Figure | None:
    """`columns` are curve names (act_rms/hidden, ...), `widths` maps each x value to the
    runs (seeds) at it. None when the runs logged none of the columns per step."""
    table = _values(columns, widths, curves)
    if table.empty:
        return None
    logged = np.sort(table.step.unique())
    steps = logged[np.unique(np.linspace(0, len(logged) - 1, min(PANELS, len(logged)))
                             .round().astype(int))]
    fig = panels_figure([f"step {step:g}" for step in steps])
    palette = colors(columns)
    for col, step in enumerate(steps, start=1):
        at_step = table[table.step == step]
        for column, line in at_step.groupby("column", sort=True):
            line = line.sort_values("x")
            fig.add_trace(go.Scatter(
                x=line.x, y=compact(line["mean"]), mode="lines+markers", name=column,
                legendgroup=column, showlegend=col == 1, line_color=palette[column],
                hovertemplate=f"{x_title}=%{{x:.3g}}: %{{y:.3g}}<extra>{column}</extra>",
            ), row=1, col=col)
    # Narrow panels: a tick at each width measured, and no others.
    fig.update_xaxes(type="log", tickvals=sorted(widths), title_text=x_title)
    fig.update_yaxes(type="log", exponentformat="power")
    return fig


def _values(columns: list[str], widths: dict[float, tuple[str, ...]],
            curves: Curves) -> pd.DataFrame:
    """Long table: column, x, step, mean (over seeds), for positive values only."""
    frames = []
    for column in columns:
        for x, runs in widths.items():
            stats = curves.over_seeds(runs, column)
            stats = stats[stats["mean"] > 0]
            if len(stats):
                frames.append(stats[["step", "mean"]].assign(column=column, x=x))
    if not frames:
        return pd.DataFrame(columns=["step", "mean", "column", "x"])
    return pd.concat(frames, ignore_index=True)
