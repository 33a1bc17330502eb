"""Fitted against measured: each config's measured curve (mean over seeds) with the law's
curve dashed over it, the runs the law was fitted to in one panel and the held-out runs it
predicted in the other."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from report.figures.downsample import minmax_indices
from report.figures.style import colors, compact, panels_figure

PANELS = {False: "fitted to", True: "held out: predicted"}


@dataclass(frozen=True)
class FitCurve:
    label: str
    held_out: bool
    step: np.ndarray
    measured: np.ndarray
    law: np.ndarray


def fit_figure(curves: list[FitCurve], *, y_title: str) -> go.Figure:
    fig = panels_figure(list(PANELS.values()))
    palette = colors(c.label for c in curves)
    for curve in curves:
        col = 2 if curve.held_out else 1
        color = palette[curve.label]
        keep = minmax_indices(curve.measured)
        fig.add_trace(go.Scatter(
            x=curve.step[keep], y=compact(curve.measured[keep]), mode="lines", name=curve.label,
            legendgroup=curve.label, line={"color": color},
            hovertemplate="step %{x}: %{y:.4g}<extra>" + curve.label + " measured</extra>",
        ), row=1, col=col)
        keep = minmax_indices(curve.law)
        fig.add_trace(go.Scatter(
            x=curve.step[keep], y=compact(curve.law[keep]), mode="lines",
            name=f"{curve.label} law", legendgroup=curve.label, showlegend=False,
            line={"color": color, "dash": "dash"},
            hovertemplate="step %{x}: %{y:.4g}<extra>" + curve.label + " law</extra>",
        ), row=1, col=col)
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="law (dashed)",
                             line={"color": "#888888", "dash": "dash"}))
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text=y_title, col=1)
    return fig
