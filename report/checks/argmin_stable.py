"""argmin_stable: the value of one knob that minimises a metric stays put as another scales.

The muP claim in one check: "the loss-minimising learning rate does not move with width".
Among the runs matching `where`, each value of `across` (a width) gets its optimum of `over`
(a learning rate), estimated between grid points with an uncertainty (report.checks.optima);
the claim holds when those optima span at most `tolerance` in log10, by more than `sigmas`
times the spread's uncertainty. With `versus`, the claim has a second half that must hold as
well: in that slice (SP) the optimum moves, by more than the tolerance, or by at least
`factor` times as much as in `where`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from compiler.language.check_args import ArgminStable
from report.checks.decide import Decision, decide, verdict_of
from report.checks.optima import Optimum, advice, find_optima, sweep_points
from report.checks.optima_figures import optima_figure
from report.checks.rule import rule
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
from report.checks.verdict import CheckResult, Number
from report.figures.curves import CurveGroup, curves_figure, sources_figure
from report.figures.style import label
from report.figures.sweep import Panel, sweep_figure
from report.table import Curves

KIND = "argmin_stable"


@dataclass(frozen=True)
class Slice:
    """The optima of one slice of the runs (muP's, or SP's with `versus`)."""

    where: dict[str, Any]
    runs: pd.DataFrame
    found: dict[Any, Optimum | None]

    @property
    def title(self) -> str:
        return conditions(self.where) or "all runs"

    @property
    def usable(self) -> dict[Any, Optimum]:
        return {group: o for group, o in self.found.items() if o is not None}

    def extremes(self) -> tuple[Optimum, Optimum] | None:
        """The lowest and highest optimum; None with fewer than two."""
        usable = list(self.usable.values())
        if len(usable) < 2:
            return None
        return min(usable, key=lambda o: o.x), max(usable, key=lambda o: o.x)

    def spread(self) -> tuple[float, float] | None:
        """How far apart the optima are in log10, and the uncertainty of that; None with
        fewer than two."""
        ends = self.extremes()
        if ends is None:
            return None
        low, high = ends
        return high.log_x - low.log_x, math.hypot(low.error, high.error)


@dataclass(frozen=True)
class Half:
    """One half of the claim: how far past its threshold, and how sure."""

    excess: float
    error: float
    decision: Decision


def argmin_stable(args: ArgminStable, table: pd.DataFrame, curves: Curves) -> CheckResult:
    require_columns(KIND, table, {"over": [args.over], "across": [args.across]})
    require_metric(KIND, table, args.metric)
    require_positive(KIND, table, args.over)
    slices = [_slice(args, table, args.where)]
    if args.versus is not None:
        slices.append(_slice(args, table, args.versus))
    runs = pd.concat([s.runs for s in slices])
    counts = Counts.of(runs)
    blockers = _blockers(args, slices, counts)
    halves = _halves(args, slices)
    decisions = [half.decision for half in halves]
    verdict = verdict_of(decisions, blockers)
    return CheckResult(verdict=verdict, summary=_summary(args, slices, halves, blockers),
                       rule=rule(args), numbers=_numbers(args, slices, halves, counts),
                       figures=_figures(args, table, slices, curves), runs=list(runs.id))


def _slice(args: ArgminStable, table: pd.DataFrame, where: dict[str, Any]) -> Slice:
    runs = select(KIND, table, where)
    return Slice(where=where, runs=runs,
                 found=find_optima(runs, group=args.across, x=args.over, metric=args.metric))


def _blockers(args: ArgminStable, slices: list[Slice], counts: Counts) -> list[str]:
    over, across = args.over, args.across
    reasons = counts.problems(diverged_too=False)
    for s in slices:
        among = f" among {s.title}" if len(slices) > 1 else ""
        if len(s.usable) < 2:
            reasons.append(f"only {len(s.usable)} of {len(s.found)} {across} values{among} "
                           f"have two or more completed {over} points")
        reasons += [f"at {across}={fmt(g)}{among} the best {over} ({fmt(o.x)}) is the "
                    f"{o.edge} value swept, so the true optimum may lie outside the range"
                    for g, o in s.usable.items() if o.edge]
    return reasons


def _halves(args: ArgminStable, slices: list[Slice]) -> list[Half]:
    spreads = [s.spread() for s in slices]
    if any(spread is None for spread in spreads):
        return []
    (stays, stays_error), *rest = spreads
    parts = [(args.tolerance - stays, stays_error)]
    if rest:
        moves, moves_error = rest[0]
        parts.append((moves - args.tolerance, moves_error))
        if args.factor is not None:
            parts.append((moves - args.factor * stays,
                          math.hypot(moves_error, args.factor * stays_error)))
    return [Half(excess, error, decide(excess, error, args.sigmas)) for excess, error in parts]


def _summary(args: ArgminStable, slices: list[Slice], halves: list[Half],
             blockers: list[str]) -> str:
    over, across = args.over, args.across
    found = _finding(args, slices, halves)
    text = ""
    if found:
        text = found[0][:1].upper() + found[0][1:] + "".join(f"; {f}" for f in found[1:])
        if len(slices) == 1:
            text += ": " + ", ".join(f"{fmt(o.x)} at {across}={fmt(g)}"
                                     for g, o in slices[0].usable.items())
        text += "."
    if any(h.decision == "fails" for h in halves):
        return text
    if blockers:
        return sentence(blockers) + "".join(
            f" So far the best {over}{_under(s, slices)} spans {spread[0]:.2f} decades "
            f"across {across} (tolerance {args.tolerance:g})."
            for s in slices if (spread := s.spread()) is not None)
    unclear = [h for h in halves if h.decision == "unclear"]
    if unclear:
        shrink = min(abs(h.excess) / (args.sigmas * h.error) for h in unclear)
        optima = {f"{args.across}={fmt(g)}{_under(s, slices)}": o
                  for s in slices for g, o in s.usable.items()}
        return (f"{text} Deciding needs uncertainties {1 / shrink:.2g} times smaller: "
                f"{advice(optima, shrink, args.over)}.") if shrink > 0 else \
            f"{text} The spread sits exactly at the threshold."
    return text


def _finding(args: ArgminStable, slices: list[Slice], halves: list[Half]) -> list[str]:
    """What each slice's part of the claim found, in words: "the best optimizer.lr stays
    within ...". halves[0] is the spread under `where`; halves[1] (and [2], with `factor`)
    that under `versus`."""
    found = []
    for s, parts in ((slices[0], halves[:1]), (slices[-1], halves[1:])):
        if not parts:
            continue
        spread, error = s.spread() or (math.nan, math.nan)
        measured = f"{spread:.2f} ± {error:.2f} decades"
        if s is slices[0]:
            phrase = {
                "holds": f"stays within {measured} across {args.across} (tolerance "
                         f"{args.tolerance:g})",
                "fails": f"moves {measured} across {args.across}, more than the tolerance of "
                         f"{args.tolerance:g}",
                "unclear": f"spans {measured} across {args.across}, too close to the "
                           f"tolerance of {args.tolerance:g} to tell"}[parts[0].decision]
        else:
            first = slices[0].spread() or (math.nan, math.nan)
            thresholds = [f"more than {args.tolerance:g}"]
            if args.factor is not None:
                thresholds.append(f"at least {args.factor:g} times the {first[0]:.2f} under "
                                  f"{slices[0].title}")
            by = {d: " and ".join(t for t, h in zip(thresholds, parts, strict=True)
                                  if h.decision == d) for d in ("holds", "fails", "unclear")}
            decisions = {h.decision for h in parts}
            phrase = f"moves only {measured}, not {by['fails']}" if "fails" in decisions else \
                f"moves {measured}, too close to {by['unclear']} to tell" \
                if "unclear" in decisions else f"moves {measured}, {by['holds']}"
        found.append(f"{_who(args, slices, s)} {phrase}")
    return found


def _who(args: ArgminStable, slices: list[Slice], s: Slice) -> str:
    return f"under {s.title} the best {args.over}" if len(slices) > 1 else \
        f"the best {args.over}"


def _under(s: Slice, slices: list[Slice]) -> str:
    return f" under {s.title}" if len(slices) > 1 else ""


def _numbers(args: ArgminStable, slices: list[Slice], halves: list[Half],
             counts: Counts) -> dict[str, Number]:
    numbers: dict[str, Number] = {}
    for s in slices:
        under = _under(s, slices)
        for g, o in s.usable.items():
            at = f"{args.across}={fmt(g)}{under}"
            numbers[f"best {args.over} at {at}"] = o.x
            numbers[f"its uncertainty (log10) at {at}"] = o.error
        spread = s.spread()
        if spread is not None:
            numbers[f"spread of the best (log10){under}"] = spread[0]
            numbers[f"uncertainty of the spread (log10){under}"] = spread[1]
    numbers["tolerance (log10)"] = args.tolerance
    if args.factor is not None:
        numbers["factor"] = args.factor
    numbers["standard uncertainties a difference must clear"] = args.sigmas
    optima = [o for s in slices for o in s.usable.values()]
    if optima:
        numbers[f"grid spacing of {args.over} near the optima (log10)"] = \
            max(o.spacing for o in optima)
        numbers["seeds per point"] = min(o.seeds for o in optima)
    for s in slices:
        under = _under(s, slices)
        numbers[f"{args.across} values with two or more completed points{under}"] = \
            len(s.usable)
        numbers[f"{args.across} values{under}"] = len(s.found)
    return {**numbers, **counts.numbers()}


def _figures(args: ArgminStable, table: pd.DataFrame, slices: list[Slice],
             curves: Curves) -> list[go.Figure]:
    """The checked runs next to the other slices (SP beside muP, or `versus`), the optima
    against `across` with their uncertainty, then the curves of each line's best point."""
    wheres = [s.where for s in slices] if args.versus is not None else \
        [args.where, *other_slices(table, args.where)]
    panels = [Panel(title=conditions(where) or "all runs",
                    points=sweep_points(matching(table, where), group=args.across,
                                        x=args.over, metric=args.metric))
              for where in wheres]
    if not any((p.points.state == "completed").any() for p in panels):
        return []
    group_name = short(args.across)
    groups = [CurveGroup(panel=panel.title, label=label(group_name, best.group),
                         runs=best.runs)
              for panel in panels for best in panel.points[panel.points.best].itertuples()]
    column = args.metric.removeprefix("final.")
    figures = [sweep_figure(panels, x_title=args.over, y_title=args.metric,
                            group_name=group_name),
               optima_figure({s.title: s.usable for s in slices}, x_title=args.across,
                             y_title=f"best {args.over}"),
               curves_figure(groups, curves, column), sources_figure(groups, curves)]
    return [fig for fig in figures if fig is not None]
