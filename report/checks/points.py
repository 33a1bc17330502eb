"""Runs grouped into points: one per config apart from the seed, with the metric's mean and
spread over seeds, and the seed-to-seed noise that a check weighs its differences against.
"""

from __future__ import annotations

import html
import math

import pandas as pd

from report.checks.selection import PENDING, by_config

STATS = ["y", "y_std", "n", "state", "note", "runs", "by_seed"]


def points(runs: pd.DataFrame, keys: list[str], metric: str) -> pd.DataFrame:
    """One row per combination of `keys` values among `runs`, sorted by them, with the
    columns `keys` + STATS:

        y       the metric's mean over the point's seeds (NaN unless state is completed)
        y_std   its sample standard deviation over seeds (0 with one seed)
        n       how many seeds
        state   completed | diverged | failed | pending: the worst of its seeds
        note    hover text (Plotly's HTML subset) saying what became of seeds that did not
                complete
        runs    the run ids behind the point
        by_seed {seed: the metric} of its seeds, for comparisons paired by seed
    """
    rows = []
    for values_of_keys, group in by_config(runs, keys):
        values = group[metric] if metric in group else pd.Series(math.nan, index=group.index)
        state = point_state(set(group.status))
        done = state == "completed"
        rows.append({**values_of_keys,
                     "y": values.mean() if done else math.nan,
                     "y_std": values.std(ddof=1) if done and len(values) > 1 else 0.0,
                     "n": len(group), "state": state, "note": _note(group),
                     "runs": tuple(group.id),
                     "by_seed": dict(zip(group.seed, values, strict=True)) if done else {}})
    return pd.DataFrame(rows, columns=[*keys, *STATS])


def point_state(statuses: set[str]) -> str:
    # A single diverged seed rules a point out; a failed seed leaves it unknown.
    if "diverged" in statuses:
        return "diverged"
    if "failed" in statuses:
        return "failed"
    if statuses & set(PENDING):
        return "pending"
    return "completed"


def pooled_std(*tables: pd.DataFrame) -> float | None:
    """The seed-to-seed standard deviation pooled over every completed point with two or
    more seeds (each weighted by its degrees of freedom); None when no point has two."""
    stats = pd.concat([t[["y_std", "n", "state"]] for t in tables])
    stats = stats[(stats.state == "completed") & (stats.n > 1)]
    dof = (stats.n - 1).sum()
    if dof == 0:
        return None
    return math.sqrt(float((stats.y_std ** 2 * (stats.n - 1)).sum() / dof))


def paired_differences(first: dict, second: dict) -> list[float] | None:
    """Each shared seed's difference, first - second; None unless both sides have the same
    seeds (a seed's runs share their initialisation and data order, so such differences
    cancel what the seed does to both)."""
    if not first or set(first) != set(second):
        return None
    return [first[seed] - second[seed] for seed in sorted(first)]


def pooled_paired_std(differences: list[list[float]]) -> float | None:
    """The standard deviation of per-seed differences pooled over pairs with two or more
    seeds (each weighted by its degrees of freedom); None when none has two."""
    dof = sum(len(d) - 1 for d in differences if len(d) > 1)
    if dof == 0:
        return None
    squares = sum(sum((x - sum(d) / len(d)) ** 2 for x in d) for d in differences if len(d) > 1)
    return math.sqrt(squares / dof)


def difference_error(noise: float | None, n_first: int, n_second: int) -> float:
    """The standard error of the difference of two means over seeds (0 without noise)."""
    if noise is None:
        return 0.0
    return noise * math.sqrt(1 / n_first + 1 / n_second)


def _note(runs: pd.DataFrame) -> str:
    notes = []
    for run in runs[runs.status != "completed"].to_dict("records"):
        seed, status = run["seed"], run["status"]
        diverged_at, error = run.get("summary.diverged_at"), run.get("summary.error")
        if status == "diverged" and pd.notna(diverged_at):
            notes.append(f"seed {seed}: diverged at step {int(diverged_at)}")
        elif status == "failed" and isinstance(error, str):
            notes.append(f"seed {seed}: failed ({html.escape(error[:80])})")
        else:
            notes.append(f"seed {seed}: {status}")
    return "<br>".join(notes)
