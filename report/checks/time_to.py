"""time_to: one arm reaches a threshold sooner than another (time to a target loss).

"Muon reaches a validation loss of 3.5 in 1.2x fewer tokens than AdamW": the runs of
`faster` and `slower` pair up as in `ordering` (report.checks.pairs); at each pair, each
side's time to the event (report.checks.events) is its mean over seeds, and the claim is
judged on the ratio of the two times in log10, against the times' resolution and the seeds'
spread. A side that never reaches the event is known only to take longer than its curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from compiler.language.check_args import TimeTo
from report.checks.decide import Decision, decide, verdict_of
from report.checks.events import MeanTime, event_time, over_seeds
from report.checks.pair_figures import pair_figures
from report.checks.pairs import Comparison, compare
from report.checks.rule import rule
from report.checks.selection import sentence
from report.checks.verdict import CheckResult, Number
from report.table import Curves

KIND = "time_to"
FINISHED = ("completed", "diverged")


@dataclass(frozen=True)
class Pair:
    label: str
    faster: MeanTime
    slower: MeanTime
    decision: Decision
    note: str                   # what decided it, in words


def time_to(args: TimeTo, table: pd.DataFrame, curves: Curves) -> CheckResult:
    comparison = compare(KIND, table, where=args.where, metric=f"final.{args.event.metric}",
                         arms={"faster": args.faster, "slower": args.slower})
    blockers = comparison.counts.problems(diverged_too=False)
    if comparison.pairs.empty:
        blockers.append(f"no config of {comparison.first.title} has a counterpart in "
                        f"{comparison.second.title}")
    pairs = [_judge(args, comparison.pair_label(row), *(
        over_seeds([event_time(curves[run], args.event, args.unit) for run in row[f"runs_{n}"]])
        for n in (1, 2)))
        for row in comparison.rows() if row["state_1"] in FINISHED and row["state_2"] in FINISHED]
    blockers += [f"at {p.label} {p.note}" for p in pairs if p.decision == "unclear"
                 and p.note.startswith(("neither", "some"))]
    decisions = [p.decision for p in pairs]
    return CheckResult(
        verdict=verdict_of(decisions, blockers),
        summary=_summary(args, comparison, pairs, blockers), rule=rule(args),
        numbers={**_numbers(args, pairs), **comparison.counts.numbers()},
        figures=_figures(args, comparison, pairs, curves), runs=comparison.run_ids())


def _judge(args: TimeTo, label: str, faster: MeanTime, slower: MeanTime) -> Pair:
    if faster.split or slower.split:
        return Pair(label, faster, slower, "unclear",
                    "some seeds reach the event and some do not")
    if faster.at is None and slower.at is None:
        return Pair(label, faster, slower, "unclear", "neither side reaches the event")
    if faster.at is None:
        # Its runs are over (completed, or diverged before it) without reaching it.
        return Pair(label, faster, slower, "fails", "the slower side reaches the event and "
                    "the faster side never does")
    if slower.at is None:
        # The slower side takes longer than its curves: a lower bound on its time.
        excess = math.log10(slower.until) - math.log10(args.factor * faster.at)
        error = _log_error(faster)
        decision = decide(excess, error, args.sigmas)
        return Pair(label, faster, slower, "holds" if decision == "holds" else "unclear",
                    "the slower side never reaches the event")
    excess = math.log10(slower.at) - math.log10(args.factor * faster.at)
    error = math.hypot(_log_error(faster), _log_error(slower))
    return Pair(label, faster, slower, decide(excess, error, args.sigmas), "")


def _log_error(time: MeanTime) -> float:
    """The standard uncertainty of log10 of the time."""
    return time.error / (time.at * math.log(10)) if time.at else math.inf


def _summary(args: TimeTo, comparison: Comparison, pairs: list[Pair],
             blockers: list[str]) -> str:
    faster, slower = comparison.first.title, comparison.second.title
    event = str(args.event)
    listing = ", ".join(f"{p.label}: {_time(p.faster)} against {_time(p.slower)}" for p in pairs)
    sooner = "sooner" if args.factor == 1 else f"{args.factor:g} times sooner"
    fails = [p for p in pairs if p.decision == "fails"]
    if fails:
        return (f"{faster} does not reach {event} {sooner} than {slower} at {len(fails)} of "
                f"{len(pairs)} points ({args.unit}s: {listing}).")
    if blockers:
        return sentence(blockers) + (f" So far, in {args.unit}s: {listing}." if listing else "")
    unclear = [p for p in pairs if p.decision == "unclear"]
    if unclear:
        return (f"At {len(unclear)} of {len(pairs)} points the times to {event} are within "
                f"{args.sigmas:g} standard errors of {sooner} ({args.unit}s: {listing}).")
    return (f"{faster} reaches {event} {sooner} than {slower} at all {len(pairs)} points "
            f"({args.unit}s: {listing}).")


def _time(time: MeanTime) -> str:
    if time.at is None:
        return "never" if not time.split else "not by every seed"
    return f"{time.at:.4g} ± {time.error:.2g}"


def _numbers(args: TimeTo, pairs: list[Pair]) -> dict[str, Number]:
    numbers: dict[str, Number] = {}
    for p in pairs:
        for side, time in (("faster", p.faster), ("slower", p.slower)):
            key = f"{args.unit} the {side} side reaches it, at {p.label}"
            numbers[key] = time.at if time.at is not None else \
                f"not by {time.until:g}" if not time.split else "not by every seed"
            if time.at is not None:
                numbers[f"its uncertainty, {side}, at {p.label}"] = time.error
        if p.faster.at and p.slower.at:
            numbers[f"ratio of the times at {p.label}"] = p.slower.at / p.faster.at
    numbers["factor"] = args.factor
    numbers["standard errors a difference must clear"] = args.sigmas
    return numbers


def _figures(args: TimeTo, comparison: Comparison, pairs: list[Pair],
             curves: Curves) -> list[go.Figure]:
    """The two arms' curves side by side, a diamond where the faster side's mean curve
    reaches the event."""
    marks = {p.label: (p.faster.at, args.event.above if args.event.above is not None
                       else args.event.below)
             for p in pairs if p.faster.at is not None and args.unit == "step"}
    return pair_figures(comparison, curves, args.event.metric, marks)
