"""argmin_stable: the value of one knob that minimises a metric stays put as another scales.

The muP claim in one check: "the loss-minimising learning rate does not move with width".
Among the runs matching `where`, each value of `across` (a width) gets the value of `over`
(a learning rate) with the lowest `metric`, averaged over seeds; the claim holds when those
optima span at most `tolerance` in log10.

A point (one `across`, one `over`) counts as completed when all its seeds completed. A point
where any seed diverged cannot be the optimum, but it still brackets it: an optimum next to
a diverged learning rate is inside the swept range, one at the last value swept is not.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go

from compiler.checks import ArgminStable
from report.errors import ReportError
from report.figures import Panel, curves_figure, sweep_figure
from report.table import Curves
from report.verdict import CheckResult, Number, Verdict

PENDING = ("missing", "unfinished")
# Spreads equal to the tolerance up to float rounding (log10 of a logspace) count as within.
ROUNDING = 1e-9


@dataclass(frozen=True)
class Optimum:
    x: float
    edge: Literal["lowest", "highest"] | None    # set when the optimum is the last value swept


@dataclass(frozen=True)
class Counts:
    runs: int
    completed: int
    diverged: int
    failed: int
    pending: int        # missing or unfinished

    @classmethod
    def of(cls, runs: pd.DataFrame) -> Counts:
        by_status = runs.status.value_counts()
        return cls(runs=len(runs), completed=int(by_status.get("completed", 0)),
                   diverged=int(by_status.get("diverged", 0)),
                   failed=int(by_status.get("failed", 0)),
                   pending=int(sum(by_status.get(s, 0) for s in PENDING)))


def argmin_stable(args: ArgminStable, table: pd.DataFrame, curves: Curves) -> CheckResult:
    _check_columns(args, table)
    where = _as_cells(args.where)
    checked = _matching(table, where)
    if checked.empty:
        raise ReportError(f"no planned run has {_conditions(where)}")
    points = _sweep_points(checked, args)
    optima = {group: _optimum(group_points)
              for group, group_points in points.groupby("group", sort=True)}
    counts = Counts.of(checked)
    verdict, summary = _conclude(args, optima, counts)
    return CheckResult(verdict=verdict, summary=summary, rule=_rule(args),
                       numbers=_numbers(args, optima, counts),
                       figures=_figures(args, where, table, points, curves),
                       runs=list(checked.id))


def _conclude(args: ArgminStable, optima: dict[Any, Optimum | None],
              counts: Counts) -> tuple[Verdict, str]:
    over, across = args.over, args.across
    usable = _usable(optima)
    reasons = []
    if counts.pending:
        reasons.append(f"{counts.pending} of {counts.runs} runs are missing or unfinished")
    if counts.failed:
        reasons.append(f"{counts.failed} of {counts.runs} runs failed")
    if len(usable) < 2:
        reasons.append(f"only {len(usable)} of {len(optima)} {across} values have two or more "
                       f"completed {over} points")
    reasons += [f"at {across}={_fmt(g)} the best {over} ({_fmt(o.x)}) is the {o.edge} value "
                "swept, so the true optimum may lie outside the range"
                for g, o in usable.items() if o.edge]
    spread = _spread(usable)
    if reasons:
        summary = "; ".join(reasons)
        summary = summary[0].upper() + summary[1:] + "."
        if spread is not None:
            summary += (f" So far the best {over} spans {spread:.2f} decades across {across} "
                        f"(tolerance {args.tolerance:g}).")
        return "inconclusive", summary

    listing = ", ".join(f"{_fmt(o.x)} at {across}={_fmt(g)}" for g, o in usable.items())
    if spread <= args.tolerance + ROUNDING:
        return "supported", (f"The best {over} stays within {spread:.2f} decades across "
                             f"{across} (tolerance {args.tolerance:g}): {listing}.")
    return "not supported", (f"The best {over} moves {spread:.2f} decades across {across}, "
                             f"more than the tolerance of {args.tolerance:g}: {listing}.")


def _numbers(args: ArgminStable, optima: dict[Any, Optimum | None],
             counts: Counts) -> dict[str, Number]:
    usable = _usable(optima)
    numbers: dict[str, Number] = {f"best {args.over} at {args.across}={_fmt(g)}": o.x
                                  for g, o in usable.items()}
    spread = _spread(usable)
    if spread is not None:
        numbers["spread of the best (log10)"] = spread
    numbers["tolerance (log10)"] = args.tolerance
    numbers[f"{args.across} values with two or more completed points"] = len(usable)
    numbers[f"{args.across} values"] = len(optima)
    numbers["runs"] = counts.runs
    numbers["runs completed"] = counts.completed
    numbers["runs diverged"] = counts.diverged
    numbers["runs failed"] = counts.failed
    numbers["runs missing or unfinished"] = counts.pending
    return numbers


def _usable(optima: dict[Any, Optimum | None]) -> dict[Any, Optimum]:
    return {group: optimum for group, optimum in optima.items() if optimum is not None}


def _spread(usable: dict[Any, Optimum]) -> float | None:
    """How far apart the optima are, in log10; None with fewer than two."""
    if len(usable) < 2:
        return None
    logs = [math.log10(o.x) for o in usable.values()]
    return max(logs) - min(logs)


def _sweep_points(rows: pd.DataFrame, args: ArgminStable) -> pd.DataFrame:
    """One row per (`across`, `over`) value among `rows`, in the columns figures.Panel wants;
    `best` marks each group's optimum when the group has one."""
    points = []
    for (group, x), runs in rows.groupby([args.across, args.over], sort=True):
        values = runs[args.metric] if args.metric in runs else pd.Series(dtype=float)
        state = _point_state(set(runs.status))
        points.append({
            "group": group, "x": x,
            "y": values.mean() if state == "completed" else math.nan,
            "y_std": values.std(ddof=0) if state == "completed" else 0.0,
            "state": state, "note": _note(runs), "runs": tuple(runs.id),
        })
    frame = pd.DataFrame(points, columns=["group", "x", "y", "y_std", "state", "note", "runs"])
    frame["best"] = False
    for group, group_points in frame.groupby("group"):
        optimum = _optimum(group_points)
        if optimum is not None:
            frame.loc[(frame.group == group) & (frame.x == optimum.x), "best"] = True
    return frame


