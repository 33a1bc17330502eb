"""crossing: two arms' curves cross before the end.

"WSD's loss stays above cosine's until its decay, then ends below": the curves of `a` and
`b` (means over seeds, paired by report.checks.pairs) are compared at the steps both
logged. A step counts only where the gap clears the seed-to-seed noise at that step; the
curves cross when the side that is clearly lower changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from compiler.language.check_args import Crossing
from report.checks.decide import Decision, verdict_of
from report.checks.pair_figures import pair_figures
from report.checks.pairs import Comparison, compare
from report.checks.rule import rule
from report.checks.selection import sentence
from report.checks.verdict import CheckResult, Number
from report.table import Curves

KIND = "crossing"


@dataclass(frozen=True)
class Gaps:
    """a - b at each step both logged, and how large a gap must be to count there."""

    step: np.ndarray
    gap: np.ndarray
    needed: np.ndarray
    a: np.ndarray               # a's mean, where a crossing is marked

    def crossing(self) -> int | None:
        """The index of the first step clearly on the other side, None if none."""
        sides = np.where(self.gap > self.needed, 1, np.where(self.gap < -self.needed, -1, 0))
        clear = np.flatnonzero(sides)
        changed = clear[sides[clear] != sides[clear[0]]] if len(clear) else clear
        return int(changed[0]) if len(changed) else None

    def parted(self) -> bool:
        return bool((np.abs(self.gap) > self.needed).any())


def crossing(args: Crossing, table: pd.DataFrame, curves: Curves) -> CheckResult:
    comparison = compare(KIND, table, where=args.where, metric=f"final.{args.metric}",
                         arms={"a": args.a, "b": args.b}, tuned=args.tuned)
    decisions: list[Decision] = []
    numbers: dict[str, Number] = {}
    marks: dict[str, tuple[float, float]] = {}
    for pair in comparison.completed():
        where = comparison.pair_label(pair)
        gaps = _gaps(curves, pair, args)
        at = gaps.crossing()
        if at is None:
            decisions.append("fails" if gaps.parted() else "unclear")
            if len(gaps.step):
                numbers[f"gap a - b at the last step at {where}"] = float(gaps.gap[-1])
            continue
        step = float(gaps.step[at])
        numbers[f"crossing step at {where}"] = step
        marks[where] = (step, float(gaps.a[at]))
        decisions.append("fails" if args.before is not None and step > args.before
                         else "holds")
    blockers = comparison.blockers()
    return CheckResult(
        verdict=verdict_of(decisions, blockers),
        summary=_summary(args, comparison, decisions, blockers, numbers), rule=rule(args),
        numbers={**numbers, **comparison.chosen, **comparison.counts.numbers()},
        figures=pair_figures(comparison, curves, args.metric, marks),
        runs=comparison.run_ids())


def _gaps(curves: Curves, pair: dict, args: Crossing) -> Gaps:
    a = curves.over_seeds(pair["runs_1"], args.metric)
    b = curves.over_seeds(pair["runs_2"], args.metric)
    both = a.merge(b, on="step", suffixes=("_a", "_b"))
    error = np.sqrt((both.std_a.fillna(0) ** 2 / both.n_a)
                    + (both.std_b.fillna(0) ** 2 / both.n_b)).to_numpy(float)
    return Gaps(step=both.step.to_numpy(float),
                gap=(both.mean_a - both.mean_b).to_numpy(float),
                needed=args.sigmas * error, a=both.mean_a.to_numpy(float))


def _summary(args: Crossing, comparison: Comparison, decisions: list[Decision],
             blockers: list[str], numbers: dict[str, Number]) -> str:
    a, b = comparison.first.title, comparison.second.title
    steps = ", ".join(f"{label.removeprefix('crossing step at ')}: step {value:g}"
                      for label, value in numbers.items() if label.startswith("crossing"))
    fails, unclear = decisions.count("fails"), decisions.count("unclear")
    by = f" by step {args.before}" if args.before is not None else ""
    if fails:
        return (f"The {args.metric} curves of {a} and {b} do not cross{by} at {fails} of "
                f"{len(decisions)} points" + (f" (they cross at {steps})." if steps else "."))
    if blockers:
        return sentence(blockers) + (f" So far they cross at {steps}." if steps else "")
    if unclear:
        return (f"At {unclear} of {len(decisions)} points the {args.metric} curves of {a} and "
                f"{b} never part by more than {args.sigmas:g} standard errors of the "
                "seed-to-seed noise.")
    return f"The {args.metric} curves of {a} and {b} cross{by} ({steps})."
