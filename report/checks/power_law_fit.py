"""power_law_fit: fit metric = A * x^k (+ E) and check the exponent k, with its uncertainty.

"Loss falls as a power of the training budget with an exponent near -0.3": the completed
runs (each seed its own point) are fitted by least squares (report.checks.fitting), and the
exponent's confidence interval comes from resampling the runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from compiler.language.check_args import PowerLawFit
from report.checks.decide import Decision, verdict_of
from report.checks.fitting import PowerLaw, bootstrap, fit_power_law
from report.checks.points import points
from report.checks.rule import rule
from report.checks.selection import (
    Counts,
    conditions,
    require_columns,
    require_metric,
    require_positive,
    select,
    sentence,
    short,
)
from report.checks.verdict import CheckResult, Number
from report.figures.curves import CurveGroup, curves_figure
from report.figures.style import compact, label
from report.figures.sweep import Panel, sweep_figure
from report.table import Curves

KIND = "power_law_fit"


def power_law_fit(args: PowerLawFit, table: pd.DataFrame, curves: Curves) -> CheckResult:
    require_columns(KIND, table, {"against": [args.against]})
    checked = select(KIND, table, args.where)
    require_metric(KIND, table, args.metric)
    require_positive(KIND, table, args.against)
    counts = Counts.of(checked)
    blockers = counts.problems()
    done = checked[(checked.status == "completed") & checked[args.metric].notna()] \
        if args.metric in checked else checked.iloc[:0]
    if not args.offset:
        done = done[done[args.metric] > 0]
    x, y = done[args.against].to_numpy(float), done[args.metric].to_numpy(float)
    needed = 4 if args.offset else 3
    numbers: dict[str, Number] = {}
    fitted, interval = None, None
    if len(np.unique(x)) < needed:
        blockers.append(f"{len(np.unique(x))} values of {args.against} have a completed run; "
                        f"the fit needs {needed}")
    else:
        fitted = fit_power_law(x, y, offset=args.offset)
        resampled = bootstrap(len(x), lambda i: fit_power_law(x[i], y[i], offset=args.offset)
                              if len(np.unique(x[i])) >= needed else None)
        tail = (1 - args.confidence) / 2 * 100
        low, high = np.percentile([law.exponent for law in resampled], [tail, 100 - tail])
        interval = (float(low), float(high))
        numbers = _fit_numbers(args, fitted, interval, len(x))
    decisions: list[Decision] = [] if interval is None else [_decide(interval, args.exponent)]
    return CheckResult(
        verdict=verdict_of(decisions, blockers),
        summary=_summary(args, fitted, interval, blockers), rule=rule(args),
        numbers={**numbers, "lowest exponent allowed": args.exponent[0],
                 "highest exponent allowed": args.exponent[1], **counts.numbers()},
        figures=_figures(args, checked, fitted, x, curves), runs=list(checked.id))


def _decide(interval: tuple[float, float], allowed: tuple[float, float]) -> Decision:
    if allowed[0] <= interval[0] and interval[1] <= allowed[1]:
        return "holds"
    if interval[1] < allowed[0] or interval[0] > allowed[1]:
        return "fails"
    return "unclear"


def _fit_numbers(args: PowerLawFit, law: PowerLaw, interval: tuple[float, float],
                 n: int) -> dict[str, Number]:
    share = f"{args.confidence:.0%}"
    numbers: dict[str, Number] = {
        "exponent k": law.exponent, f"k, {share} interval low": interval[0],
        f"k, {share} interval high": interval[1], "scale A": law.scale}
    if args.offset:
        numbers["offset E"] = law.offset
    numbers["runs fitted"] = n
    return numbers


def _summary(args: PowerLawFit, law: PowerLaw | None, interval: tuple[float, float] | None,
             blockers: list[str]) -> str:
    if law is None or interval is None:
        return sentence(blockers)
    claimed = f"the claimed [{args.exponent[0]:g}, {args.exponent[1]:g}]"
    found = (f"The fitted exponent of {args.metric} ~ {args.against}^k is k = "
             f"{law.exponent:.3g} ({args.confidence:.0%} interval [{interval[0]:.3g}, "
             f"{interval[1]:.3g}])")
    verdict = _decide(interval, args.exponent)
    if verdict == "fails":
        return f"{found}, outside {claimed}."
    if blockers:
        return sentence(blockers) + f" So far: {found}."
    if verdict == "unclear":
        return f"{found}: the interval straddles {claimed}."
    return f"{found}, within {claimed}."


def _figures(args: PowerLawFit, checked: pd.DataFrame, law: PowerLaw | None, x: np.ndarray,
             curves: Curves) -> list[go.Figure]:
    if not (checked.status == "completed").any():
        return []
    measured = points(checked, [args.against], args.metric)
    measured = measured.assign(group="measured (mean over seeds)", x=measured[args.against])
    fig = sweep_figure([Panel(title=conditions(args.where) or "all runs", points=measured)],
                       x_title=args.against, y_title=args.metric, y_log=not args.offset)
    if law is not None:
        grid = np.geomspace(x.min(), x.max(), 48)
        fig.add_trace(go.Scatter(x=grid, y=compact(law(grid)), mode="lines",
                                 name=f"fit: k = {law.exponent:.3g}",
                                 line={"dash": "dash", "color": "#888888"}))
    groups = [CurveGroup(panel="curves", label=label(short(args.against), value),
                         runs=tuple(runs.id)) for value, runs in checked.groupby(args.against)]
    curves_fig = curves_figure(groups, curves, args.metric.removeprefix("final."))
    return [fig] if curves_fig is None else [fig, curves_fig]
