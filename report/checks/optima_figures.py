"""The figure of estimates placed on a swept axis (optima, report.checks.optima; stability
edges, report.checks.edges) against the axis they are compared along: one line per slice of
the runs, each estimate with its uncertainty as an error bar."""

from __future__ import annotations

import math
from typing import Protocol

import pandas as pd
import plotly.graph_objects as go

from report.figures.sweep import Panel, sweep_figure


class Estimate(Protocol):
    @property
    def x(self) -> float: ...

    @property
    def error(self) -> float:
        """The standard uncertainty of log10 x."""
        ...


def optima_points(name: str, found: dict[object, Estimate]) -> pd.DataFrame:
    """The estimates of one slice as sweep points: x the axis value, y the estimate, y_std
    its uncertainty (log10 units made multiplicative, to first order)."""
    return pd.DataFrame({
        "group": name, "x": list(found), "y": [o.x for o in found.values()],
        "y_std": [o.x * math.log(10) * o.error for o in found.values()],
        "state": "completed", "note": ""})


def optima_figure(slices: dict[str, dict[object, Estimate]], *, x_title: str,
                  y_title: str) -> go.Figure | None:
    """None while no slice has an optimum."""
    frames = [optima_points(name, found) for name, found in slices.items() if found]
    if not frames:
        return None
    return sweep_figure([Panel(title=y_title, points=pd.concat(frames, ignore_index=True))],
                        x_title=x_title, y_title=y_title, y_log=True)
