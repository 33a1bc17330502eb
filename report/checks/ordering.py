"""ordering: one arm scores below another by a margin, at every point they share.

"WSD ends below cosine at every budget": `lower` is the WSD runs, `higher` the cosine runs,
paired by budget (report.checks.pairs). The gap at a pair is higher - lower, weighed
against `margin` and the seed-to-seed noise by report.checks.decide.
"""

from __future__ import annotations

import pandas as pd

from compiler.language.check_args import Ordering
from report.checks.decide import Decision, decide, noise_numbers, verdict_of, within_noise
from report.checks.pair_figures import pair_figures
from report.checks.pairs import Comparison, compare
from report.checks.rule import rule
from report.checks.selection import require_metric, sentence
from report.checks.verdict import CheckResult, Number
from report.table import Curves

KIND = "ordering"


def ordering(args: Ordering, table: pd.DataFrame, curves: Curves) -> CheckResult:
    require_metric(KIND, table, args.metric)
    comparison = compare(KIND, table, where=args.where, metric=args.metric,
                         arms={"lower": args.lower, "higher": args.higher},
                         tuned=args.tuned, paired=args.paired)
    numbers: dict[str, Number] = {}
    decisions: list[Decision] = []
    for pair in comparison.completed():
        gap = pair["y_2"] - pair["y_1"]
        decisions.append(decide(gap - args.margin, comparison.error(pair), args.sigmas))
        numbers[f"gap at {comparison.pair_label(pair)}"] = gap
    blockers = comparison.blockers()
    verdict = verdict_of(decisions, blockers)
    return CheckResult(
        verdict=verdict, summary=_summary(args, comparison, decisions, blockers, numbers),
        rule=rule(args),
        numbers={**numbers, "margin": args.margin,
                 **noise_numbers(comparison.noise, args.sigmas, comparison.paired),
                 **comparison.chosen, **comparison.counts.numbers()},
        figures=pair_figures(comparison, curves, args.metric),
        runs=comparison.run_ids())


def _summary(args: Ordering, comparison: Comparison, decisions: list[Decision],
             blockers: list[str], gaps: dict[str, Number]) -> str:
    lower, higher = comparison.first.title, comparison.second.title
    listing = ", ".join(f"{label.removeprefix('gap at ')}: {gap:.4g}"
                        for label, gap in gaps.items())
    fails, unclear = decisions.count("fails"), decisions.count("unclear")
    if fails:
        by = f" by {args.margin:g}" if args.margin else ""
        return (f"{lower} is not below {higher} on {args.metric}{by} at {fails} of "
                f"{len(decisions)} points (gap {listing}).")
    if blockers:
        return sentence(blockers) + (f" So far the gap is {listing}." if listing else "")
    if unclear:
        within = within_noise(comparison.noise, args.sigmas, comparison.paired)
        return (f"At {unclear} of {len(decisions)} points the gap between {lower} and "
                f"{higher} is within {within} of the "
                f"margin {args.margin:g} (gap {listing}).")
    by = f" by more than {args.margin:g}" if args.margin else ""
    return (f"{lower} is below {higher} on {args.metric}{by} at all {len(decisions)} points "
            f"(gap {listing}).")