def _point_state(statuses: set[str]) -> str:
    # A single diverged seed rules a point out as the optimum; a failed seed leaves it unknown.
    if "diverged" in statuses:
        return "diverged"
    if "failed" in statuses:
        return "failed"
    if statuses & set(PENDING):
        return "pending"
    return "completed"


def _note(runs: pd.DataFrame) -> str:
    """Hover text (Plotly's HTML subset) for a point that did not complete: what happened
    to each seed."""
    notes = []
    for run in runs.itertuples():
        if run.status == "diverged" and pd.notna(run.diverged_at):
            notes.append(f"seed {run.seed}: diverged at step {int(run.diverged_at)}")
        elif run.status == "failed" and isinstance(run.error, str):
            notes.append(f"seed {run.seed}: failed ({html.escape(run.error[:80])})")
        elif run.status != "completed":
            notes.append(f"seed {run.seed}: {run.status}")
    return "<br>".join(notes)


def _optimum(points: pd.DataFrame) -> Optimum | None:
    """The group's lowest completed point, or None with fewer than two completed points."""
    done = points[(points.state == "completed") & points.y.notna()]
    if len(done) < 2:
        return None
    # Points are sorted by x, so a tie goes to the smallest value.
    best = float(done.x.loc[done.y.idxmin()])
    bracketing = points[points.state.isin(("completed", "diverged"))].x
    edge = "lowest" if best == bracketing.min() else "highest" if best == bracketing.max() else None
    return Optimum(x=best, edge=edge)


def _check_columns(args: ArgminStable, table: pd.DataFrame) -> None:
    for role, column in [("over", args.over), ("across", args.across),
                         *(("where", key) for key in args.where)]:
        if column not in table:
            raise ReportError(f"argmin_stable: {role} names {column!r}, which is not a single "
                              "config value of these runs (it is a whole section, or a key "
                              "none of them has)")
    finals = sorted(c for c in table if c.startswith("final."))
    if args.metric not in table and (table.status == "completed").any():
        raise ReportError(f"argmin_stable: no run reports the metric {args.metric!r}; "
                          f"the runs report {', '.join(finals) or 'no final metrics'}")
    swept = table[args.over].dropna()
    if not pd.api.types.is_numeric_dtype(swept) or (swept <= 0).any():
        raise ReportError(f"argmin_stable: {args.over} must take positive numbers, since the "
                          "spread of its optimum is measured in log10")


def _as_cells(where: dict[str, Any]) -> dict[str, Any]:
    """`where` values as the table holds them (lists are tuples there)."""
    return {key: tuple(value) if isinstance(value, list) else value
            for key, value in where.items()}


def _matching(table: pd.DataFrame, where: dict[str, Any]) -> pd.DataFrame:
    mask = pd.Series(True, index=table.index)
    for key, wanted in where.items():
        mask &= table[key].map(lambda value, wanted=wanted: value == wanted)
    return table[mask]


def _rule(args: ArgminStable) -> str:
    among = f"Among runs with {_conditions(args.where)}, take" if args.where else "Take"
    return (f"{among} for each {args.across} the {args.over} with the lowest {args.metric} "
            f"(mean over seeds); the claim is supported when these optima span at most "
            f"{args.tolerance:g} in log10, and inconclusive while runs are missing or failed, "
            f"fewer than two {args.across} values have two completed points, or an optimum is "
            f"the lowest or highest {args.over} swept.")


def _figures(args: ArgminStable, where: dict[str, Any], table: pd.DataFrame,
             checked_points: pd.DataFrame, curves: Curves) -> list[go.Figure]:
    """The checked runs next to every other slice of the `where` keys (SP beside muP)."""
    panels = [Panel(title=_conditions(where) or "all runs", points=checked_points)]
    panels += [Panel(title=_conditions(other), points=_sweep_points(_matching(table, other), args))
               for other in _other_slices(table, where)]
    if not any((p.points.state == "completed").any() for p in panels):
        return []
    group_name = args.across.rsplit(".", 1)[-1]
    figures = [sweep_figure(panels, x_title=args.over, y_title=args.metric,
                            group_name=group_name)]
    optimum_curves = curves_figure(panels, curves, column=args.metric.removeprefix("final."),
                                   group_name=group_name, x_name=args.over.rsplit(".", 1)[-1])
    return figures if optimum_curves is None else [*figures, optimum_curves]


def _other_slices(table: pd.DataFrame, where: dict[str, Any]) -> list[dict[str, Any]]:
    """Each other combination of the `where` keys' values found in the table."""
    if not where:
        return []
    combos = table[list(where)].drop_duplicates().to_dict("records")
    return sorted((c for c in combos if c != where), key=lambda c: [str(v) for v in c.values()])


def _conditions(where: dict[str, Any]) -> str:
    return ", ".join(f"{key}={_fmt(value)}" for key, value in where.items())


def _fmt(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
