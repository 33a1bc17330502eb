"""stability_edge: where a swept axis stops being stable, and how that edge moves.

Two uses. "The maximal stable learning rate falls as 1/width under SP and stays put under
muP": the edge (report.checks.edges) at each width, and the slope of log edge against log
width. "Method X widens the stable range at least 2x": the edge of the checked runs divided
by that of the `versus` runs, at each value of `across`. Both carry the edges' resolution
(the gap between the last stable and the first diverged value swept) into the verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from compiler.language.check_args import StabilityEdge
from report.checks.decide import Decision, decide, verdict_of
from report.checks.edges import Edge, find_edges
from report.checks.optima_figures import optima_figure
from report.checks.rule import rule
from report.checks.selection import (
    Counts,
    conditions,
    fmt,
    require_columns,
    require_positive,
    select,
    sentence,
    short,
)
from report.checks.verdict import CheckResult, Number
from report.figures.curves import CurveGroup, curves_figure
from report.table import Curves

KIND = "stability_edge"
# Curve panels drawn: the edges at an even spread of `across` values.
MAX_PANELS = 4


@dataclass(frozen=True)
class Slice:
    where: dict[str, Any]
    runs: pd.DataFrame
    edges: dict[object, Edge]

    @property
    def title(self) -> str:
        return conditions(self.where) or "all runs"

    @property
    def placed(self) -> dict[object, Edge]:
        return {at: e for at, e in self.edges.items() if e.problem is None}


@dataclass(frozen=True)
class Finding:
    """One thing the claim is judged on: a slope, or a ratio at one value of `across`."""

    label: str
    value: float
    error: float                # its standard error, in log10 units for a ratio
    decision: Decision


def stability_edge(args: StabilityEdge, table: pd.DataFrame, curves: Curves) -> CheckResult:
    axes = [args.over] + ([args.across] if args.across else [])
    require_columns(KIND, table, {"over": [args.over], "across": axes[1:],
                                  "versus": list(args.versus or {})})
    require_positive(KIND, table, args.over)
    if args.slope is not None:
        require_positive(KIND, table, args.across)
    slices = [_slice(args, table, args.where)]
    if args.versus is not None:
        slices.append(_slice(args, table, args.versus))
    runs = pd.concat([s.runs for s in slices])
    counts = Counts.of(runs)
    blockers = [f"at {_where(args, s, slices, at)} {e.problem}"
                for s in slices for at, e in s.edges.items() if e.problem]
    findings = _slope(args, slices[0], blockers) if args.slope is not None \
        else _ratios(args, slices, blockers)
    decisions = [f.decision for f in findings]
    return CheckResult(
        verdict=verdict_of(decisions, blockers),
        summary=_summary(args, findings, blockers), rule=rule(args),
        numbers={**_numbers(args, slices, findings), **counts.numbers()},
        figures=_figures(args, slices, curves), runs=list(runs.id))


def _slice(args: StabilityEdge, table: pd.DataFrame, where: dict[str, Any]) -> Slice:
    runs = select(KIND, table, where)
    return Slice(where=where, runs=runs,
                 edges=find_edges(runs, over=args.over, side=args.side, across=args.across))


def _where(args: StabilityEdge, s: Slice, slices: list[Slice], at: object) -> str:
    parts = ([f"{args.across}={fmt(at)}"] if args.across else []) + \
        ([s.title] if len(slices) > 1 else [])
    return ", ".join(parts) or "the sweep"


def _slope(args: StabilityEdge, s: Slice, blockers: list[str]) -> list[Finding]:
    placed = s.placed
    if len(placed) < 2:
        blockers.append(f"only {len(placed)} of {len(s.edges)} {args.across} values have an "
                        "edge to fit")
        return []
    x = np.log10(np.array(list(placed), dtype=float))
    y = np.array([e.log_x for e in placed.values()])
    slope, _ = np.polyfit(x, y, 1)
    # The slope is a weighted sum of the log edges: sum_i c_i log y_i.
    centred = x - x.mean()
    weights = centred / (centred @ centred)
    error = float(np.sqrt(weights ** 2 @ np.array([e.error for e in placed.values()]) ** 2))
    low, high = args.slope
    return [Finding(f"slope of the edge against {args.across}", float(slope), error,
                    decide(min(slope - low, high - slope), error, args.sigmas))]


def _ratios(args: StabilityEdge, slices: list[Slice], blockers: list[str]) -> list[Finding]:
    checked, versus = slices
    shared = [at for at in checked.placed if at in versus.placed]
    if not shared:
        blockers.append(f"no edge of {checked.title} has a counterpart in {versus.title}")
    low, high = (math.log10(bound) for bound in args.ratio)
    findings = []
    for at in shared:
        mine, theirs = checked.placed[at], versus.placed[at]
        log_ratio = mine.log_x - theirs.log_x
        error = math.hypot(mine.error, theirs.error)
        label = f"edge ratio at {args.across}={fmt(at)}" if args.across else "edge ratio"
        findings.append(Finding(label, 10 ** log_ratio, error,
                                decide(min(log_ratio - low, high - log_ratio), error,
                                       args.sigmas)))
    return findings


def _summary(args: StabilityEdge, findings: list[Finding], blockers: list[str]) -> str:
    what = f"slope of the {args.side} stable {args.over} against {args.across}" \
        if args.slope is not None else \
        f"ratio of the {args.side} stable {args.over} to that of {conditions(args.versus)}"
    low, high = args.slope if args.slope is not None else args.ratio
    unit = "" if args.slope is not None else " (log10)"
    listing = ", ".join(f"{f.label.removeprefix('edge ratio at ')}: {f.value:.3g} ± "
                        f"{f.error:.2g}{unit}" for f in findings)
    fails = [f for f in findings if f.decision == "fails"]
    unclear = [f for f in findings if f.decision == "unclear"]
    if fails:
        return (f"The {what} lies outside [{low:g}, {high:g}] at {len(fails)} of "
                f"{len(findings)} points ({listing}).")
    if blockers:
        return sentence(blockers) + (f" So far: {listing}." if listing else "")
    if unclear:
        return (f"The {what} is within {args.sigmas:g} standard errors of an end of "
                f"[{low:g}, {high:g}] ({listing}): a sweep of {args.over} spaced more finely "
                "around the edge would narrow it.")
    return f"The {what} lies within [{low:g}, {high:g}] ({listing})."


def _numbers(args: StabilityEdge, slices: list[Slice],
             findings: list[Finding]) -> dict[str, Number]:
    numbers: dict[str, Number] = {}
    for s in slices:
        for at, e in s.placed.items():
            where = _where(args, s, slices, at)
            numbers[f"edge of {args.over} at {where}"] = e.x
            numbers[f"last stable and first diverged at {where}"] = \
                f"{fmt(e.stable)} – {fmt(e.diverged)}"
            numbers[f"its uncertainty (log10) at {where}"] = e.error
    for f in findings:
        numbers[f.label] = f.value
        numbers[f"standard error of the {f.label}" + (" (log10)" if args.ratio else "")] = \
            f.error
    bounds = args.slope if args.slope is not None else args.ratio
    what = "slope" if args.slope is not None else "ratio"
    numbers[f"lowest {what} allowed"], numbers[f"highest {what} allowed"] = bounds
    numbers["standard errors a difference must clear"] = args.sigmas
    return numbers


def _figures(args: StabilityEdge, slices: list[Slice], curves: Curves) -> list[go.Figure]:
    """The edges against `across` with their resolution, then the train loss of the last
    stable and the first diverged value at a few of them."""
    figures: list[go.Figure | None] = []
    if args.across:
        figures.append(optima_figure({s.title: s.placed for s in slices},
                                     x_title=args.across, y_title=f"edge of {args.over}"))
    groups = []
    for s in slices:
        placed = list(s.placed.items())
        picked = sorted({round(i) for i in np.linspace(0, len(placed) - 1,
                                                        min(len(placed), MAX_PANELS))})
        for at, e in (placed[i] for i in picked):
            panel = _where(args, s, slices, at) if args.across or len(slices) > 1 \
                else "the edge"
            for value in (e.stable, e.diverged):
                runs = tuple(s.runs[(s.runs[args.over] == value)
                                    & (s.runs[args.across] == at if args.across else True)].id)
                groups.append(CurveGroup(panel=panel, label=f"{short(args.over)}={fmt(value)}",
                                         runs=runs))
    figures.append(curves_figure(groups, curves, "train_loss") if groups else None)
    return [fig for fig in figures if fig is not None]
