"""matches: one arm scores within a tolerance of another, at every point they share.

"Replay of 5% matches retraining from scratch": the gap at a pair is |a - b| (means over
seeds, paired by report.checks.pairs), weighed against `tolerance` and the seed-to-seed
noise by report.checks.decide.
"""

from __future__ import annotations

import pandas as pd

from compiler.language.check_args import Matches
from report.checks.decide import Decision, decide, noise_numbers, verdict_of, within_noise
from report.checks.pair_figures import pair_figures
from report.checks.pairs import Comparison, compare
from report.checks.rule import rule
from report.checks.selection import require_metric, sentence
from report.checks.verdict import CheckResult, Number
from report.table import Curves

KIND = "matches"


def matches(args: Matches, table: pd.DataFrame, curves: Curves) -> CheckResult:
    require_metric(KIND, table, args.metric)
    comparison = compare(KIND, table, where=args.where, metric=args.metric,
                         arms={"a": args.a, "b": args.b},
                         tuned=args.tuned, paired=args.paired)
    numbers: dict[str, Number] = {}
    decisions: list[Decision] = []
    for pair in comparison.completed():
        gap = abs(pair["y_1"] - pair["y_2"])
        tolerance = args.tolerance * abs(pair["y_2"]) if args.relative else args.tolerance
        decisions.append(decide(tolerance - gap, comparison.error(pair), args.sigmas))
        numbers[f"gap at {comparison.pair_label(pair)}"] = \
            gap / abs(pair["y_2"]) if args.relative else gap
    blockers = comparison.blockers()
    return CheckResult(
        verdict=verdict_of(decisions, blockers),
        summary=_summary(args, comparison, decisions, blockers, numbers), rule=rule(args),
        numbers={**numbers, "tolerance" + (" (relative)" if args.relative else ""):
                 args.tolerance, **noise_numbers(comparison.noise, args.sigmas, comparison.paired),
                 **comparison.chosen, **comparison.counts.numbers()},
        figures=pair_figures(comparison, curves, args.metric),
        runs=comparison.run_ids())


def _summary(args: Matches, comparison: Comparison, decisions: list[Decision],
             blockers: list[str], gaps: dict[str, Number]) -> str:
    a, b = comparison.first.title, comparison.second.title
    listing = ", ".join(f"{label.removeprefix('gap at ')}: {gap:.3g}"
                        for label, gap in gaps.items())
    tolerance = f"{args.tolerance:g}" + (" of b" if args.relative else "")
    fails, unclear = decisions.count("fails"), decisions.count("unclear")
    if fails:
        return (f"{a} differs from {b} on {args.metric} by more than {tolerance} at {fails} "
                f"of {len(decisions)} points (gap {listing}).")
    if blockers:
        return sentence(blockers) + (f" So far the gap is {listing}." if listing else "")
    if unclear:
        within = within_noise(comparison.noise, args.sigmas, comparison.paired)
        return (f"At {unclear} of {len(decisions)} points the gap between {a} and {b} is "
                f"within {within} of the tolerance "
                f"{tolerance} (gap {listing}).")
    return (f"{a} matches {b} on {args.metric} within {tolerance} at all {len(decisions)} "
            f"points (gap {listing}).")
