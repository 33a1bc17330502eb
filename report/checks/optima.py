"""The best value of a swept axis, estimated below the grid's spacing, with its uncertainty.

Per line of a sweep (the runs of one width, say), the metric's mean over seeds is taken at each
swept value x. The optimum is the vertex of the parabola in log10 x through the best point and
its two neighbours: on a bowl-shaped loss it lands between grid points where the true optimum
is. Its uncertainty, in log10 units of x, has two parts:

    noise   with two or more seeds, the spread of that vertex over bootstrap resamples of the
            seeds (the same seeds drawn at every point of the line, since a seed's runs share
            their data order); 0 with one seed
    shape   what the parabola cannot vouch for: how far its vertex is from that of a parabola
            fitted by least squares to the best point and up to two neighbours on each side
            (with seeds, less the part of that distance the bootstrap puts down to noise),
            scaled to the narrow parabola's share of it on a lopsided bowl (_narrow_share)
            and at most the grid's resolution (below);
            where there are no such points to compare with (three points, or a neighbour that
            did not complete), the grid's own resolution, a spacing / sqrt(12) (the standard
            deviation of a value known only to lie within half a spacing of the best point)

and `error` is their root sum of squares. A check built on optima propagates `error` to what it
measures (a spread, a slope) and calls an effect smaller than that resolution inconclusive,
saying what would decide (advice()).

A point where any seed diverged cannot be the optimum, but it still brackets it: an optimum next
to a diverged learning rate is inside the swept range, one at the last value swept is not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from report.checks.points import points

# Bootstrap resamples of the seeds behind each optimum (a fixed seed: the same on every build).
RESAMPLES = 200
# The shape term when the grid alone bounds the optimum: the spacing's share of a uniform spread.
GRID_RESOLUTION = 1 / math.sqrt(12)


@dataclass(frozen=True)
class Optimum:
    x: float                    # the estimate, between grid points
    grid_x: float               # the best value swept
    noise: float                # uncertainty of log10 x from the seeds (0 with one seed)
    shape: float                # uncertainty of log10 x from the fit, or the grid's resolution
    spacing: float              # the grid's spacing around the best point, in log10
    seeds: int                  # the fewest seeds at a point near the optimum
    # What places it: a parabola checked by a wider one, a parabola alone (three points), or
    # the grid (no parabola: at the edge, or beside a point that did not complete).
    basis: Literal["parabolas", "parabola", "grid"]
    edge: Literal["lowest", "highest"] | None    # set when the best is the last value swept

    @property
    def error(self) -> float:
        """The standard uncertainty of log10 x."""
        return math.hypot(self.noise, self.shape)

    @property
    def log_x(self) -> float:
        return math.log10(self.x)


def sweep_points(runs: pd.DataFrame, *, group: str, x: str, metric: str) -> pd.DataFrame:
    """One row per (`group`, `x`) value among `runs`, in the columns figures.sweep.Panel
    wants; `best` marks each group's best value swept."""
    frame = points(runs, [group, x], metric).rename(columns={group: "group", x: "x"})
    frame["best"] = False
    for _, line in frame.groupby("group", dropna=False):
        best = _best_index(line)
        if best is not None:
            frame.loc[best, "best"] = True
    return frame


def find_optima(runs: pd.DataFrame, *, group: str, x: str,
                metric: str) -> dict[object, Optimum | None]:
    """Each `group` value's optimum of `metric` over `x` (None where it has fewer than two
    completed points)."""
    return {value: optimum(line, x=x, metric=metric)
            for value, line in runs.groupby(group, sort=True, dropna=False)}


