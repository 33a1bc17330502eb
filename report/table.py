"""A plan's runs as one pandas table, and their metric curves on demand.

Checks read this table rather than the results directory, so a check is a function of its
arguments, the table and the curves alone.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from compiler.language.check_values import family
from compiler.language.run_quantities import DERIVED, SUMMARY_FIELDS, SUMMARY_PREFIX
from compiler.planning.plan import Plan
from report.quantities import derived
from runtime.config.run import RunConfig
from runtime.results import (
    CONFIG,
    CorruptResult,
    iter_metrics,
    read_summary,
    run_dir,
    run_status,
)

# The summary's numbers (an axis a check can name) and why a run failed, as
# `summary.<field>` columns next to the final metrics.
SUMMARY_COLUMNS = tuple(SUMMARY_PREFIX + name for name in (*SUMMARY_FIELDS, "error"))
QUANTITY_COLUMNS = (*SUMMARY_COLUMNS, *DERIVED)


def runs_table(plan: Plan, results_dir: str | os.PathLike) -> pd.DataFrame:
    """One row per planned run, in plan order.

    Columns: `id`, `status` (completed | diverged | failed | unfinished | missing), every
    config leaf as a dotted column (`model.width`, `optimizer.lr`, `seed`, ...), then
    `final.<metric>` for each final metric any run reports, then SUMMARY_COLUMNS
    (`summary.n_params`, `summary.diverged_at`, `summary.error`, ...) and the derived
    quantities (N, D, C, tokens_per_param). Values a run does not have (a missing run's
    metrics) are NaN.
    """
    rows = [_run_row(run.id, run.config, results_dir) for run in plan.runs]
    return pd.DataFrame(rows, columns=_columns(rows))


def _run_row(run_id: str, config: RunConfig,
             results_dir: str | os.PathLike) -> dict[str, Any]:
    try:
        summary = read_summary(results_dir, run_id) or {}
    except CorruptResult as broken:
        # Named once, here; the run counts as not trained and its row says why.
        print(broken, file=sys.stderr)
        summary = {"status": "corrupt", "error": str(broken)}
    # A finished run's status is in its summary; run_status() would read the file again.
    status = summary["status"] if summary else run_status(results_dir, run_id)
    row: dict[str, Any] = {"id": run_id, "status": status}
    row.update(flatten(config.model_dump(mode="json")))
    row.update({f"final.{name}": value for name, value in summary.get("final", {}).items()})
    row.update({column: summary[column.removeprefix(SUMMARY_PREFIX)]
                for column in SUMMARY_COLUMNS
                if column.removeprefix(SUMMARY_PREFIX) in summary})
    row.update(derived(config))
    return row


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    # Config columns keep the config's own order (model, parametrization, ...); runs can
    # differ in their keys (data sources, final metrics), so columns come from every row.
    seen = dict.fromkeys(["id", "status", *(c for row in rows for c in row)])
    config_columns = [c for c in seen
                      if not c.startswith("final.") and c not in QUANTITY_COLUMNS]
    finals = sorted(c for c in seen if c.startswith("final."))
    return config_columns + finals + list(QUANTITY_COLUMNS)


def named_by(metric: str, name: str) -> bool:
    """Whether `metric` (`final.val_loss`, or a prefix ending in '*' such as
    `final.act_rms/*`) names the final metric `name` (`final.act_rms/hidden`)."""
    if metric.endswith("*"):
        return name.startswith(metric[:-1])
    return name == metric


def with_last_logged(table: pd.DataFrame, curves: Curves, metric: str) -> pd.DataFrame:
    """`table` with `final.<name>` columns for metrics its summaries lack but its completed
    runs logged (per-role activation scales are logged, not summarised): each run's last
    logged value. `metric` is as in named_by(); the table is returned as it is when it
    already has a column `metric` names, and otherwise every completed run's curve is read."""
    if any(named_by(metric, column) for column in table):
        return table
    completed = table[table.status == "completed"].id
    last = {run: curves[run].ffill().iloc[-1] for run in completed if len(curves[run])}
    names = sorted({name for values in last.values() for name in values.index
                    if named_by(metric, f"final.{name}")})
    if not names:
        return table
    logged = pd.DataFrame({f"final.{name}": {run: values.get(name) for run, values in last.items()}
                           for name in names})
    return table.join(logged, on="id")


