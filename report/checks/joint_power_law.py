"""joint_power_law: a metric, or an optimum, as a law in two quantities, with an interval on
each exponent and the prediction error on held-out runs.

"Loss follows L = E + A N^-a + B D^-b with a and b near 0.3" (Chinchilla), or "the best
learning rate goes as c * width^a * batch^b": the completed runs (or the optima of `over`,
report.checks.optima) are fitted by least squares (report.checks.fitting), each exponent's
interval comes from resampling the fitted points (with optima also redrawn within their
uncertainty), and the runs marked `held_out` are predicted by the law fitted without them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from compiler.language.check_args import JointPowerLaw
from report.checks.decide import Decision, verdict_of
from report.checks.fitting import bootstrap, fit_two_decays
from report.checks.optima import optimum
from report.checks.rule import rule
from report.checks.selection import (
    Counts,
    fmt,
    matching,
    require_columns,
    require_metric,
    require_positive,
    select,
    sentence,
)
from report.checks.verdict import CheckResult, Number
from report.figures.sweep import Panel, sweep_figure
from report.table import Curves

KIND = "joint_power_law"
# The exponents searched for the chinchilla law (as decays: x^-a).
EXPONENT_BOUNDS = (0.0, 3.0)
# What each law needs: distinct values of each axis, and points.
NEEDED = {"product": (2, 4), "chinchilla": (3, 6)}


@dataclass(frozen=True)
class Points:
    """What the law is fitted to or predicts: one point per run, or per optimum."""

    x1: np.ndarray
    x2: np.ndarray
    y: np.ndarray
    error: np.ndarray           # with `over`, each optimum's uncertainty in log10 (else 0)

    def take(self, index: np.ndarray) -> Points:
        return Points(self.x1[index], self.x2[index], self.y[index], self.error[index])

    def enough(self, law: str) -> bool:
        values, points = NEEDED[law]
        return (len(np.unique(self.x1)) >= values and len(np.unique(self.x2)) >= values
                and len(self.y) >= points)


@dataclass(frozen=True)
class Law:
    kind: str
    exponents: tuple[float, float]      # a and b, as the law writes them
    coefficients: tuple[float, ...]     # product: (c,); chinchilla: (E, A, B)

    def __call__(self, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
        a, b = self.exponents
        if self.kind == "product":
            return self.coefficients[0] * x1 ** a * x2 ** b
        e, big_a, big_b = self.coefficients
        return e + big_a * x1 ** -a + big_b * x2 ** -b


def fit(kind: str, points: Points) -> Law:
    x1, x2, y = points.x1, points.x2, points.y
    if kind == "product":
        design = np.column_stack([np.ones_like(x1), np.log(x1), np.log(x2)])
        (log_c, a, b), *_ = np.linalg.lstsq(design, np.log(y), rcond=None)
        return Law(kind, (float(a), float(b)), (float(math.exp(log_c)),))
    # Each axis scaled by its geometric mean, so the features are near 1 (conditioning).
    u1, u2 = math.exp(np.log(x1).mean()), math.exp(np.log(x2).mean())
    found = fit_two_decays(x1 / u1, x2 / u2, y, EXPONENT_BOUNDS)
    a, b = found.exponents
    e, big_a, big_b = found.coefficients
    return Law(kind, (a, b), (float(e), float(big_a * u1 ** a), float(big_b * u2 ** b)))


def joint_power_law(args: JointPowerLaw, table: pd.DataFrame, curves: Curves) -> CheckResult:
    x1, x2 = args.against
    require_columns(KIND, table, {"against": list(args.against),
                                  "over": [args.over] if args.over else [],
                                  "held_out": list(args.held_out or {})})
    checked = select(KIND, table, args.where)
    require_metric(KIND, table, args.metric)
    for axis in (*args.against, *([args.over] if args.over else [])):
        require_positive(KIND, table, axis)
    counts = Counts.of(checked)
    blockers = counts.problems(diverged_too=args.over is None)
    held = matching(checked, args.held_out) if args.held_out else checked.iloc[:0]
    fitted = _points(args, checked.drop(held.index), blockers)
    predicted = _points(args, held, blockers)
    law, intervals, held_error = None, None, None
    if not fitted.enough(args.law):
        values, points = NEEDED[args.law]
        blockers.append(f"the {args.law} law needs {values} values of each of {x1} and {x2} "
                        f"and {points} points to fit; there are {len(np.unique(fitted.x1))}, "
                        f"{len(np.unique(fitted.x2))} and {len(fitted.y)}")
    else:
        law = fit(args.law, fitted)
        intervals = _intervals(args, fitted)
        if len(predicted.y):
            held_error = float(np.mean(np.abs(law(predicted.x1, predicted.x2) / predicted.y - 1)))
        elif args.held_out:
            blockers.append("no held-out run has completed to be predicted")
    decisions: list[Decision] = []
    if intervals is not None:
        decisions += [_decide(interval, claimed)
                      for interval, claimed in zip(intervals, args.exponents, strict=True)]
    if args.tolerance is not None and held_error is not None:
        decisions.append("holds" if held_error <= args.tolerance else "fails")
    return CheckResult(
        verdict=verdict_of(decisions, blockers),
        summary=_summary(args, law, intervals, held_error, blockers), rule=rule(args),
        numbers={**_numbers(args, law, intervals, held_error, fitted, predicted),
                 **counts.numbers()},
        figures=_figures(args, law, fitted, predicted), runs=list(checked.id))


def _points(args: JointPowerLaw, runs: pd.DataFrame, blockers: list[str]) -> Points:
    """Each completed run's metric, or with `over` each (x1, x2) pair's optimum (an optimum
    at the edge of its sweep is a blocker)."""
    x1, x2 = args.against
    if args.over is None:
        done = runs[(runs.status == "completed") & runs[args.metric].notna()] \
            if args.metric in runs else runs.iloc[:0]
        if args.law == "product":
            done = done[done[args.metric] > 0]
        return Points(done[x1].to_numpy(float), done[x2].to_numpy(float),
                      done[args.metric].to_numpy(float), np.zeros(len(done)))
    rows = []
    for (v1, v2), line in runs.groupby([x1, x2], sort=True):
        found = optimum(line, x=args.over, metric=args.metric)
        if found is None:
            continue
        if found.edge:
            blockers.append(f"at {x1}={fmt(v1)}, {x2}={fmt(v2)} the best {args.over} "
                            f"({fmt(found.x)}) is the {found.edge} value swept")
            continue
        rows.append((v1, v2, found.x, found.error))
    columns = np.array(rows, dtype=float).reshape(-1, 4).T
    return Points(*columns)


def _intervals(args: JointPowerLaw, points: Points) -> tuple[tuple[float, float], ...]:
    """Each exponent's interval over resamples of the points (optima also redrawn within
    their uncertainty), from a fixed seed."""
    jitter = np.random.default_rng(1)

    def exponents(index: np.ndarray) -> tuple[float, float] | None:
        sample = points.take(index)
        if not sample.enough(args.law):
            return None
        if sample.error.any():
            sample = Points(sample.x1, sample.x2,
                            sample.y * 10 ** jitter.normal(0, sample.error), sample.error)
        return fit(args.law, sample).exponents

    resampled = np.array(bootstrap(len(points.y), exponents, resamples=200))
    tail = (1 - args.confidence) / 2 * 100
    return tuple((float(low), float(high)) for low, high in
                 np.percentile(resampled, [tail, 100 - tail], axis=0).T)


def _decide(interval: tuple[float, float], allowed: tuple[float, float]) -> Decision:
    if allowed[0] <= interval[0] and interval[1] <= allowed[1]:
        return "holds"
    if interval[1] < allowed[0] or interval[0] > allowed[1]:
        return "fails"
    return "unclear"


def _formula(args: JointPowerLaw) -> str:
    x1, x2 = args.against
    y = f"best {args.over}" if args.over else args.metric
    if args.law == "product":
        return f"{y} = c * {x1}^a * {x2}^b"
    return f"{y} = E + A * {x1}^-a + B * {x2}^-b"


def _summary(args: JointPowerLaw, law: Law | None, intervals, held_error: float | None,
             blockers: list[str]) -> str:
    if law is None or intervals is None:
        return sentence(blockers)
    share = f"{args.confidence:.0%}"
    found = "; ".join(
        f"{name} = {value:.3g} ({share} interval [{low:.3g}, {high:.3g}], claimed "
        f"[{claimed[0]:g}, {claimed[1]:g}])"
        for name, value, (low, high), claimed in zip("ab", law.exponents, intervals,
                                                     args.exponents, strict=True))
    text = f"Fitting {_formula(args)}: {found}"
    if held_error is not None:
        text += f"; the held-out runs are predicted to {held_error:.3g} mean relative error"
        if args.tolerance is not None:
            text += f" (tolerance {args.tolerance:g})"
    decisions = [_decide(i, c) for i, c in zip(intervals, args.exponents, strict=True)]
    if "fails" in decisions or (args.tolerance is not None and held_error is not None
                                and held_error > args.tolerance):
        return text + ": not as claimed."
    if blockers:
        return sentence(blockers) + f" So far: {text}."
    if "unclear" in decisions:
        return text + ": an interval straddles the claimed range."
    return text + "."


def _numbers(args: JointPowerLaw, law: Law | None, intervals, held_error: float | None,
             fitted: Points, predicted: Points) -> dict[str, Number]:
    numbers: dict[str, Number] = {}
    share = f"{args.confidence:.0%}"
    if law is not None and intervals is not None:
        for i, (name, axis) in enumerate(zip("ab", args.against, strict=True)):
            numbers[f"exponent {name} (of {axis})"] = law.exponents[i]
            numbers[f"{name}, {share} interval low"], numbers[f"{name}, {share} interval high"] \
                = intervals[i]
        names = ("c",) if law.kind == "product" else ("E", "A", "B")
        numbers.update({f"coefficient {n}": v for n, v in zip(names, law.coefficients,
                                                              strict=True)})
    for name, claimed in zip("ab", args.exponents, strict=True):
        numbers[f"lowest {name} allowed"], numbers[f"highest {name} allowed"] = claimed
    numbers["points fitted"] = len(fitted.y)
    if fitted.error.any():
        numbers["largest uncertainty of an optimum (log10)"] = float(fitted.error.max())
    if args.held_out:
        numbers["held-out points predicted"] = len(predicted.y)
        if held_error is not None:
            numbers["mean relative error on the held-out points"] = held_error
    if args.tolerance is not None:
        numbers["tolerance"] = args.tolerance
    return numbers


def _figures(args: JointPowerLaw, law: Law | None, fitted: Points,
             predicted: Points) -> list[go.Figure]:
    """Predicted against measured, the fitted points and the held-out ones, beside the line
    where they agree."""
    if law is None:
        return []
    frames = [pd.DataFrame({"group": name, "x": points.y, "y": law(points.x1, points.x2),
                            "y_std": 0.0, "state": "completed", "note": ""})
              for name, points in (("fitted", fitted), ("held out", predicted))
              if len(points.y)]
    measured = "best " + args.over if args.over else args.metric
    frame = pd.concat(frames, ignore_index=True).sort_values("x")
    log = bool((frame.x > 0).all() and frame.x.max() >= 4 * frame.x.min())
    fig = sweep_figure([Panel(title=_formula(args), points=frame)], x_title=f"measured {measured}",
                       y_title=f"predicted {measured}", y_log=log)
    ends = [frame.x.min(), frame.x.max()]
    fig.add_trace(go.Scatter(x=ends, y=ends, mode="lines", name="prediction = measurement",
                             line={"dash": "dash", "color": "#888888"}))
    for trace in fig.data:
        if trace.mode == "lines+markers":
            trace.mode = "markers"
    return [fig]
