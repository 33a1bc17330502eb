"""event_order: in each run, one event comes before another.

"The gradient norm spikes before the loss does": in every run where the loss blows up
(`then`), the gradient norm crossed its threshold (`first`) earlier, by more than the two
times' resolution (report.checks.events). Runs where `then` never happens say nothing either
way; diverged runs are read up to their divergence, which is where these events happen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from compiler.language.check_args import EventOrder
from report.checks.decide import Decision, decide, verdict_of
from report.checks.events import Time, event_time
from report.checks.rule import rule
from report.checks.selection import (
    Counts,
    conditions,
    naming,
    select,
    sentence,
    varying,
)
from report.checks.verdict import CheckResult, Number
from report.figures.curves import CurveGroup, curves_figure
from report.table import Curves

KIND = "event_order"
# Runs whose curves are drawn: an even spread of those judged.
MAX_PANELS = 4


@dataclass(frozen=True)
class Judged:
    run: str
    label: str
    first: Time
    then: Time
    decision: Decision


def event_order(args: EventOrder, table: pd.DataFrame, curves: Curves) -> CheckResult:
    checked = select(KIND, table, args.where)
    counts = Counts.of(checked)
    blockers = counts.problems(diverged_too=False)
    names = naming(checked, [*varying(checked), "seed"])
    judged = []
    for run in checked[checked.status.isin(("completed", "diverged"))].to_dict("records"):
        curve = curves[run["id"]]
        first, then = (event_time(curve, event, args.unit) for event in (args.first, args.then))
        if not then.seen:
            continue
        label = conditions({key: run[key] for key in names}) or run["id"]
        judged.append(Judged(run["id"], label, first, then, _decide(args, first, then)))
    if not judged and not blockers:
        blockers.append(f"no run shows {args.then}, so none can say what comes first")
    decisions = [j.decision for j in judged]
    return CheckResult(
        verdict=verdict_of(decisions, blockers),
        summary=_summary(args, judged, blockers), rule=rule(args),
        numbers={**_numbers(args, judged), **counts.numbers()},
        figures=_figures(args, judged, curves), runs=list(checked.id))


def _decide(args: EventOrder, first: Time, then: Time) -> Decision:
    if not first.seen:
        return "fails"
    return decide(then.at - first.at, math.hypot(first.error, then.error), args.sigmas)


def _summary(args: EventOrder, judged: list[Judged], blockers: list[str]) -> str:
    first, then = str(args.first), str(args.then)
    fails = [j for j in judged if j.decision == "fails"]
    if fails:
        worst = fails[0]
        when = f"at {args.unit} {worst.first.at:.4g}" if worst.first.seen else "never"
        return (f"In {len(fails)} of {len(judged)} runs where {then} happens, {first} does not "
                f"come first (e.g. {worst.label}: {then} at {args.unit} {worst.then.at:.4g}, "
                f"{first} {when}).")
    if blockers:
        return sentence(blockers)
    unclear = [j for j in judged if j.decision == "unclear"]
    if unclear:
        return (f"In {len(unclear)} of {len(judged)} runs where {then} happens, {first} comes "
                f"within {args.sigmas:g} standard uncertainties of it: the curves are not "
                "logged finely enough to order them.")
    lead = min(j.then.at - j.first.at for j in judged)
    return (f"In all {len(judged)} runs where {then} happens, {first} comes first, by "
            f"{lead:.4g} {args.unit}s or more.")


def _numbers(args: EventOrder, judged: list[Judged]) -> dict[str, Number]:
    numbers: dict[str, Number] = {"runs where the second event happens": len(judged),
                                  "runs where the first comes first": sum(
                                      j.decision == "holds" for j in judged)}
    if judged:
        leads = [j.then.at - j.first.at for j in judged if j.first.seen]
        if leads:
            numbers[f"smallest lead ({args.unit}s)"] = min(leads)
        numbers[f"largest resolution of a time ({args.unit}s)"] = max(
            max(j.first.error, j.then.error) for j in judged)
    numbers["standard uncertainties a lead must clear"] = args.sigmas
    return numbers


def _figures(args: EventOrder, judged: list[Judged], curves: Curves) -> list[go.Figure]:
    """Each event's curve for an even spread of the judged runs, one panel per run."""
    if not judged:
        return []
    picked = sorted({round(i) for i in np.linspace(0, len(judged) - 1,
                                                    min(len(judged), MAX_PANELS))})
    groups = [CurveGroup(panel=judged[i].label, label=judged[i].label, runs=(judged[i].run,))
              for i in picked]
    metrics = list(dict.fromkeys([args.first.metric, args.then.metric]))
    figures = [curves_figure(groups, curves, metric) for metric in metrics]
    return [fig for fig in figures if fig is not None]
