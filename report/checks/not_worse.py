"""not_worse: non-inferiority, one arm no worse than another by more than a margin.

"APOLLO, at a fraction of the optimizer state, is not worse than AdamW by more than 1%": the
runs of `a` and `b` pair up as in `ordering` (report.checks.pairs); at each pair, how much
worse `a` is (a - b for a loss) must stay below `margin`, by more than the seed-to-seed noise
when there are seeds (report.checks.decide). Unlike `matches`, `a` may be better by any amount.
"""

from __future__ import annotations

import pandas as pd

from compiler.language.check_args import NotWorse
from report.checks.decide import Decision, decide, noise_numbers, verdict_of, within_noise
from report.checks.pair_figures import pair_figures
from report.checks.pairs import Comparison, compare
from report.checks.rule import rule
from report.checks.selection import require_metric, sentence
from report.checks.verdict import CheckResult, Number
from report.table import Curves

KIND = "not_worse"


def not_worse(args: NotWorse, table: pd.DataFrame, curves: Curves) -> CheckResult:
    require_metric(KIND, table, args.metric)
    comparison = compare(KIND, table, where=args.where, metric=args.metric,
                         arms={"a": args.a, "b": args.b},
                         tuned=args.tuned, paired=args.paired)
    numbers: dict[str, Number] = {}
    decisions: list[Decision] = []
    sign = -1 if args.higher_is_better else 1
    for pair in comparison.completed():
        worse = sign * (pair["y_1"] - pair["y_2"])
        scale = abs(pair["y_2"]) if args.relative else 1.0
        decisions.append(decide(args.margin * scale - worse, comparison.error(pair),
                                args.sigmas))
        numbers[f"a worse than b by, at {comparison.pair_label(pair)}"] = worse / scale
    blockers = comparison.blockers()
    return CheckResult(
        verdict=verdict_of(decisions, blockers),
        summary=_summary(args, comparison, decisions, blockers, numbers), rule=rule(args),
        numbers={**numbers, "margin" + (" (relative)" if args.relative else ""): args.margin,
                 **noise_numbers(comparison.noise, args.sigmas, comparison.paired),
                 **comparison.chosen,
                 **comparison.counts.numbers()},
        figures=pair_figures(comparison, curves, args.metric),
        runs=comparison.run_ids())


def _summary(args: NotWorse, comparison: Comparison, decisions: list[Decision],
             blockers: list[str], worse: dict[str, Number]) -> str:
    a, b = comparison.first.title, comparison.second.title
    listing = ", ".join(f"{label.split(', at ', 1)[1]}: {value:+.3g}"
                        for label, value in worse.items())
    margin = f"{args.margin:g}" + (" of b" if args.relative else "")
    fails, unclear = decisions.count("fails"), decisions.count("unclear")
    if fails:
        return (f"{a} is worse than {b} on {args.metric} by more than {margin} at {fails} of "
                f"{len(decisions)} points (worse by {listing}).")
    if blockers:
        return sentence(blockers) + (f" So far {a} is worse by {listing}." if listing else "")
    if unclear:
        within = within_noise(comparison.noise, args.sigmas, comparison.paired)
        return (f"At {unclear} of {len(decisions)} points how much worse {a} is than {b} is "
                f"within {within} of the margin {margin} "
                f"(worse by {listing}).")
    return (f"{a} is not worse than {b} on {args.metric} by more than {margin} at any of "
            f"{len(decisions)} points (worse by {listing}; negative is better).")
