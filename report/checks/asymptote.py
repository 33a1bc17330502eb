"""asymptote: one arm levels off below another ("ensembles reach a lower loss asymptote than
single models, as parameters grow").

Each arm's points (mean over seeds; with `tuned`, each at its best setting), selected as
every two-arm check selects them (report.checks.pairs), are fitted as metric = E + A * x^k
with k < 0 (report.checks.fitting: the exponent searched, E and A solved exactly), x the
`against` value. E, where the arm levels off as x grows, rests
on an extrapolation, so its uncertainty is the jackknife over the values of x: the spread of
E over the fits that each leave one value out, sqrt((n-1)/n * sum (E_i - mean)^2). With four
values each of those fits has three points for three coefficients: the uncertainty then says
how far the asymptote moves when any one size is dropped, which is what a few sizes can vouch
for. The difference of the two asymptotes is weighed against both uncertainties by
report.checks.decide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from compiler.language.check_args import Asymptote
from report.checks.decide import Decision, decide, verdict_of
from report.checks.fitting import PowerLaw, fit_power_law
from report.checks.pairs import compare
from report.checks.points import points
from report.checks.rule import rule
from report.checks.selection import (
    conditions,
    line_keys,
    require_columns,
    require_metric,
    require_positive,
    select,
    sentence,
)
from report.checks.verdict import CheckResult, Number
from report.errors import ReportError
from report.figures.style import compact
from report.figures.sweep import Panel, sweep_figure
from report.table import Curves

KIND = "asymptote"
# The exponents searched: the law must level off (k < 0); a best k at the upper bound means
# the points do not bend towards any asymptote.
LEVELLING_BOUNDS = (-4.0, -0.01)
# Values of x a fit needs: three coefficients, and one more to leave out for the jackknife.
NEEDED = 4


@dataclass(frozen=True)
class Arm:
    name: str
    where: dict
    points: pd.DataFrame              # one row per x: against, y, n, state, runs
    law: PowerLaw | None = None       # fitted to the completed points
    error: float = math.nan           # the jackknife uncertainty of law.offset

    @property
    def title(self) -> str:
        return conditions(self.where)

    @property
    def levels_off(self) -> bool:
        return self.law is not None and self.law.exponent < LEVELLING_BOUNDS[1] - 1e-9


def asymptote(args: Asymptote, table: pd.DataFrame, curves: Curves) -> CheckResult:
    require_columns(KIND, table, {"against": [args.against]})
    require_metric(KIND, table, args.metric)
    require_positive(KIND, select(KIND, table, args.where), args.against)
    # The arms' runs and points (each tuned) as any two-arm check has them; their pairs are
    # not used: each arm is fitted on its own, over whatever values of `against` it has.
    comparison = compare(KIND, table, where=args.where, metric=args.metric,
                         arms={"lower": args.lower, "higher": args.higher}, tuned=args.tuned)
    arms = []
    for arm in (comparison.first, comparison.second):
        runs = table[table.id.isin([run for runs in arm.points.runs for run in runs])]
        others = line_keys(runs, (args.against, *args.tuned))
        if others:
            raise ReportError(f"{KIND}: the runs of {arm.name} differ in {', '.join(others)} "
                              f"besides {args.against}; name one value of each in `where` or "
                              f"the arm")
        arms.append(_fitted(arm.name, arm.where, points(runs, [args.against], args.metric),
                            args.against))
    lower, higher = arms
    counts = comparison.counts
    blockers = counts.problems(diverged_too=not args.tuned) + comparison.tuning_problems
    for arm in arms:
        done = int((arm.points.state == "completed").sum())
        if arm.law is None:
            blockers.append(f"{done} values of {args.against} of {arm.name} completed; the fit "
                            f"and its jackknife need {NEEDED}")
        elif not arm.levels_off:
            blockers.append(f"the fit to {arm.name} does not level off (its exponent is at "
                            f"{LEVELLING_BOUNDS[1]:g}, the bound), so it has no asymptote")
    gap = higher.law.offset - lower.law.offset if lower.law and higher.law else None
    error = math.hypot(lower.error, higher.error)
    decisions = [decide(gap - args.margin, error, args.sigmas)] \
        if gap is not None and lower.levels_off and higher.levels_off else []
    return CheckResult(
        verdict=verdict_of(decisions, blockers),
        summary=_summary(args, arms, gap, error, decisions, blockers), rule=rule(args),
        numbers={**_numbers(args, arms, gap, error), **comparison.chosen, **counts.numbers()},
        figures=_figures(args, arms), runs=comparison.run_ids())


def _fitted(name: str, where: dict, found: pd.DataFrame, against: str) -> Arm:
    """The arm with its law fitted to its completed points, when it has enough."""
    done = found[found.state == "completed"]
    if len(done) < NEEDED:
        return Arm(name=name, where=where, points=found)
    x, y = done[against].to_numpy(float), done.y.to_numpy(float)
    law = _fit(x, y)
    left_out = [_fit(np.delete(x, i), np.delete(y, i)).offset for i in range(len(x))]
    n = len(left_out)
    error = math.sqrt((n - 1) / n * float(np.sum((np.array(left_out) - np.mean(left_out)) ** 2)))
    return Arm(name=name, where=where, points=found, law=law, error=error)


def _fit(x: np.ndarray, y: np.ndarray) -> PowerLaw:
    return fit_power_law(x, y, offset=True, bounds=LEVELLING_BOUNDS)


def _numbers(args: Asymptote, arms: list[Arm], gap: float | None,
             error: float) -> dict[str, Number]:
    numbers: dict[str, Number] = {}
    for arm in arms:
        if arm.law is None:
            continue
        numbers[f"asymptote E of {arm.name}"] = arm.law.offset
        numbers[f"its jackknife uncertainty ({arm.name})"] = arm.error
        numbers[f"exponent k of {arm.name}"] = arm.law.exponent
        numbers[f"scale A of {arm.name}"] = arm.law.scale
    if gap is not None:
        numbers["E of higher - E of lower"] = gap
        numbers["uncertainty of the difference"] = error
    numbers["margin"] = args.margin
    numbers["standard uncertainties a difference must clear"] = args.sigmas
    return numbers


def _summary(args: Asymptote, arms: list[Arm], gap: float | None, error: float,
             decisions: list[Decision], blockers: list[str]) -> str:
    lower, higher = arms
    fits = "; ".join(f"{arm.title} levels off at E = {arm.law.offset:.4g} ± {arm.error:.2g} "
                     f"(exponent {arm.law.exponent:.2g})"
                     for arm in arms if arm.law is not None and arm.levels_off)
    by = f" by {args.margin:g}" if args.margin else ""
    if decisions == ["fails"]:
        return f"{lower.title} does not level off below {higher.title}{by}: {fits}."
    if blockers:
        return sentence(blockers) + (f" So far: {fits}." if fits else "")
    if decisions == ["unclear"]:
        return (f"{fits}: the difference, {gap:.3g}, is within {args.sigmas:g} uncertainties "
                f"({error:.2g}) of{by or ''} {'the margin' if args.margin else 'zero'}; more "
                f"values of {args.against}, further out, would pin the asymptotes down.")
    return f"{lower.title} levels off below {higher.title}{by}: {fits}."


def _figures(args: Asymptote, arms: list[Arm]) -> list[go.Figure]:
    """Each arm's points against `against` with its fitted law and asymptote."""
    frames = []
    for arm in arms:
        frame = arm.points.rename(columns={args.against: "x"})
        frame["group"] = arm.title
        frames.append(frame)
    sweep = pd.concat(frames, ignore_index=True)
    if not (sweep.state == "completed").any():
        return []
    fig = sweep_figure([Panel(title=conditions(args.where) or "all runs", points=sweep)],
                       x_title=args.against, y_title=args.metric)
    for arm in arms:
        if arm.law is None:
            continue
        xs = sweep.x[sweep.state == "completed"].to_numpy(float)
        grid = np.geomspace(xs.min(), xs.max() * 100, 60)
        fig.add_trace(go.Scatter(x=grid, y=compact(pd.Series(arm.law(grid))), mode="lines",
                                 line_dash="dot", name=f"fit: {arm.title}"))
        fig.add_hline(y=arm.law.offset, line_dash="dash", line_width=1,
                      annotation_text=f"E = {arm.law.offset:.4g}")
    return [fig]
