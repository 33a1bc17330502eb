"""Picking a check's runs out of the runs table, and saying in words which ones they are.

Shared by every check: `where` filters, the columns a check names, how many runs are in
which state, and how values print in summaries and figure labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from compiler.language.run_quantities import is_config_path
from report.errors import ReportError
from report.table import config_columns

PENDING = ("missing", "unfinished")


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

    def problems(self, *, diverged_too: bool = True) -> list[str]:
        """Why these runs cannot decide a claim yet, one reason per state (empty: they can).
        Checks that treat a diverged run as a result pass diverged_too=False."""
        reasons = []
        if self.pending:
            verb = "are" if self.pending > 1 else "is"
            reasons.append(f"{self.pending} of {self.runs} runs {verb} missing or unfinished")
        if self.failed:
            reasons.append(f"{self.failed} of {self.runs} runs failed")
        if self.diverged and diverged_too:
            reasons.append(f"{self.diverged} of {self.runs} runs diverged")
        return reasons

    def numbers(self) -> dict[str, int]:
        return {"runs": self.runs, "runs completed": self.completed,
                "runs diverged": self.diverged, "runs failed": self.failed,
                "runs missing or unfinished": self.pending}


@dataclass(frozen=True)
class OneOf:
    """A `where` value written `{one_of: [constant, cosine]}`: a run with any of them."""

    values: tuple[Any, ...]

    def __contains__(self, value: Any) -> bool:
        return any(value == wanted for wanted in self.values)

    def __str__(self) -> str:
        return " or ".join(fmt(value) for value in self.values)


def as_cells(where: dict[str, Any]) -> dict[str, Any]:
    """`where` values as the table holds them (lists are tuples there); a `one_of` as a
    OneOf of such values."""
    return {key: _cell(value) for key, value in where.items()}


def _cell(value: Any) -> Any:
    if is_one_of(value):
        return OneOf(tuple(_cell(item) for item in value["one_of"]))
    return tuple(value) if isinstance(value, list) else value


def is_one_of(value: Any) -> bool:
    return isinstance(value, dict) and list(value) == ["one_of"]


def set_by_arms(key: str, *arms: dict[str, Any]) -> bool:
    """Whether `key` is part of what tells the runs of an arm apart because the arm takes
    `one_of` several values there: that key, or another in its section (schedule.floor
    differs between a constant and a cosine schedule too). Such keys describe the arm; runs
    of two arms are not paired on them."""
    for arm in arms:
        for path, value in arm.items():
            section = path.rpartition(".")[0]
            if is_one_of(value) and (key == path or (section and key.startswith(section + "."))):
                return True
    return False


def matches(value: Any, wanted: Any) -> bool:
    """Whether a run's config value is the one a `where` asks for (as_cells); null asks for
    none."""
    if isinstance(wanted, OneOf):
        return any(matches(value, one) for one in wanted.values)
    if wanted is None:
        return value is None or (isinstance(value, float) and math.isnan(value))
    return value == wanted


def matching(table: pd.DataFrame, where: dict[str, Any]) -> pd.DataFrame:
    """The rows whose config has every value in `where`. A value null asks for runs with
    nothing there, nor under it when it names a section: `ensemble: null`, the runs that are
    not ensembles (an ensemble's `ensemble` column is empty too, its values being in
    `ensemble.runs` and `ensemble.step`)."""
    mask = pd.Series(True, index=table.index)
    for key, wanted in as_cells(where).items():
        mask &= table[key].map(lambda value, wanted=wanted: matches(value, wanted))
        if wanted is None:
            for column in table.columns:
                if column.startswith(key + "."):
                    mask &= table[column].isna()
    return table[mask]


def select(kind: str, table: pd.DataFrame, where: dict[str, Any]) -> pd.DataFrame:
    """The runs matching `where`; a ReportError when no planned run does."""
    require_columns(kind, table, {"where": list(where)})
    rows = matching(table, where)
    if rows.empty:
        raise ReportError(f"{kind}: no planned run has {conditions(where)}")
    return rows


def require_columns(kind: str, table: pd.DataFrame, roles: dict[str, list[str]]) -> None:
    """Each argument (role) of a check must name single config values the runs have."""
    for role, columns in roles.items():
        for column in columns:
            if column not in table:
                raise ReportError(f"{kind}: {role} names {column!r}, which is not a single "
                                  "config value of these runs (it is a whole section, or a "
                                  "key none of them has)")


def require_metric(kind: str, table: pd.DataFrame, metric: str) -> None:
    if metric in table or not (table.status == "completed").any():
        return
    finals = sorted(c for c in table if c.startswith("final."))
    raise ReportError(f"{kind}: no run reports the metric {metric!r}; the runs report "
                      f"{', '.join(finals) or 'no final metrics'}")


def require_positive(kind: str, table: pd.DataFrame, column: str) -> None:
    values = table[column].dropna()
    if not pd.api.types.is_numeric_dtype(values) or (values <= 0).any():
        raise ReportError(f"{kind}: {column} must take positive numbers, since it is "
                          "measured in log10")


# Config values that name other runs: the checkpoint a stage starts from, the run a refined
# schedule is derived from, an ensemble's members.
RUN_REFERENCES = ("start.run", "schedule.run", "ensemble.runs")


def varying(runs: pd.DataFrame, *, besides: tuple[str, ...] = ()) -> list[str]:
    """The config columns (other than the seed and `besides`) that differ among `runs`.

    A column naming other runs counts only where it says more than the seed: decay branches
    of one stable run per seed name a different parent for each seed, and are still one
    config whose seeds average, as long as the parents differ by nothing but their seed."""
    columns = [column for column in config_columns(runs)
               if column != "seed" and runs[column].nunique(dropna=False) > 1]
    # Every setting, `besides` too: a refined run's source differs with the learning rate
    # it is tuned over, and that says nothing the learning rate does not.
    keys = [*(column for column in columns if column not in RUN_REFERENCES), "seed"]
    return [column for column in columns
            if column not in besides
            and (column not in RUN_REFERENCES
                 or (runs.groupby(keys, dropna=False)[column].nunique(dropna=False) > 1).any())]


def line_keys(runs: pd.DataFrame, axes: tuple[str, ...]) -> list[str]:
    """The config values that tell apart the lines of a plot over `axes`: those that vary,
    other than the axes themselves and what a run-quantity axis already says. Against N, the
    widths that set N are points along the line, not lines of their own."""
    quantities = [axis for axis in axes if not is_config_path(axis)]
    return [column for column in varying(runs, besides=axes)
            if not any(_determines(runs, axis, column) for axis in quantities)]


def _determines(runs: pd.DataFrame, axis: str, column: str) -> bool:
    """Whether each value of `axis` among `runs` goes with one value of `column`."""
    known = runs[runs[axis].notna()]
    return not known.empty and bool(
        (known.groupby(axis)[column].nunique(dropna=False) <= 1).all())


def naming(runs: pd.DataFrame, keys: list[str]) -> list[str]:
    """The fewest of `keys`, taken in order, that tell apart every config all of `keys` do:
    what a label needs. Runs of a cosine and a WSD schedule differ in schedule.decay too,
    but schedule.kind alone names them."""
    def distinct(columns: list[str]) -> int:
        return len(runs[columns].drop_duplicates()) if columns else 1

    needed, chosen = distinct(keys), []
    for key in keys:
        if distinct(chosen) == needed:
            break
        if distinct([*chosen, key]) > distinct(chosen):
            chosen.append(key)
    return chosen


def by_config(runs: pd.DataFrame, keys: list[str]) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    """`runs` grouped by the values of `keys`, in sorted order: each group's values and rows
    (one group of all rows when there are no keys)."""
    if not keys:
        return [({}, runs)]
    return [(dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)), group)
            for key, group in runs.groupby(keys, sort=True, dropna=False)]


def other_slices(table: pd.DataFrame, where: dict[str, Any]) -> list[dict[str, Any]]:
    """Each other combination of the `where` keys' values found in the table (SP when a
    claim is about muP), for figures that show the checked runs beside the rest."""
    if not where:
        return []
    cells = as_cells(where)
    combos = table[list(cells)].drop_duplicates().to_dict("records")
    return sorted((c for c in combos
                   if not all(matches(c[key], wanted) for key, wanted in cells.items())),
                  key=lambda c: [str(v) for v in c.values()])


def conditions(where: dict[str, Any]) -> str:
    return ", ".join(f"{key}={fmt(_cell(value) if is_one_of(value) else value)}"
                     for key, value in where.items())


def short(path: str) -> str:
    """A config path's last part, for legends: model.width -> width."""
    return path.rsplit(".", 1)[-1]


def fmt(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def sentence(reasons: list[str]) -> str:
    """Reasons joined into one sentence."""
    text = "; ".join(reasons)
    return text[:1].upper() + text[1:] + "."
