"""gain_ratio: the gain of a treatment under one condition, as a multiple of its gain under
another.

"A curriculum's gain at a constant learning rate fades under cosine decay to at most half":
the treatment's gain is base - treated (means over seeds, paired as in `ordering` by
report.checks.pairs), measured once among the runs of `under` and once among those of
`reference`. A bound r on their ratio is decided on gain - r * reference gain (or its
negative), whose standard error combines the two gains' own (report.checks.decide), as
independent estimates from different runs; the ratio itself is noisy as its denominator
nears zero. A reference gain that is not clearly above zero leaves nothing to bound: any
gain is "at most half" of a loss, so such a pair decides nothing.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from compiler.language.check_args import GainRatio
from report.checks.decide import Decision, decide, verdict_of
from report.checks.pair_figures import pair_figures
from report.checks.pairs import Comparison, compare
from report.checks.rule import rule
from report.checks.selection import conditions, require_metric, sentence
from report.checks.verdict import CheckResult, Number
from report.table import Curves

KIND = "gain_ratio"


def gain_ratio(args: GainRatio, table: pd.DataFrame, curves: Curves) -> CheckResult:
    reference_metric = args.reference_metric or args.metric
    require_metric(KIND, table, args.metric)
    require_metric(KIND, table, reference_metric)
    gain = _gain(args, table, args.under, args.metric)
    reference = _gain(args, table, args.reference, reference_metric)
    numbers: dict[str, Number] = {}
    decisions: list[Decision] = []
    no_reference: list[str] = []
    for label, (g, g_error), (r, r_error) in _matched(gain, reference):
        at = f" at {label}" if label else ""
        numbers[f"gain under {conditions(args.under)}{at}"] = g
        numbers[f"reference gain under {conditions(args.reference)}{at}"] = r
        numbers[f"ratio{at}"] = g / r if r else math.nan
        numbers[f"standard errors of the gains{at}"] = f"{g_error:.3g}, {r_error:.3g}"
        # A multiple of a gain that is not there says nothing: with a reference gain of
        # zero or below, any gain keeps "at most half of it" backwards.
        if decide(r, r_error, args.sigmas) != "holds":
            no_reference.append(f"{r:.4g}{at}")
            decisions.append("unclear")
            continue
        for bound, sign in ((args.at_most, -1.0), (args.at_least, 1.0)):
            if bound is not None:
                error = math.hypot(g_error, bound * r_error)
                decisions.append(decide(sign * (g - bound * r), error, args.sigmas))
    blockers = gain.blockers() + reference.blockers()
    if no_reference:
        blockers.append(f"the reference gain is not clearly above zero ({', '.join(no_reference)}"
                        f", by {args.sigmas:g} standard errors), so it has no multiple to bound")
    verdict = verdict_of(decisions, blockers)
    return CheckResult(
        verdict=verdict, summary=_summary(args, decisions, blockers, numbers), rule=rule(args),
        numbers={**numbers, **_bounds(args), "standard errors a bound must clear": args.sigmas,
                 **{f"{key} (gain)": value for key, value in gain.counts.numbers().items()},
                 **{f"{key} (reference)": value
                    for key, value in reference.counts.numbers().items()}},
        figures=pair_figures(gain, curves, args.metric)
        + pair_figures(reference, curves, reference_metric),
        runs=list(dict.fromkeys(gain.run_ids() + reference.run_ids())))


def _gain(args: GainRatio, table: pd.DataFrame, condition: dict[str, Any],
          metric: str) -> Comparison:
    """base against treated among the runs of `condition`: y_1 - y_2 is the gain."""
    return compare(KIND, table, where=args.where, metric=metric,
                   arms={"base": {**args.base, **condition},
                         "treated": {**args.treated, **condition}})


def _matched(gain: Comparison, reference: Comparison
            ) -> list[tuple[str, tuple[float, float], tuple[float, float]]]:
    """(label, (gain, its error), (reference gain, its error)) per pair of gains: matched on
    the config values both comparisons pair their runs on, every one with every one when
    they share none."""
    def rows(comparison: Comparison) -> pd.DataFrame:
        done = comparison.completed()
        return pd.DataFrame({
            **{key: [pair[key] for pair in done] for key in comparison.keys},
            "label": [comparison.pair_label(pair) for pair in done],
            "gain": [pair["y_1"] - pair["y_2"] for pair in done],
            "error": [comparison.error(pair) for pair in done]})

    mine, theirs = rows(gain), rows(reference)
    shared = [key for key in gain.keys if key in reference.keys]
    merged = mine.merge(theirs, on=shared, how="inner", suffixes=("", "_r")) if shared \
        else mine.merge(theirs, how="cross", suffixes=("", "_r"))
    return [(row["label"] if row["label"] != "all runs" else "",
             (row["gain"], row["error"]), (row["gain_r"], row["error_r"]))
            for row in merged.to_dict("records")]


def _bounds(args: GainRatio) -> dict[str, Number]:
    bounds: dict[str, Number] = {}
    if args.at_most is not None:
        bounds["ratio at most"] = args.at_most
    if args.at_least is not None:
        bounds["ratio at least"] = args.at_least
    return bounds


def _summary(args: GainRatio, decisions: list[Decision], blockers: list[str],
             numbers: dict[str, Number]) -> str:
    treated, base = conditions(args.treated), conditions(args.base)
    gains = "; ".join(f"{label}: {value:.4g}" for label, value in numbers.items()
                      if label.startswith(("gain", "reference gain", "ratio")))
    bound = " and ".join(f"{word} {value:g}" for word, value in
                         (("at most", args.at_most), ("at least", args.at_least))
                         if value is not None)
    claim = (f"the gain of {treated} over {base} under {conditions(args.under)} is {bound} "
             f"times that under {conditions(args.reference)}")
    if "fails" in decisions:
        return f"Not so that {claim} ({gains})."
    if blockers:
        return sentence(blockers) + (f" So far: {gains}." if gains else "")
    if "unclear" in decisions or not decisions:
        return (f"Undecided whether {claim}: the difference is within {args.sigmas:g} "
                f"standard errors of the bound ({gains}).")
    return f"Yes: {claim} ({gains})."
