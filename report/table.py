"""A plan's runs as one pandas table, and their metric curves on demand.

Checks read this table rather than the results directory, so a check is a function of its
arguments, the table and the curves alone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from compiler.plan import Plan
from runtime.results import iter_metrics, read_summary, run_status

# Summary fields copied next to the final metrics: the facts a reader wants about a run
# that did not complete (when it diverged, what failed) and what it cost.
SUMMARY_COLUMNS = ("steps", "tokens", "wall_time_s", "diverged_at", "error")


def runs_table(plan: Plan, results_dir: str | os.PathLike) -> pd.DataFrame:
    """One row per planned run, in plan order.

    Columns: `id`, `status` (completed | diverged | failed | unfinished | missing), every
    config leaf as a dotted column (`model.width`, `optimizer.lr`, `seed`, ...), then
    `final.<metric>` for each final metric any run reports, then SUMMARY_COLUMNS. Values a
    run does not have (a missing run's metrics) are NaN.
    """
    rows = [_run_row(run.id, run.config.model_dump(mode="json"), results_dir)
            for run in plan.runs]
    return pd.DataFrame(rows, columns=_columns(rows))


def _run_row(run_id: str, config: dict[str, Any],
             results_dir: str | os.PathLike) -> dict[str, Any]:
    row: dict[str, Any] = {"id": run_id, "status": run_status(results_dir, run_id)}
    row.update(flatten(config))
    summary = read_summary(results_dir, run_id) or {}
    row.update({f"final.{name}": value for name, value in summary.get("final", {}).items()})
    row.update({name: summary[name] for name in SUMMARY_COLUMNS if name in summary})
    return row


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    # Config columns keep the config's own order (model, parametrization, ...); runs can
    # differ in their keys (data sources, final metrics), so columns come from every row.
    seen = dict.fromkeys(["id", "status", *(c for row in rows for c in row)])
    config_columns = [c for c in seen if not c.startswith("final.") and c not in SUMMARY_COLUMNS]
    finals = sorted(c for c in seen if c.startswith("final."))
    return config_columns + finals + list(SUMMARY_COLUMNS)


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys; lists become tuples so every cell is hashable."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = tuple(value) if isinstance(value, list) else value
    return flat


class Curves:
    """Each run's metrics.jsonl as a DataFrame, read on first access and then kept.

    `curves[run_id]` has one row per logged step (columns `step`, `tokens`, `train_loss`,
    `lr`, `grad_norm`, `time_s`, and `val_loss` on eval steps, NaN elsewhere); it is empty
    for a run that logged nothing.
    """

    def __init__(self, results_dir: str | os.PathLike) -> None:
        self._results_dir = Path(results_dir)
        self._loaded: dict[str, pd.DataFrame] = {}

    def __getitem__(self, run_id: str) -> pd.DataFrame:
        if run_id not in self._loaded:
            self._loaded[run_id] = pd.DataFrame(list(iter_metrics(self._results_dir, run_id)))
        return self._loaded[run_id]