def optimum(runs: pd.DataFrame, *, x: str, metric: str) -> Optimum | None:
    """The optimum of one line of runs, or None with fewer than two completed points."""
    line = points(runs, [x], metric).sort_values(x).reset_index(drop=True)
    best = _best_index(line)
    if best is None:
        return None
    logs = np.log10(line[x].to_numpy(float))
    spacing = float(max(np.diff(logs[max(best - 1, 0):best + 2]), default=0.0))
    bracketing = line[line.state.isin(("completed", "diverged"))][x]
    grid_x = float(line[x][best])
    edge = "lowest" if grid_x == bracketing.min() else \
        "highest" if grid_x == bracketing.max() else None
    window = _completed_window(line, best)
    seeds = int(line.n[window].min())
    resolution = spacing * GRID_RESOLUTION
    found = None if edge else _vertices(logs[window], line.y[window].to_numpy(float))
    if found is None:
        # At the edge, beside a point that did not complete, or on a flat stretch: the grid
        # alone says where the optimum is.
        return Optimum(x=grid_x, grid_x=grid_x, noise=0.0, shape=resolution, spacing=spacing,
                       seeds=seeds, basis="grid", edge=edge)
    vertex, wide = found
    noise, misfit_noise = _bootstrap(runs, x=x, metric=metric,
                                     values=line[x][window].to_numpy(float))
    # The two parabolas disagree through the bowl's shape and through noise: with seeds, the
    # noise's share (its bootstrap variance) is taken out; of what is left, the narrow
    # parabola's own share is its error, which checking it can only make smaller than the
    # grid's resolution.
    shape = min(math.sqrt(max((vertex - wide) ** 2 - misfit_noise ** 2, 0.0))
                * _narrow_share(logs[window] - logs[best]), resolution) \
        if wide is not None else resolution
    return Optimum(x=10 ** vertex, grid_x=grid_x, noise=noise, shape=shape, spacing=spacing,
                   seeds=seeds, basis="parabola" if wide is None else "parabolas", edge=None)


def _best_index(line: pd.DataFrame) -> int | None:
    """The row of the line's lowest completed point (the line is sorted by value, so a tie
    goes to the smallest), or None with fewer than two completed points."""
    done = line[(line.state == "completed") & line.y.notna()]
    if len(done) < 2:
        return None
    return done.y.idxmin()


def _completed_window(line: pd.DataFrame, best: int) -> list[int]:
    """The rows within two of the best point, on each side up to the first that did not
    complete: the points the parabolas are fitted to."""
    window = [best]
    for step in (-1, 1):
        for i in (best + step, best + 2 * step):
            if not 0 <= i < len(line) or line.state[i] != "completed":
                break
            window.append(i)
    return sorted(window)


def _vertices(u: np.ndarray, y: np.ndarray) -> tuple[float, float | None] | None:
    """The vertex of the parabola through the lowest of the points (u, y) and its two
    neighbours, and that of the least-squares parabola through all of them (None with three
    points, or when it opens down); None when the lowest point is at either end or the
    parabola through it opens down."""
    best = int(np.argmin(y))
    if best in (0, len(y) - 1):
        return None
    vertex = _vertex(u[best - 1:best + 2], y[best - 1:best + 2])
    if vertex is None:
        return None
    return vertex, _vertex(u, y) if len(y) > 3 else None


def _narrow_share(u: np.ndarray) -> float:
    """How much of the distance between the narrow parabola's vertex and the wide one's is
    the narrow one's own error, when the bowl is lopsided (a cubic term c u^3, u measured
    from the best point): each vertex moves by c times the slope that fitting u^3 with a
    parabola through its points takes on, so the narrow one's error is its slope over the
    difference of the two (0.42 on an even grid: a five-point parabola is pulled 2.4 times
    as far as a three-point one)."""
    best = int(np.flatnonzero(u == 0)[0])
    narrow = _cubic_pull(u[best - 1:best + 2])
    wide = _cubic_pull(u)
    return abs(narrow / (wide - narrow)) if wide != narrow else 1.0


def _cubic_pull(u: np.ndarray) -> float:
    """The linear coefficient of the least-squares parabola through (u, u^3)."""
    _, linear, _ = np.polyfit(u, u ** 3, 2)
    return float(linear)


