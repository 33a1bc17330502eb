"""Metric curves against step: the mean over seeds with a band from the lowest to the highest
seed, the learning rate on a second axis, and the per-source losses of multi-source runs.
Runs that start from another run's checkpoint (stages) have a dashed line where they start,
and the run they start from drawn once, in grey, behind them.

A check says which runs to draw as `CurveGroup`s (one config each, its seeds averaged); the
figures draw what those runs logged and leave out what they did not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from report.figures.downsample import MAX_POINTS, band_indices, minmax_indices
from report.figures.style import KEY_COLOR, colors, compact, panels_figure, translucent
from report.table import Curves

SOURCE_PREFIX = "val_loss/"
# The legend of the runs that stages start from, drawn once in grey behind the stage runs.
PARENT_LABEL = "parent run"


@dataclass(frozen=True)
class CurveGroup:
    panel: str                  # the subplot it is drawn in
    label: str                  # its legend entry: the same label has one color everywhere
    runs: tuple[str, ...]       # the seeds of one config, averaged


def curves_figure(groups: list[CurveGroup], curves: Curves, column: str) -> go.Figure | None:
    """`column` against step, one line per group (mean over seeds, band over seeds), the
    learning rate dotted on the right axis; None when no group's runs logged `column`."""
    panels = list(dict.fromkeys(g.panel for g in groups))
    fig = panels_figure(panels, secondary_y=True)
    palette = colors(g.label for g in groups)
    shown: set[str] = set()
    drawn_lr: set[tuple[int, bytes]] = set()
    for group in groups:
        stats = curves.over_seeds(group.runs, column)
        if stats.empty:
            continue
        col = panels.index(group.panel) + 1
        for trace in _mean_and_band(stats, group.label, palette[group.label],
                                    legend=group.label not in shown):
            fig.add_trace(trace, row=1, col=col, secondary_y=False)
        shown.add(group.label)
        lr = _lr_trace(curves, group, palette[group.label])
        key = (col, lr.y.tobytes() if lr is not None else b"")
        if lr is not None and key not in drawn_lr:   # runs on one schedule share one lr line
            fig.add_trace(lr, row=1, col=col, secondary_y=True)
            drawn_lr.add(key)
    if not shown:
        return None
    drawn = {run for group in groups for run in group.runs}
    for col, panel in enumerate(panels, start=1):
        in_panel = [g for g in groups if g.panel == panel]
        for runs in _mark_stages(fig, in_panel, curves, column, col, drawn=drawn,
                                 secondary_y=True, legend=PARENT_LABEL not in shown):
            shown.add(PARENT_LABEL)
            lr = _lr_trace(curves, CurveGroup(panel, PARENT_LABEL, runs), KEY_COLOR)
            key = (col, lr.y.tobytes() if lr is not None else b"")
            if lr is not None and key not in drawn_lr:
                fig.add_trace(lr, row=1, col=col, secondary_y=True)
                drawn_lr.add(key)
    if drawn_lr:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="lr (right axis)",
                                 line={"color": KEY_COLOR, "dash": "dot"}))
        fig.update_yaxes(title_text="lr", secondary_y=True, col=len(panels), showgrid=False,
                         tickformat=".2g")
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text=column, secondary_y=False, col=1)
    return fig


def sources_figure(groups: list[CurveGroup], curves: Curves) -> go.Figure | None:
    """Each source's validation loss in its own panel, one line per group; None unless the
    runs logged two or more sources."""
    sources = sorted({c for g in groups for run in g.runs for c in curves[run].columns
                      if c.startswith(SOURCE_PREFIX)})
    if len(sources) < 2:
        return None
    many_panels = len({g.panel for g in groups}) > 1
    labels = [f"{g.panel}, {g.label}" if many_panels else g.label for g in groups]
    fig = panels_figure([s.removeprefix(SOURCE_PREFIX) for s in sources])
    palette = colors(labels)
    drawn = {run for group in groups for run in group.runs}
    for col, source in enumerate(sources, start=1):
        for group, name in zip(groups, labels, strict=True):
            stats = curves.over_seeds(group.runs, source)
            if stats.empty:
                continue
            for trace in _mean_and_band(stats, name, palette[name], legend=col == 1):
                fig.add_trace(trace, row=1, col=col)
        _mark_stages(fig, groups, curves, source, col, drawn=drawn, secondary_y=False,
                     legend=col == 1)
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text="validation loss", col=1)
    return fig


