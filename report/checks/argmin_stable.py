"""argmin_stable: the value of one knob that minimises a metric stays put as another scales.

The muP claim in one check: "the loss-minimising learning rate does not move with width".
Among the runs matching `where`, each value of `across` (a width) gets the value of `over`
(a learning rate) with the lowest `metric`, averaged over seeds; the claim holds when those
optima span at most `tolerance` in log10. A point counts as completed when all its seeds
completed; report.checks.optima says how diverged points bracket an optimum.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from compiler.language.check_args import ArgminStable
from report.checks.optima import Optimum, optima, sweep_points
from report.checks.selection import (
    Counts,
    conditions,
    fmt,
    matching,
    other_slices,
    require_columns,
    require_metric,
    require_positive,
    select,
    sentence,
    short,
)
from report.checks.verdict import CheckResult, Number, Verdict
from report.figures.curves import CurveGroup, curves_figure, sources_figure
from report.figures.style import label
from report.figures.sweep import Panel, sweep_figure
from report.table import Curves

KIND = "argmin_stable"
# Spreads equal to the tolerance up to float rounding (log10 of a logspace) count as within.
ROUNDING = 1e-9


def argmin_stable(args: ArgminStable, table: pd.DataFrame, curves: Curves) -> CheckResult:
    require_columns(KIND, table, {"over": [args.over], "across": [args.across]})
    checked = select(KIND, table, args.where)
    require_metric(KIND, table, args.metric)
    require_positive(KIND, table, args.over)
    sweep = sweep_points(checked, group=args.across, x=args.over, metric=args.metric)
    found = optima(sweep)
    counts = Counts.of(checked)
    verdict, summary = _conclude(args, found, counts)
    return CheckResult(verdict=verdict, summary=summary, rule=_rule(args),
                       numbers=_numbers(args, found, counts),
                       figures=_figures(args, table, sweep, curves),
                       runs=list(checked.id))


def _conclude(args: ArgminStable, found: dict[Any, Optimum | None],
              counts: Counts) -> tuple[Verdict, str]:
    over, across = args.over, args.across
    usable = _usable(found)
    reasons = counts.problems(diverged_too=False)
    if len(usable) < 2:
        reasons.append(f"only {len(usable)} of {len(found)} {across} values have two or more "
                       f"completed {over} points")
    reasons += [f"at {across}={fmt(g)} the best {over} ({fmt(o.x)}) is the {o.edge} value "
                "swept, so the true optimum may lie outside the range"
                for g, o in usable.items() if o.edge]
    spread = _spread(usable)
    if reasons:
        summary = sentence(reasons)
        if spread is not None:
            summary += (f" So far the best {over} spans {spread:.2f} decades across {across} "
                        f"(tolerance {args.tolerance:g}).")
        return "inconclusive", summary

    listing = ", ".join(f"{fmt(o.x)} at {across}={fmt(g)}" for g, o in usable.items())
    if spread <= args.tolerance + ROUNDING:
        return "supported", (f"The best {over} stays within {spread:.2f} decades across "
                             f"{across} (tolerance {args.tolerance:g}): {listing}.")
    return "not supported", (f"The best {over} moves {spread:.2f} decades across {across}, "
                             f"more than the tolerance of {args.tolerance:g}: {listing}.")


def _numbers(args: ArgminStable, found: dict[Any, Optimum | None],
             counts: Counts) -> dict[str, Number]:
    usable = _usable(found)
    numbers: dict[str, Number] = {f"best {args.over} at {args.across}={fmt(g)}": o.x
                                  for g, o in usable.items()}
    spread = _spread(usable)
    if spread is not None:
        numbers["spread of the best (log10)"] = spread
    numbers["tolerance (log10)"] = args.tolerance
    numbers[f"{args.across} values with two or more completed points"] = len(usable)
    numbers[f"{args.across} values"] = len(found)
    return {**numbers, **counts.numbers()}


def _usable(found: dict[Any, Optimum | None]) -> dict[Any, Optimum]:
    return {group: optimum for group, optimum in found.items() if optimum is not None}


def _spread(usable: dict[Any, Optimum]) -> float | None:
    """How far apart the optima are, in log10; None with fewer than two."""
    if len(usable) < 2:
        return None
    logs = [math.log10(o.x) for o in usable.values()]
    return max(logs) - min(logs)


def _rule(args: ArgminStable) -> str:
    among = f"Among runs with {conditions(args.where)}, take" if args.where else "Take"
    return (f"{among} for each {args.across} the {args.over} with the lowest {args.metric} "
            f"(mean over seeds); the claim is supported when these optima span at most "
            f"{args.tolerance:g} in log10, and inconclusive while runs are missing or failed, "
            f"fewer than two {args.across} values have two completed points, or an optimum is "
            f"the lowest or highest {args.over} swept.")


def _figures(args: ArgminStable, table: pd.DataFrame, checked: pd.DataFrame,
             curves: Curves) -> list[go.Figure]:
    """The checked runs next to every other slice of the `where` keys (SP beside muP), then
    the curves of each line's best point."""
    panels = [Panel(title=conditions(args.where) or "all runs", points=checked)]
    panels += [Panel(title=conditions(other),
                     points=sweep_points(matching(table, other), group=args.across,
                                         x=args.over, metric=args.metric))
               for other in other_slices(table, args.where)]
    if not any((p.points.state == "completed").any() for p in panels):
        return []
    group_name = short(args.across)
    groups = [CurveGroup(panel=panel.title, label=label(group_name, best.group),
                         runs=best.runs)
              for panel in panels for best in panel.points[panel.points.best].itertuples()]
    column = args.metric.removeprefix("final.")
    figures = [sweep_figure(panels, x_title=args.over, y_title=args.metric,
                            group_name=group_name),
               curves_figure(groups, curves, column), sources_figure(groups, curves)]
    return [fig for fig in figures if fig is not None]