def with_family(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """`table` with a column `metric` when it reduces a family of final metrics
    (`min(final.attn_entropy_min/*)`): the min, max or mean of each run's values of the
    family's columns (which with_last_logged adds); as it is otherwise."""
    reduced = family(metric)
    if reduced is None:
        return table
    reducer, pattern = reduced
    columns = [column for column in table if named_by(pattern, column)]
    if not columns:
        return table
    return table.assign(**{metric: getattr(table[columns], reducer)(axis=1)})


def config_columns(table: pd.DataFrame) -> list[str]:
    """The dotted config columns of a runs table, in table order: the settings that can
    tell runs apart. `execution` (checkpointing, compiling) is how a run was carried out,
    never what it computed, so it is left out."""
    return [c for c in table.columns if c not in ("id", "status")
            and not c.startswith(("final.", "execution.")) and c not in QUANTITY_COLUMNS
            and family(c) is None]


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys; lists become tuples so every cell is hashable."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = _hashable(value)
    return flat


class _Mapping(dict):
    """A mapping inside a list (a schedule's phases): equal to the plain dict, and hashable,
    so runs can be grouped by the list it is in."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(json.dumps(self, sort_keys=True))


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return _Mapping({key: _hashable(item) for key, item in value.items()})
    return value


class Curves:
    """Each run's metrics.jsonl as a DataFrame, read on first access and then kept.

    `curves[run_id]` has one row per logged step (columns `step`, `tokens`, `train_loss`,
    `lr`, `grad_norm`, `time_s`, and `val_loss` on eval steps, NaN elsewhere); it is empty
    for a run that logged nothing.
    """

    def __init__(self, results_dir: str | os.PathLike) -> None:
        self._results_dir = Path(results_dir)
        self._loaded: dict[str, pd.DataFrame] = {}
        self._families: set[str] = set()
        self._starts: dict[str, tuple[str, int] | None] = {}

    def derive(self, metric: str) -> None:
        """From now on every run's frame has a column `metric` when it reduces a family of
        metrics (`mean(val_loss/*)`, or as a final metric `min(final.act_rms/*)`): the min,
        max or mean of the family's columns at each step (NaN where none was logged)."""
        if family(metric) is None or metric in self._families:
            return
        self._families.add(metric)
        self._loaded = {run: _with_reduced(frame, metric) for run, frame in self._loaded.items()}

    def __getitem__(self, run_id: str) -> pd.DataFrame:
        if run_id not in self._loaded:
            try:
                records = list(iter_metrics(self._results_dir, run_id))
            except CorruptResult as broken:
                print(broken, file=sys.stderr)
                records = []
            frame = pd.DataFrame.from_records(records)
            for metric in sorted(self._families):
                frame = _with_reduced(frame, metric)
            self._loaded[run_id] = frame
        return self._loaded[run_id]

    def start(self, run_id: str) -> tuple[str, int] | None:
        """The run and step `run_id` starts from (a stage's parent and the checkpoint it
        starts at), as the run's config.json says; None for a run that starts from scratch
        or has not started."""
        if run_id not in self._starts:
            path = run_dir(self._results_dir, run_id) / CONFIG
            try:
                start = json.loads(path.read_bytes()).get("start")
                found = None if start is None else (str(start["run"]), int(start["step"]))
            except (OSError, ValueError, AttributeError, KeyError, TypeError):
                found = None    # `claimlab verify` names a broken config; a figure need not
            self._starts[run_id] = found
        return self._starts[run_id]

    def over_seeds(self, runs: Iterable[str], column: str) -> pd.DataFrame:
        """`column` at each step where any of `runs` (the seeds of one config) logged it:
        columns `step`, `mean`, `std` (sample, NaN with one seed), `low`, `high` (the
        seeds' extremes) and `n` (seeds at that step). Empty when none of them logged it."""
        frames = [self[run][["step", column]].dropna() for run in runs if column in self[run]]
        if not frames:
            return pd.DataFrame(columns=["step", "mean", "std", "low", "high", "n"])
        by_step = pd.concat(frames).groupby("step", sort=True)[column]
        stats = by_step.agg(["mean", "std", "min", "max", "count"]).reset_index()
        stats.columns = ["step", "mean", "std", "low", "high", "n"]
        return stats


def _with_reduced(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """`frame` (one run's metrics) with the column of a family reduction `metric`."""
    reducer, pattern = family(metric)
    prefix = pattern.removeprefix("final.").removesuffix("*")
    columns = [column for column in frame if column.startswith(prefix) and column != metric]
    if not columns:
        return frame
    return frame.assign(**{metric: getattr(frame[columns], reducer)(axis=1)})
