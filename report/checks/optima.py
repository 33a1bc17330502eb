"""The best value of a swept hyperparameter: per line of a sweep, the point with the lowest
metric, and whether the sweep brackets it.

A point where any seed diverged cannot be the optimum, but it still brackets it: an optimum
next to a diverged learning rate is inside the swept range, one at the last value swept is
not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from report.checks.points import points


@dataclass(frozen=True)
class Optimum:
    x: float
    edge: Literal["lowest", "highest"] | None    # set when the optimum is the last value swept


def sweep_points(runs: pd.DataFrame, *, group: str, x: str, metric: str) -> pd.DataFrame:
    """One row per (`group`, `x`) value among `runs`, in the columns figures.sweep.Panel
    wants; `best` marks each group's optimum when the group has one."""
    frame = points(runs, [group, x], metric).rename(columns={group: "group", x: "x"})
    frame["best"] = False
    for value, group_points in frame.groupby("group"):
        found = optimum(group_points)
        if found is not None:
            frame.loc[(frame.group == value) & (frame.x == found.x), "best"] = True
    return frame


def optima(sweep: pd.DataFrame) -> dict[object, Optimum | None]:
    """Each group's optimum (None where it has fewer than two completed points)."""
    return {group: optimum(group_points) for group, group_points in sweep.groupby("group")}


def optimum(line: pd.DataFrame) -> Optimum | None:
    """The line's lowest completed point, or None with fewer than two completed points."""
    done = line[(line.state == "completed") & line.y.notna()].sort_values("x")
    if len(done) < 2:
        return None
    best = float(done.x.loc[done.y.idxmin()])      # a tie goes to the smallest value
    bracketing = line[line.state.isin(("completed", "diverged"))].x
    edge = "lowest" if best == bracketing.min() else "highest" if best == bracketing.max() else None
    return Optimum(x=best, edge=edge)
