"""optimum: the best value of a swept axis lies in a range ("at 16 epochs the loss-minimising
weight decay is at least 1.0, ten times the usual 0.1").

Runs that differ only in `over` (and seed) form a line; every other setting that varies among
the checked runs tells lines apart (a width, say). Each line's optimum is estimated below the
grid's spacing with its uncertainty (report.checks.optima), and report.checks.decide weighs
how far inside (or outside) the range it is against that uncertainty, in log10 of `over`.

A best at the last value swept does not place the optimum, but on a bowl-shaped metric it
bounds it: the optimum lies beyond the value swept next to it. A line whose best is at an edge
holds when all of that half-line is inside the range, fails when none of it is, and is
undecided otherwise.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from compiler.language.check_args import Optimum as OptimumArgs
from report.checks.decide import Decision, decide, verdict_of
from report.checks.optima import Optimum, advice, sweep_points
from report.checks.optima import optimum as line_optimum
from report.checks.rule import rule
from report.checks.selection import (
    Counts,
    by_config,
    conditions,
    fmt,
    line_keys,
    naming,
    require_columns,
    require_metric,
    require_positive,
    select,
    sentence,
)
from report.checks.verdict import CheckResult, Number
from report.figures.curves import CurveGroup, curves_figure
from report.figures.sweep import Panel, sweep_figure
from report.table import Curves

KIND = "optimum"


def optimum(args: OptimumArgs, table: pd.DataFrame, curves: Curves) -> CheckResult:
    require_columns(KIND, table, {"over": [args.over]})
    require_metric(KIND, table, args.metric)
    checked = select(KIND, table, args.where)
    require_positive(KIND, checked, args.over)
    keys = line_keys(checked, (args.over,))
    names = naming(checked, keys)
    found: dict[str, Optimum | None] = {}
    runs_of: dict[str, pd.DataFrame] = {}
    for values, line in by_config(checked, keys):
        name = conditions({key: values[key] for key in names}) or "all runs"
        found[name] = line_optimum(line, x=args.over, metric=args.metric)
        runs_of[name] = line
    counts = Counts.of(checked)
    blockers = counts.problems(diverged_too=False)
    blockers += [f"at {name} fewer than two values of {args.over} completed"
                 for name, o in found.items() if o is None]
    usable = {name: o for name, o in found.items() if o is not None}
    decisions = {name: _decide(args, o) for name, o in usable.items()}
    return CheckResult(
        verdict=verdict_of(list(decisions.values()), blockers),
        summary=_summary(args, usable, decisions, blockers), rule=rule(args),
        numbers=_numbers(args, usable, counts),
        figures=_figures(args, runs_of, usable, curves), runs=list(checked.id))


def _bounds(args: OptimumArgs) -> tuple[float, float]:
    """`within` in log10 (no lower bound, or one at or below 0, is -inf; no upper bound
    +inf)."""
    low, high = args.within
    return (math.log10(low) if low is not None and low > 0 else -math.inf,
            math.log10(high) if high is not None else math.inf)


def _decide(args: OptimumArgs, o: Optimum) -> Decision:
    low, high = _bounds(args)
    if o.edge is None:
        return decide(min(o.log_x - low, high - o.log_x), o.error, args.sigmas)
    # Beyond the value swept next to the best: (neighbour, inf) or (0, neighbour).
    neighbour = o.log_x - o.spacing if o.edge == "highest" else o.log_x + o.spacing
    beyond = (neighbour, math.inf) if o.edge == "highest" else (-math.inf, neighbour)
    if low <= beyond[0] and beyond[1] <= high:
        return "holds"
    if beyond[1] <= low or beyond[0] >= high:
        return "fails"
    return "unclear"


def _within(args: OptimumArgs) -> str:
    low, high = args.within
    if high is None:
        return f"at least {fmt(low)}"
    if low is None:
        return f"at most {fmt(high)}"
    return f"within [{fmt(low)}, {fmt(high)}]"


def _found(args: OptimumArgs, name: str, o: Optimum) -> str:
    if o.edge == "highest":
        return f"above {fmt(o.grid_x / 10 ** o.spacing)} (its best is the highest swept, " \
               f"{fmt(o.grid_x)}) at {name}"
    if o.edge == "lowest":
        return f"below {fmt(o.grid_x * 10 ** o.spacing)} (its best is the lowest swept, " \
               f"{fmt(o.grid_x)}) at {name}"
    return f"{fmt(o.x)} (± {o.error:.2f} in log10) at {name}"


def _summary(args: OptimumArgs, usable: dict[str, Optimum], decisions: dict[str, Decision],
             blockers: list[str]) -> str:
    found = "; ".join(_found(args, name, o) for name, o in usable.items())
    claim = _within(args)
    fails = [name for name, d in decisions.items() if d == "fails"]
    if fails:
        return (f"The best {args.over} is outside {claim} at {', '.join(fails)}: {found}.")
    if blockers:
        return sentence(blockers) + (f" So far the best {args.over} is {found}." if found
                                     else "")
    unclear = {name: usable[name] for name, d in decisions.items() if d == "unclear"}
    if unclear:
        text = f"The best {args.over} is {found}: too close to {claim} to tell at " \
               f"{', '.join(unclear)}."
        placed = {name: o for name, o in unclear.items() if o.edge is None}
        if placed:
            low, high = _bounds(args)
            shrink = min(abs(min(o.log_x - low, high - o.log_x)) / (args.sigmas * o.error)
                         for o in placed.values())
            text += f" Deciding needs {advice(placed, shrink, args.over)}."
        edges = [name for name, o in unclear.items() if o.edge is not None]
        if edges:
            text += f" At {', '.join(edges)} values of {args.over} beyond the last swept " \
                    "would place the optimum."
        return text
    return f"The best {args.over} is {claim} on every line: {found}."


def _numbers(args: OptimumArgs, usable: dict[str, Optimum], counts: Counts) -> dict[str, Number]:
    numbers: dict[str, Number] = {}
    for name, o in usable.items():
        numbers[f"best {args.over} at {name}"] = o.x
        numbers[f"its uncertainty (log10) at {name}"] = o.error if o.edge is None else \
            f"at the {o.edge} value swept"
    low, high = args.within
    numbers["lowest optimum allowed"] = "none" if low is None else low
    numbers["highest optimum allowed"] = "none" if high is None else high
    numbers["standard uncertainties a difference must clear"] = args.sigmas
    if usable:
        numbers[f"grid spacing of {args.over} near the optima (log10)"] = \
            max(o.spacing for o in usable.values())
        numbers["seeds per point"] = min(o.seeds for o in usable.values())
    return {**numbers, **counts.numbers()}


def _figures(args: OptimumArgs, runs_of: dict[str, pd.DataFrame], usable: dict[str, Optimum],
             curves: Curves) -> list[go.Figure]:
    """The metric against `over`, one line per line of runs with its best point starred,
    then the curves of each line's best point."""
    frames = []
    for name, runs in runs_of.items():
        frame = _points(runs, args)
        frame["group"] = name
        frames.append(frame)
    sweep = pd.concat(frames, ignore_index=True)
    if not (sweep.state == "completed").any():
        return []
    best = sweep[sweep.best]
    groups = [CurveGroup(panel="best of each line", label=point.group, runs=point.runs)
              for point in best.itertuples()]
    figures = [sweep_figure([Panel(title=conditions(args.where) or "all runs", points=sweep)],
                            x_title=args.over, y_title=args.metric),
               curves_figure(groups, curves, args.metric.removeprefix("final."))]
    return [fig for fig in figures if fig is not None]


def _points(runs: pd.DataFrame, args: OptimumArgs) -> pd.DataFrame:
    """One line's points, its best marked (sweep_points, with the whole line one group)."""
    frame = sweep_points(runs.assign(_line=0), group="_line", x=args.over, metric=args.metric)
    return frame.drop(columns="group")
