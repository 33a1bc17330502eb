"""The edge of stability along a swept axis: the largest (or smallest) value up to which no
seed diverges, per line of a sweep.

Reading from the stable end of the sweep (the lowest learning rate, for the highest edge),
the edge lies between the last value whose seeds all finished and the first where one
diverged. Its estimate is their midpoint in log10, and its standard uncertainty is the gap
between them / sqrt(12) (a value known only to lie somewhere in the gap). A value that failed
or has not finished before the first divergence leaves the edge unknown; a sweep that never
diverges, or diverges from its first value, does not bracket it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from report.checks.points import point_state
from report.checks.selection import by_config, fmt

Side = Literal["highest", "lowest"]


@dataclass(frozen=True)
class Edge:
    stable: float | None        # the last value at which no seed diverged
    diverged: float | None      # the first value at which one did
    problem: str | None = None  # why the sweep does not place the edge (then no estimate)

    @property
    def x(self) -> float:
        return math.sqrt(self.stable * self.diverged)

    @property
    def error(self) -> float:
        """The standard uncertainty of log10 x."""
        return abs(math.log10(self.diverged / self.stable)) / math.sqrt(12)

    @property
    def log_x(self) -> float:
        return math.log10(self.x)


def find_edges(runs: pd.DataFrame, *, over: str, side: Side,
               across: str | None) -> dict[object, Edge]:
    """Each `across` value's edge (one edge, keyed None, without `across`)."""
    if across is None:
        return {None: edge(runs, over=over, side=side)}
    return {value: edge(line, over=over, side=side)
            for value, line in runs.groupby(across, sort=True, dropna=False)}


def edge(runs: pd.DataFrame, *, over: str, side: Side) -> Edge:
    """The edge of one line of runs."""
    values = by_config(runs, [over])
    if side == "lowest":
        values = values[::-1]
    stable = None
    for point, group in values:
        value = float(point[over])
        state = point_state(set(group.status))
        if state == "diverged":
            if stable is None:
                return Edge(None, value, f"already the {side} side's first value swept, "
                                         f"{over}={fmt(value)}, diverged")
            return Edge(stable, value)
        if state != "completed":
            reason = "failed" if state == "failed" else "is missing or unfinished"
            return Edge(stable, None,
                        f"a run at {over}={fmt(value)} {reason}, so the edge is not known")
        stable = value
    return Edge(stable, None, f"no value of {over} swept diverged: the edge lies beyond "
                              f"{fmt(stable) if stable is not None else 'the sweep'}")
