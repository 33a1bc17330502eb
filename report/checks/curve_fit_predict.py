"""curve_fit_predict: a loss-curve law fitted on some runs predicts the others.

"The annealing law fitted on cosine runs predicts the WSD curve within 2%": the law
(report.checks.laws) is fitted to every point of the `fit` runs' curves at once, separately for each
value of what both arms sweep (each width has its own L0), then each held-out `predict` run's
curve is predicted from its own learning-rate schedule and scored by the relative error at
each of its points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from compiler.language.check_args import CurveFitPredict
from report.checks.decide import Decision, decide, verdict_of
from report.checks.laws import PARAMETERS, FittedLaw, Schedule, fit_law
from report.checks.rule import rule
from report.checks.selection import (
    Counts,
    by_config,
    conditions,
    matching,
    naming,
    require_columns,
    select,
    sentence,
    set_by_arms,
    varying,
)
from report.checks.verdict import CheckResult, Number
from report.errors import ReportError
from report.figures.fit import FitCurve, fit_figure
from report.table import Curves

KIND = "curve_fit_predict"


@dataclass(frozen=True)
class Config:
    """The completed seeds of one config of an arm, and how figures name it."""

    label: str
    group: str                  # the values both arms vary: its law is fitted on its own
    held_out: bool
    runs: tuple[str, ...]


@dataclass(frozen=True)
class Logged:
    """One run's points the law applies to: from `from_step` on, where it is defined."""

    schedule: Schedule
    loss: np.ndarray


def curve_fit_predict(args: CurveFitPredict, table: pd.DataFrame,
                      curves: Curves) -> CheckResult:
    require_columns(KIND, table, {"fit": list(args.fit), "predict": list(args.predict)})
    checked = select(KIND, table, args.where)
    fit_runs, predict_runs = (_arm(args, checked, name) for name in ("fit", "predict"))
    both = pd.concat([fit_runs, predict_runs])
    counts = Counts.of(both)
    blockers = counts.problems()
    # A law per value of what both arms sweep (each width has its own L0 and A).
    shared = [key for key in varying(fit_runs) if key in varying(predict_runs)
              and not set_by_arms(key, args.fit, args.predict)]
    names = naming(both, varying(both))
    needed = len(PARAMETERS[args.law]) + 1
    laws: dict[str, FittedLaw] = {}
    configs: list[Config] = []
    points_fitted = 0
    for values, runs in by_config(both, shared):
        group = conditions(values)
        fitted = _configs(matching(runs, args.fit), names, group, held_out=False, arm="fit")
        configs += fitted + _configs(matching(runs, args.predict), names, group,
                                     held_out=True, arm="predict")
        logged = [_logged(args, curves, run) for config in fitted for run in config.runs]
        points = sum(len(run.loss) for run in logged)
        points_fitted += points
        if points < needed:
            blockers.append(f"{f'at {group} ' if group else ''}the fit runs have {points} "
                            f"points from step {args.from_step} on; the law needs {needed}")
        else:
            laws[group] = fit_law(args.law, [run.schedule for run in logged],
                                  [run.loss for run in logged])
    errors = _held_out_errors(args, laws, configs, curves)
    noise = _seed_spread(args, [c for c in configs if c.held_out], curves)
    decisions: list[Decision] = []
    if errors:
        error = float(np.concatenate(list(errors.values())).mean())
        decisions.append("unclear" if noise is not None and noise > args.tolerance
                         else decide(args.tolerance - error, 0.0, 1.0))
    elif laws:
        blockers.append("no held-out run has completed")
    numbers = _numbers(args, laws, points_fitted, errors, noise)
    return CheckResult(
        verdict=verdict_of(decisions, blockers),
        summary=_summary(args, numbers, decisions, blockers), rule=rule(args),
        numbers={**numbers, **counts.numbers()},
        figures=_figures(args, laws, configs, curves), runs=list(both.id))


def _arm(args: CurveFitPredict, checked: pd.DataFrame, name: str) -> pd.DataFrame:
    where = getattr(args, name)
    runs = matching(checked, where)
    if runs.empty:
        raise ReportError(f"{KIND}: no planned run has {conditions({**args.where, **where})} "
                          f"(the runs of {name})")
    return runs


def _configs(runs: pd.DataFrame, keys: list[str], group: str, *, held_out: bool,
             arm: str) -> list[Config]:
    """One per config (its seeds together), named by the values of `keys`."""
    return [Config(label=conditions(values) or arm, group=group, held_out=held_out,
                   runs=tuple(seeds[seeds.status == "completed"].id))
            for values, seeds in by_config(runs, keys)]


