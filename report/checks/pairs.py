"""Two arms of a comparison (WSD and cosine, say), their runs paired point by point.

Each arm's runs become points (one per config, seeds averaged) keyed by the config values
that vary within that arm. Points of the two arms pair up on the values that vary within
both (the width, when both arms sweep it); a value that varies in one arm only gives that
arm several points per pair, each compared with the other arm's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from report.checks.points import (
    difference_error,
    paired_differences,
    points,
    pooled_paired_std,
    pooled_std,
)
from report.checks.selection import (
    Counts,
    conditions,
    fmt,
    matching,
    naming,
    require_columns,
    select,
    set_by_arms,
    varying,
)
from report.checks.tuning import Tuned, tune
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
    noise: float | None         # pooled seed-to-seed standard deviation, None with one seed;
                                # paired, that of the per-seed differences of the pairs
    label_keys: list[str]       # the values that name a pair (report.checks.selection.naming)
    # With tuned axes: the value each arm's point took of each ("best optimizer.lr of lower
    # at model.width=64") and why a point's best may not be its best.
    chosen: dict[str, float | str] = field(default_factory=dict)
    tuning_problems: list[str] = field(default_factory=list)
    untuned: frozenset[str] = frozenset()   # runs of points whose best is at a sweep's edge
    tuned: bool = False
    paired: bool = False        # pairs are judged by their per-seed differences
    unpaired: list[str] = field(default_factory=list)   # pairs whose seeds differ

    def blockers(self) -> list[str]:
        """Why the comparison cannot decide yet (empty: it can)."""
        # A tuning sweep's diverged settings are results: too high a learning rate, say.
        reasons = self.counts.problems(diverged_too=not self.tuned) + self.tuning_problems
        if self.unpaired:
            reasons.append(f"paired by seed, but the two sides have different seeds at "
                           f"{', '.join(self.unpaired)}")
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
        """The pairs whose points both completed (and, tuned, are known to be at their
        best): the ones a check can judge."""
        return [pair for pair in self.rows()
                if pair["state_1"] == "completed" and pair["state_2"] == "completed"
                and not self.untuned.intersection(pair["runs_1"] + pair["runs_2"])]

    def error(self, pair: dict[str, Any]) -> float:
        """The standard error of the pair's difference, from the seed-to-seed noise (paired:
        from that of the per-seed differences, over the pair's seeds)."""
        if self.paired:
            return 0.0 if self.noise is None else self.noise / math.sqrt(pair["n_1"])
        return difference_error(self.noise, pair["n_1"], pair["n_2"])

    def pair_label(self, pair: dict[str, Any]) -> str:
        """Where a pair sits, e.g. "model.width=64"; "all runs" when nothing varies."""
        return ", ".join(f"{key}={fmt(pair[key])}" for key in self.label_keys) or "all runs"


def compare(kind: str, table: pd.DataFrame, *, where: dict[str, Any], metric: str,
            arms: dict[str, dict[str, Any]], tuned: Tuned = (),
            paired: bool = False) -> Comparison:
    """Both arms' points among the runs matching `where`, paired; with `tuned`, each arm's
    point at its best setting of those axes (report.checks.tuning); `paired`, the noise is
    that of the per-seed differences of the pairs (report.checks.points)."""
    checked = select(kind, table, where)
    require_columns(kind, table, {name: list(arm) for name, arm in arms.items()})
    if tuned:
        require_columns(kind, table, {"tuned": list(tuned)})
    built = []
    chosen: dict[str, float | str] = {}
    problems: list[str] = []
    untuned: frozenset[str] = frozenset()
    for name, arm_where in arms.items():
        runs = matching(checked, arm_where)
        if runs.empty:
            raise ReportError(f"{kind}: no planned run has {conditions({**where, **arm_where})} "
                              f"(the runs of {name})")
        if tuned:
            tuning = tune(runs, tuned, metric, name)
            runs, chosen, problems = tuning.runs, chosen | tuning.chosen, \
                problems + tuning.problems
            untuned |= tuning.at_edge
        keys = varying(runs, besides=tuned)
        built.append(Arm(name=name, where=arm_where, keys=keys,
                         points=points(runs, keys, metric)))
    first, second = built
    keys = [key for key in first.keys
            if key in second.keys and not set_by_arms(key, first.where, second.where)]
    pairs = first.points.merge(second.points, on=keys, how="inner", suffixes=("_1", "_2")) \
        if keys else first.points.merge(second.points, how="cross", suffixes=("_1", "_2"))
    both = checked.loc[matching(checked, first.where).index
                       .union(matching(checked, second.where).index)]
    every_key = list(dict.fromkeys([*keys, *first.keys, *second.keys]))
    comparison = Comparison(first=first, second=second, keys=keys, pairs=pairs,
                            counts=Counts.of(both),
                            noise=pooled_std(first.points, second.points),
                            label_keys=naming(both, every_key),
                            chosen=chosen, tuning_problems=problems, untuned=untuned,
                            tuned=bool(tuned))
    return _paired(comparison) if paired else comparison


def _paired(comparison: Comparison) -> Comparison:
    """The comparison judged by per-seed differences: its noise is their pooled spread."""
    differences, unpaired = [], []
    for pair in comparison.completed():
        diff = paired_differences(pair["by_seed_1"], pair["by_seed_2"])
        if diff is None:
            unpaired.append(comparison.pair_label(pair))
        else:
            differences.append(diff)
    return replace(comparison, paired=True, unpaired=unpaired,
                   noise=pooled_paired_std(differences))

