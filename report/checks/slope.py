"""slope: the log-log slope of a metric against an axis lies in a range.

Two uses. A coord check: `final.act_rms/*` against `model.width` has slope ~0 under muP for
every parameter role. A scaling rule: with `over: optimizer.lr`, the best learning rate
against `data.batch_size` has slope ~0.5 (square-root scaling). Runs that differ in other
config values than the axis (and `over`, and the seed) form separate lines, each fitted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from compiler.language.check_args import Slope
from report.checks.decide import Decision, decide, verdict_of
from report.checks.fitting import loglog_slope
from report.checks.optima import Optimum, advice, find_optima
from report.checks.points import points
from report.checks.rule import rule
from report.checks.selection import (
    Counts,
    by_config,
    conditions,
    fmt,
    line_keys,
    naming,
    require_columns,
    require_positive,
    select,
    sentence,
)
from report.checks.slope_figures import slope_figures
from report.checks.verdict import CheckResult, Number
from report.errors import ReportError
from report.table import Curves, named_by

KIND = "slope"


@dataclass(frozen=True)
class Fitted:
    metric: str
    line: str                   # the other config values of the line, "" when none vary
    x: np.ndarray
    y: np.ndarray               # means over seeds (or the optimum of `over` at each x)
    slope: float
    intercept: float
    # The slope's standard error: from per-seed slopes (0 with one seed), or with `over`
    # from the optima's uncertainties.
    error: float
    optima: dict[str, Optimum] = field(default_factory=dict)   # with `over`, by where

    @property
    def name(self) -> str:
        return ", ".join(part for part in (self.metric.removeprefix("final."), self.line) if part)


def slope(args: Slope, table: pd.DataFrame, curves: Curves) -> CheckResult:
    require_columns(KIND, table, {"against": [args.against],
                                  "over": [args.over] if args.over else []})
    checked = select(KIND, table, args.where)
    require_positive(KIND, table, args.against)
    if args.over:
        require_positive(KIND, table, args.over)
    counts = Counts.of(checked)
    blockers = counts.problems(diverged_too=args.over is None)
    axes = (args.against, args.over) if args.over else (args.against,)
    keys = line_keys(checked, axes)
    fits: list[Fitted] = []
    for metric in _metrics(args, table):
        for line, runs in _lines(checked, keys):
            fitted = _fit_optimum(args, metric, line, runs, blockers) if args.over \
                else _fit_metric(args, metric, line, runs)
            if fitted is None:
                blockers.append(f"{metric}{f' at {line}' if line else ''} has fewer than two "
                                f"{args.against} values to fit")
            else:
                fits.append(fitted)
    decisions: list[Decision] = [
        decide(min(f.slope - args.within[0], args.within[1] - f.slope), f.error, args.sigmas)
        for f in fits]
    numbers: dict[str, Number] = {f"slope of {f.name}": f.slope for f in fits}
    numbers.update({f"standard error of the slope of {f.name}": f.error
                    for f in fits if f.error or f.optima})
    for f in fits:
        for where, o in f.optima.items():
            numbers[f"best {args.over} at {where}"] = o.x
            numbers[f"its uncertainty (log10) at {where}"] = o.error
    optima = [o for f in fits for o in f.optima.values()]
    if optima:
        numbers[f"grid spacing of {args.over} near the optima (log10)"] = \
            max(o.spacing for o in optima)
        numbers["seeds per point"] = min(o.seeds for o in optima)
    numbers.update({"lowest slope allowed": args.within[0],
                    "highest slope allowed": args.within[1]})
    return CheckResult(
        verdict=verdict_of(decisions, blockers),
        summary=_summary(args, fits, decisions, blockers), rule=rule(args),
        numbers={**numbers, **_noise_numbers(args, fits), **counts.numbers()},
        figures=slope_figures(args, table, checked, fits, curves),
        runs=list(checked.id))


def _metrics(args: Slope, table: pd.DataFrame) -> list[str]:
    """The final metrics `metric` names; none while no run has completed."""
    names = sorted(column for column in table if named_by(args.metric, column))
    if names:
        return names
    if not (table.status == "completed").any():
        return []
    finals = sorted(c for c in table if c.startswith("final."))
    raise ReportError(f"{KIND}: no run reports a metric {args.metric!r}; the runs report "
                      f"{', '.join(finals) or 'no final metrics'}")


def _lines(runs: pd.DataFrame, keys: list[str]) -> list[tuple[str, pd.DataFrame]]:
    names = naming(runs, keys)
    return [(conditions({k: values[k] for k in names}), group)
            for values, group in by_config(runs, keys)]


def _fit_metric(args: Slope, metric: str, line: str, runs: pd.DataFrame) -> Fitted | None:
    means = points(runs, [args.against], metric)
    done = means[(means.state == "completed") & (means.y > 0)]
    if done[args.against].nunique() < 2:
        return None
    x, y = done[args.against].to_numpy(float), done.y.to_numpy(float)
    fitted_slope, intercept = loglog_slope(x, y)
    return Fitted(metric=metric, line=line, x=x, y=y, slope=fitted_slope, intercept=intercept,
                  error=_per_seed_error(runs, args.against, metric))


def _per_seed_error(runs: pd.DataFrame, against: str, metric: str) -> float:
    """The standard error of the slope from its spread across seeds (0 with one seed)."""
    slopes = []
    for _, seed_runs in runs[runs.status == "completed"].groupby("seed"):
        usable = seed_runs[seed_runs[metric] > 0]
        if usable[against].nunique() >= 2:
            slopes.append(loglog_slope(usable[against].to_numpy(float),
                                       usable[metric].to_numpy(float))[0])
    if len(slopes) < 2:
        return 0.0
    return float(np.std(slopes, ddof=1) / math.sqrt(len(slopes)))


def _fit_optimum(args: Slope, metric: str, line: str, runs: pd.DataFrame,
                 blockers: list[str]) -> Fitted | None:
    """The optimum of `over` at each `against` value (report.checks.optima), fitted; the
    slope's error propagates the optima's uncertainties. An optimum at the edge of the sweep
    is a blocker, since the true one may lie beyond it."""
    found = {x: o for x, o in find_optima(runs, group=args.against, x=args.over,
                                          metric=metric).items() if o is not None}
    blockers += [f"at {args.against}={fmt(x)} the best {args.over} ({fmt(o.x)}) is the "
                 f"{o.edge} value swept" for x, o in found.items() if o.edge]
    if len(found) < 2:
        return None
    x = np.array(list(found), dtype=float)
    y = np.array([o.x for o in found.values()], dtype=float)
    fitted_slope, intercept = loglog_slope(x, y)
    # The slope is a weighted sum of the log optima: sum_i c_i log y_i.
    centred = np.log10(x) - np.log10(x).mean()
    weights = centred / (centred @ centred)
    errors = np.array([o.error for o in found.values()])
    return Fitted(metric=f"best {args.over}", line=line, x=x, y=y, slope=fitted_slope,
                  intercept=intercept, error=float(np.sqrt((weights ** 2) @ (errors ** 2))),
                  optima={f"{args.against}={fmt(v)}" + (f" ({line})" if line else ""): o
                          for v, o in found.items()})


def _noise_numbers(args: Slope, fits: list[Fitted]) -> dict[str, Number]:
    if args.over or any(f.error for f in fits):
        return {"standard errors a slope must clear from the edges": args.sigmas}
    return {"seed-to-seed noise": "one seed (or none to compare): not measured"}


def _summary(args: Slope, fits: list[Fitted], decisions: list[Decision],
             blockers: list[str]) -> str:
    low, high = args.within
    # Rounded first, so that a slope of -1e-17 reads 0.000 rather than -0.000.
    listing = ", ".join(f"{f.name}: {round(f.slope, 3) + 0.0:.3f}"
                        + (f" ± {f.error:.3f}" if f.error or f.optima else "") for f in fits)
    fails = [f for f, d in zip(fits, decisions, strict=True) if d == "fails"]
    if fails:
        return (f"{len(fails)} of {len(fits)} slopes against {args.against} lie outside "
                f"[{low:g}, {high:g}] ({listing}).")
    if blockers:
        return sentence(blockers) + (f" So far the slopes are {listing}." if fits else "")
    if "unclear" in decisions and args.over:
        unclear = [f for f, d in zip(fits, decisions, strict=True) if d == "unclear"]
        shrink = min(min(abs(f.slope - low), abs(high - f.slope)) / (args.sigmas * f.error)
                     for f in unclear)
        optima = {where: o for f in unclear for where, o in f.optima.items()}
        return (f"The uncertainty of the optima leaves {len(unclear)} of {len(fits)} slopes "
                f"against {args.against} within {args.sigmas:g} standard errors of an edge "
                f"of [{low:g}, {high:g}] ({listing}). Deciding needs uncertainties "
                f"{1 / shrink:.2g} times smaller: {advice(optima, shrink, args.over)}."
                if shrink > 0 else f"A slope sits exactly at an edge of [{low:g}, {high:g}] "
                f"({listing}).")
    if "unclear" in decisions:
        return (f"The seed-to-seed noise leaves {decisions.count('unclear')} of {len(fits)} "
                f"slopes against {args.against} astride the edge of [{low:g}, {high:g}] "
                f"({listing}).")
    return (f"Every slope against {args.against} lies within [{low:g}, {high:g}] "
            f"({listing}).")
