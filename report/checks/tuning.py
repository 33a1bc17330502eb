"""Each arm of a comparison at its own best hyperparameters ("AdamW and Muon, each at its
best learning rate"), before its points are paired.

The runs of an arm fall into points by the config values that vary within it other than the
tuned axes (the width, say). Within a point, every setting of the tuned axes (each learning
rate) is a candidate, its metric the mean over seeds; the point keeps the runs of the
candidate with the lowest mean. A point cannot be tuned yet while any candidate is missing,
unfinished or failed (it keeps those runs, so it counts as pending); a diverged candidate is
a result of the tuning sweep, never the best; and a best candidate at the lowest or highest
value swept of a tuned axis is a problem: the true best may lie beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from report.checks.points import points
from report.checks.selection import by_config, conditions, fmt, varying

Tuned = tuple[str, ...]


@dataclass(frozen=True)
class Tuning:
    runs: pd.DataFrame              # the runs of each point's best setting (or its pending ones)
    chosen: dict[str, float | str]  # "best <axis> of <arm> at <point>" -> the value chosen
    problems: list[str]             # why a point's best is not known to be its best
    at_edge: frozenset[str]         # the runs of points whose best is at the edge of a sweep


def tune(runs: pd.DataFrame, tuned: Tuned, metric: str, arm: str) -> Tuning:
    """`runs` (one arm's) cut down to the best setting of `tuned` at each of its points."""
    point_keys = varying(runs, besides=tuned)
    axes = [axis for axis in tuned if axis in runs]
    kept: list[pd.DataFrame] = []
    chosen: dict[str, float | str] = {}
    problems: list[str] = []
    at_edge: set[str] = set()
    for values, group in by_config(runs, point_keys):
        at = f" at {conditions(values)}" if values else ""
        candidates = points(group, axes, metric)
        unknown = candidates[candidates.state.isin(["pending", "failed"])]
        done = candidates[candidates.state == "completed"]
        if not unknown.empty or done.empty:
            # Not tuned yet (or every setting diverged): the point keeps what blocks it.
            ids = {run for ids in (unknown if not unknown.empty else candidates).runs
                   for run in ids}
            kept.append(group[group.id.isin(ids)])
            if done.empty and unknown.empty:
                problems.append(f"every {_names(axes)} of {arm}{at} diverged")
            continue
        best = done.loc[done.y.idxmin()]
        kept.append(group[group.id.isin(best.runs)])
        for axis in axes:
            chosen[f"best {axis} of {arm}{at}"] = best[axis]
            swept = candidates[axis].dropna()
            if len(swept.unique()) > 1 and best[axis] in (swept.min(), swept.max()):
                at_edge.update(best.runs)
                problems.append(f"the best {axis} of {arm}{at} ({fmt(best[axis])}) is the "
                                f"{'lowest' if best[axis] == swept.min() else 'highest'} "
                                "value swept; widen its sweep")
    return Tuning(runs=pd.concat(kept) if kept else runs.iloc[:0], chosen=chosen,
                  problems=problems, at_edge=frozenset(at_edge))


def _names(axes: list[str]) -> str:
    return " and ".join(axes) if axes else "setting"
