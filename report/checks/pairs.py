"""Two arms of a comparison (WSD and cosine, say), their runs paired point by point.

Each arm's runs become points (one per config, seeds averaged) keyed by the config values
that vary within that arm. Points of the two arms pair up on the values that vary within
both (the width, when both arms sweep it); a value that varies in one arm only gives that
arm several points per pair, each compared with the other arm's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from report.checks.points import difference_error, points, pooled_std
from report.checks.selection import (
    Counts,
    conditions,
    fmt,
    matching,
    naming,
    require_columns,
    select,
    varying,
)
from report.errors import ReportError


@dataclass(frozen=True)
class Arm:
    name: str                   # the check's argument name: lower, a, fit, ...
    where: dict[str, Any]
    keys: list[str]             # the config values that vary within the arm
    points: pd.DataFrame        # report.checks.points.points() of its runs over `keys`

    @property
    def title(self) -> str:
        return conditions(self.where)


@dataclass(frozen=True)
class Comparison:
    first: Arm
    second: Arm
    keys: list[str]             # the values pairs are matched on
    pairs: pd.DataFrame         # one row per pair: `keys`, then the points' columns suffixed
                                # _1 (first arm) and _2 (second arm)
    counts: Counts              # the runs of both arms
    noise: float | None         # pooled seed-to-seed standard deviation, None with one seed
    label_keys: list[str]       # the values that name a pair (report.checks.selection.naming)

    def blockers(self) -> list[str]:
        """Why the comparison cannot decide yet (empty: it can)."""
        reasons = self.counts.problems()
        if self.pairs.empty:
            reasons.append(f"no config of {self.first.title} has a counterpart in "
                           f"{self.second.title}")
        return reasons

    def run_ids(self) -> list[str]:
        return [run for arm in (self.first, self.second) for runs in arm.points.runs
                for run in runs]

    def rows(self) -> list[dict[str, Any]]:
        return self.pairs.to_dict("records")

    def completed(self) -> list[dict[str, Any]]:
        """The pairs whose points both completed: the ones a check can judge."""
        return [pair for pair in self.rows()
                if pair["state_1"] == "completed" and pair["state_2"] == "completed"]

    def error(self, pair: dict[str, Any]) -> float:
        """The standard error of the pair's difference, from the seed-to-seed noise."""
        return difference_error(self.noise, pair["n_1"], pair["n_2"])

    def pair_label(self, pair: dict[str, Any]) -> str:
        """Where a pair sits, e.g. "model.width=64"; "all runs" when nothing varies."""
        return ", ".join(f"{key}={fmt(pair[key])}" for key in self.label_keys) or "all runs"


def compare(kind: str, table: pd.DataFrame, *, where: dict[str, Any], metric: str,
            arms: dict[str, dict[str, Any]]) -> Comparison:
    """Both arms' points among the runs matching `where`, paired."""
    checked = select(kind, table, where)
    require_columns(kind, table, {name: list(arm) for name, arm in arms.items()})
    built = []
    for name, arm_where in arms.items():
        runs = matching(checked, arm_where)
        if runs.empty:
            raise ReportError(f"{kind}: no planned run has {conditions({**where, **arm_where})} "
                              f"(the runs of {name})")
        keys = varying(runs)
        built.append(Arm(name=name, where=arm_where, keys=keys,
                         points=points(runs, keys, metric)))
    first, second = built
    keys = [key for key in first.keys if key in second.keys]
    pairs = first.points.merge(second.points, on=keys, how="inner", suffixes=("_1", "_2")) \
        if keys else first.points.merge(second.points, how="cross", suffixes=("_1", "_2"))
    both = checked.loc[matching(checked, first.where).index
                       .union(matching(checked, second.where).index)]
    every_key = list(dict.fromkeys([*keys, *first.keys, *second.keys]))
    return Comparison(first=first, second=second, keys=keys, pairs=pairs,
                      counts=Counts.of(both), noise=pooled_std(first.points, second.points),
                      label_keys=naming(both, every_key))