def _vertex(u: np.ndarray, y: np.ndarray) -> float | None:
    """The minimum of the least-squares parabola through (u, y), None when it opens down;
    kept within the points' range."""
    curvature, slope, _ = np.polyfit(u, y, 2)
    if curvature <= 0:
        return None
    return float(np.clip(-slope / (2 * curvature), u.min(), u.max()))


def _bootstrap(runs: pd.DataFrame, *, x: str, metric: str,
               values: np.ndarray) -> tuple[float, float]:
    """Over resamples of the seeds, the standard deviation of the vertex and that of its
    distance from the wider parabola's vertex (both 0 with one seed).

    Each resample draws seeds with replacement and takes the mean at each swept value of the
    window (`values`); a resample whose best mean is at the window's end counts that value."""
    done = runs[runs.status == "completed"]
    samples = done.pivot_table(index="seed", columns=x, values=metric, aggfunc="mean") \
        .reindex(columns=values).to_numpy(float)
    if len(samples) < 2:
        return 0.0, 0.0
    logs = np.log10(values)
    rng = np.random.default_rng(0)
    vertices, misfits = [], []
    for _ in range(RESAMPLES):
        with np.errstate(all="ignore"):
            means = np.nanmean(samples[rng.integers(0, len(samples), len(samples))], axis=0)
        if np.isnan(means).any():
            continue
        found = _vertices(logs, means)
        if found is None:
            vertices.append(float(logs[np.argmin(means)]))
            continue
        vertex, wide = found
        vertices.append(vertex)
        if wide is not None:
            misfits.append(vertex - wide)
    return _std(vertices), _std(misfits)


def _std(values: list[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def advice(optima: dict[str, Optimum], shrink: float, over: str) -> str:
    """What would make the uncertainty of each optimum (named by where it is, e.g.
    "model.width=64") `shrink` times smaller, in words: completed values on both sides of an
    optimum the grid alone bounds, a finer grid where the parabola's shape is in doubt, and
    more seeds where the noise dominates."""
    if shrink <= 0:
        return "nothing would: the effect sits exactly at the claim's threshold"
    unbounded, unchecked, finer, seeds = [], [], [], []
    for where, o in optima.items():
        target = o.error * shrink
        if o.shape > target and o.basis == "grid":
            unbounded.append(where)
        elif o.shape > target and o.basis == "parabola":
            unchecked.append(where)
        elif o.shape > target:
            # The parabola's misfit shrinks with the square of the spacing on a smooth bowl.
            finer.append((where, o.spacing * math.sqrt(target / o.shape), o))
        elif o.noise > target:
            room = math.sqrt(target ** 2 - o.shape ** 2)
            seeds.append((math.ceil(o.seeds * (o.noise / max(room, 1e-12)) ** 2), o.seeds))
    needs = []
    if unbounded:
        needs.append(f"completed values of {over} on both sides of the optimum at "
                     f"{', '.join(unbounded)} (only the grid's spacing bounds it now)")
    if unchecked:
        needs.append(f"two completed values of {over} on each side of the optimum at "
                     f"{', '.join(unchecked)} (with one, nothing checks the parabola's shape, "
                     "so only the grid's spacing bounds it)")
    if finer:
        spacing = min(f[1] for f in finer)
        now = max(f[2].spacing for f in finer)
        needs.append(f"a grid about {spacing:.2g} decades apart near the optimum at "
                     f"{', '.join(f[0] for f in finer)} (now {now:.2g}; or more seeds, "
                     "where the two parabolas disagree through noise)")
    if seeds:
        most, now = max(seeds)
        needs.append(f"about {most if most <= 10_000 else 'over 10000'} seeds per point "
                     f"(now {now})")
    return " and ".join(needs) or "nothing measurable: the optima are known exactly"
