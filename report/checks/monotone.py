"""monotone: a metric only goes one way along an axis ("loss falls with width").

Runs that differ only in `along` (and seed) form a line; report.checks.decide weighs each
step between neighbouring points of a line against the seed-to-seed noise.
"""

from __future__ import annotations

import itertools

import pandas as pd
import plotly.graph_objects as go

from compiler.language.check_args import Monotone
from report.checks.decide import Decision, decide, noise_numbers, verdict_of, within_noise
from report.checks.points import difference_error, points, pooled_std
from report.checks.rule import rule
from report.checks.selection import (
    Counts,
    conditions,
    line_keys,
    naming,
    require_columns,
    require_metric,
    select,
    sentence,
    short,
)
from report.checks.tuning import tune
from report.checks.verdict import CheckResult
from report.figures.curves import CurveGroup, curves_figure, sources_figure
from report.figures.style import label
from report.figures.sweep import Panel, sweep_figure
from report.table import Curves

KIND = "monotone"
MAX_CURVE_PANELS = 4


def monotone(args: Monotone, table: pd.DataFrame, curves: Curves) -> CheckResult:
    require_columns(KIND, table, {"along": [args.along], "tuned": list(args.tuned)})
    checked = select(KIND, table, args.where)
    require_metric(KIND, table, args.metric)
    counts = Counts.of(checked)
    blockers = counts.problems(diverged_too=not args.tuned)
    selected, chosen, untuned = checked, {}, frozenset()
    if args.tuned:
        tuning = tune(checked, args.tuned, args.metric, "the runs")
        checked, chosen, untuned = tuning.runs, tuning.chosen, tuning.at_edge
        blockers += tuning.problems
    keys = line_keys(checked, (args.along, *args.tuned))
    sweep = points(checked, [*keys, args.along], args.metric)
    names = naming(checked, keys)
    sweep["group"] = [conditions({k: row[k] for k in names}) or args.metric
                      for row in sweep.to_dict("records")]
    sweep["x"] = sweep[args.along]
    noise = pooled_std(sweep)
    sign = 1 if args.direction == "increasing" else -1
    decisions: list[Decision] = []
    against = 0.0       # the largest step the wrong way
    for _, line in sweep.groupby("group", sort=True):
        done = line[line.state == "completed"].sort_values("x").to_dict("records")
        for before, after in itertools.pairwise(done):
            if untuned.intersection(before["runs"] + after["runs"]):
                continue    # a point whose best setting may lie beyond its sweep
            step = sign * (after["y"] - before["y"])
            decisions.append(decide(step, difference_error(noise, before["n"], after["n"]),
                                    args.sigmas))
            against = max(against, -step)
    if not decisions:
        blockers.append(f"no line has two completed {args.along} points")
    summary = _summary(args, decisions, blockers, against, noise)
    return CheckResult(
        verdict=verdict_of(decisions, blockers), summary=summary, rule=rule(args),
        numbers={"steps checked": len(decisions),
                 f"steps that are {args.direction}": decisions.count("holds"),
                 "steps clearly against": decisions.count("fails"),
                 "largest step against": against, **noise_numbers(noise, args.sigmas),
                 **chosen, **counts.numbers()},
        figures=_figures(args, sweep, curves), runs=list(selected.id))


def _summary(args: Monotone, decisions: list[Decision], blockers: list[str],
             against: float, noise: float | None) -> str:
    steps = len(decisions)
    fails, unclear = decisions.count("fails"), decisions.count("unclear")
    if fails:
        return (f"{args.metric} is not {args.direction} along {args.along}: {fails} of "
                f"{steps} steps go the other way, by up to {against:.3g}.")
    if blockers:
        return sentence(blockers)
    if unclear:
        return (f"{unclear} of {steps} steps of {args.metric} along {args.along} are within "
                f"{within_noise(noise, args.sigmas)} of flat.")
    return f"{args.metric} is {args.direction} along {args.along} at all {steps} steps."


def _figures(args: Monotone, sweep: pd.DataFrame, curves: Curves) -> list[go.Figure]:
    if not (sweep.state == "completed").any():
        return []
    lines = sorted(sweep.group.unique())[:MAX_CURVE_PANELS]
    groups = [CurveGroup(panel=point.group, label=label(short(args.along), point.x),
                         runs=point.runs)
              for point in sweep[sweep.group.isin(lines)].itertuples()]
    figures = [sweep_figure([Panel(title=conditions(args.where), points=sweep)],
                            x_title=args.along, y_title=args.metric),
               curves_figure(groups, curves, args.metric.removeprefix("final.")),
               sources_figure(groups, curves)]
    return [fig for fig in figures if fig is not None]