def _logged(args: CurveFitPredict, curves: Curves, run: str) -> Logged:
    curve = curves[run]
    if args.metric not in curve:
        raise ReportError(f"{KIND}: run {run} logged no {args.metric!r}; it logged "
                          f"{', '.join(c for c in curve.columns if c != 'step')}")
    rows = curve[(curve.step >= args.from_step) & curve[args.metric].notna()]
    schedule = Schedule.of(curve, rows.step.to_numpy(), args.decay_factor)
    usable = schedule.usable(args.law)
    return Logged(schedule=schedule.take(usable), loss=rows[args.metric].to_numpy()[usable])


def _held_out_errors(args: CurveFitPredict, laws: dict[str, FittedLaw], configs: list[Config],
                     curves: Curves) -> dict[str, np.ndarray]:
    """The relative error at every point of each held-out config's completed runs."""
    errors = {}
    for config in configs:
        law = laws.get(config.group)
        if config.held_out and config.runs and law is not None:
            logged = [_logged(args, curves, run) for run in config.runs]
            errors[config.label] = np.concatenate(
                [np.abs(law.predict(run.schedule) - run.loss) / run.loss for run in logged])
    return errors


def _seed_spread(args: CurveFitPredict, held_out: list[Config], curves: Curves) -> float | None:
    """The held-out curves' seed-to-seed standard deviation relative to their mean,
    averaged over their points; None without two seeds of a config."""
    spreads = []
    for config in held_out:
        stats = curves.over_seeds(config.runs, args.metric)
        stats = stats[(stats.step >= args.from_step) & (stats.n > 1)]
        spreads += list(stats["std"] / stats["mean"].abs())
    return float(np.mean(spreads)) if spreads else None


def _numbers(args: CurveFitPredict, laws: dict[str, FittedLaw], points_fitted: int,
             errors: dict[str, np.ndarray], noise: float | None) -> dict[str, Number]:
    numbers: dict[str, Number] = {
        f"{name} at {group}" if len(laws) > 1 else name: value
        for group, law in laws.items() for name, value in law.parameters().items()}
    numbers["points fitted"] = points_fitted
    numbers.update({f"mean relative error at {label}": float(e.mean())
                    for label, e in errors.items()})
    if errors:
        pooled = np.concatenate(list(errors.values()))
        numbers.update({"mean relative error": float(pooled.mean()),
                        "largest relative error": float(pooled.max()),
                        "held-out points": len(pooled)})
    numbers["tolerance (mean relative error)"] = args.tolerance
    if noise is not None:
        numbers["seed-to-seed spread of the held-out curves (relative)"] = noise
    return numbers


def _summary(args: CurveFitPredict, numbers: dict[str, Number], decisions: list[Decision],
             blockers: list[str]) -> str:
    error = numbers.get("mean relative error")
    found = (f"the {args.law} law fitted to {conditions(args.fit)} predicts "
             f"{conditions(args.predict)} with a mean relative error of {error:.3g}"
             if isinstance(error, float) else "")
    if "fails" in decisions:
        return f"{found[:1].upper()}{found[1:]}, more than the tolerance of {args.tolerance:g}."
    if blockers:
        return sentence(blockers) + (f" So far {found}." if found else "")
    if "unclear" in decisions:
        spread = numbers["seed-to-seed spread of the held-out curves (relative)"]
        return (f"The held-out curves vary by {spread:.3g} from seed to seed, more than the "
                f"tolerance of {args.tolerance:g}, so no prediction can be judged that finely "
                f"({found}).")
    return f"{found[:1].upper()}{found[1:]}, within the tolerance of {args.tolerance:g}."


def _figures(args: CurveFitPredict, laws: dict[str, FittedLaw], configs: list[Config],
             curves: Curves) -> list[go.Figure]:
    shown = []
    for config in configs:
        law = laws.get(config.group)
        if not config.runs or law is None:
            continue
        stats = curves.over_seeds(config.runs, args.metric)
        stats = stats[stats.step >= args.from_step]
        schedule = Schedule.of(curves[config.runs[0]], stats.step.to_numpy(),
                               args.decay_factor)
        usable = schedule.usable(args.law)
        shown.append(FitCurve(label=config.label, held_out=config.held_out,
                              step=stats.step.to_numpy()[usable],
                              measured=stats["mean"].to_numpy()[usable],
                              law=law.predict(schedule.take(usable))))
    return [fit_figure(shown, y_title=args.metric)] if shown else []