def _mark_stages(fig: go.Figure, groups: list[CurveGroup], curves: Curves, column: str,
                 col: int, *, drawn: set[str], secondary_y: bool,
                 legend: bool) -> list[tuple[str, ...]]:
    """Where the groups' runs start from other runs' checkpoints (stages), in panel `col`:
    a dashed line at each step a stage starts at, and the runs they start from (and those
    start from, and so on), drawn once each however many runs start from them, unless the
    figure draws them as a group of their own (`drawn`). Returns the parents drawn (the
    seeds of one config each)."""
    parents: dict[tuple[str, ...], None] = {}
    steps: set[int] = set()
    for group in groups:
        runs, seen = group.runs, set(group.runs)
        while starts := [start for start in map(curves.start, runs) if start is not None]:
            steps.update(step for _, step in starts)
            runs = tuple(sorted({run for run, _ in starts} - seen))
            seen.update(runs)
            if runs and not set(runs) <= drawn:
                parents.setdefault(runs)
    drawn_parents: list[tuple[str, ...]] = []
    for runs in parents:
        stats = curves.over_seeds(runs, column)
        if stats.empty:
            continue
        for trace in _mean_and_band(stats, PARENT_LABEL, KEY_COLOR,
                                    legend=legend and not drawn_parents):
            fig.add_trace(trace, row=1, col=col, **({"secondary_y": False} if secondary_y else {}))
        drawn_parents.append(runs)
    for step in sorted(steps):
        fig.add_vline(x=step, row=1, col=col, line={"color": KEY_COLOR, "dash": "dash",
                                                     "width": 1},
                      annotation={"text": f"starts at {step}", "font": {"size": 10}})
    return drawn_parents


def _mean_and_band(stats: pd.DataFrame, name: str, color: str,
                   legend: bool) -> list[go.Scatter]:
    """The mean line, behind it the band between the seeds' extremes (with two or more)."""
    steps, mean = stats.step.to_numpy(), stats["mean"].to_numpy()
    keep = minmax_indices(mean)
    traces = []
    if (stats.n > 1).any():
        band = band_indices(stats.low.to_numpy(), stats.high.to_numpy(), MAX_POINTS // 2)
        x = steps[band]
        traces.append(go.Scatter(
            x=np.concatenate([x, x[::-1]]),
            y=compact(np.concatenate([stats.high.to_numpy()[band],
                                      stats.low.to_numpy()[band][::-1]])),
            mode="lines", fill="toself", fillcolor=translucent(color), line={"width": 0},
            legendgroup=name, showlegend=False, hoverinfo="skip", name=f"{name} seeds"))
    seeds = int(stats.n.max())
    traces.append(go.Scatter(
        x=steps[keep], y=compact(mean[keep]), mode="lines", name=name, legendgroup=name,
        showlegend=legend, line={"color": color},
        hovertemplate=f"step %{{x}}: %{{y:.4g}}<extra>{name}"
                      f"{f' (mean of {seeds} seeds)' if seeds > 1 else ''}</extra>"))
    return traces


def _lr_trace(curves: Curves, group: CurveGroup, color: str) -> go.Scatter | None:
    curve = curves[group.runs[0]]
    if "lr" not in curve:
        return None
    logged = curve[["step", "lr"]].dropna()
    keep = minmax_indices(logged.lr.to_numpy())
    return go.Scatter(x=logged.step.to_numpy()[keep], y=compact(logged.lr.to_numpy()[keep]),
                      mode="lines", name=f"{group.label} lr", legendgroup=group.label,
                      showlegend=False, line={"color": color, "dash": "dot", "width": 1},
                      hovertemplate="step %{x}: lr %{y:.3g}<extra>" + group.label + "</extra>")
