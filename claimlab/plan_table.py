"""`claimlab plan SPEC`: each run's status, swept values and cost, and the plan's totals."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from claimlab.tables import hours, markdown_table, si, text_table, value_text
from compiler import Plan, PlannedRun
from compiler.planning.estimate import Cost, gpu_hours, run_cost
from runtime.results import FINISHED, CorruptResult, run_dir, run_status

TO_RUN = "to run"
CORRUPT = "corrupt"     # a broken result: to run again (the message says what is broken)


@dataclass(frozen=True)
class Rate:
    """What a GPU-hour buys: a peak FLOP rate and the share of it a run keeps busy."""

    peak_flops: float
    utilisation: float

    def gpu_hours(self, flops: float) -> float:
        return gpu_hours(flops, self.peak_flops, self.utilisation)

    def describe(self) -> str:
        return f"{self.utilisation:.0%} of {self.peak_flops / 1e12:g} TFLOP/s per GPU"


@dataclass(frozen=True)
class Row:
    run: PlannedRun
    status: str         # completed | diverged | failed | to run
    cost: Cost


def rows(plan: Plan, results: Path) -> list[Row]:
    found = statuses(results, [run.id for run in plan.runs])
    return [Row(run, found[run.id], run_cost(run.config)) for run in plan.runs]


def statuses(results: Path, run_ids: Iterable[str]) -> dict[str, str]:
    """completed | diverged | failed | corrupt | to run, for each run id; a corrupt result
    is named on stderr, once."""
    try:   # one listing instead of a summary to look for per run: plans have many runs
        started = set(os.listdir(run_dir(results, "")))
    except OSError:
        started = set()
    return {run_id: _status(results, run_id) if run_id in started else TO_RUN
            for run_id in run_ids}


def _status(results: Path, run_id: str) -> str:
    try:
        found = run_status(results, run_id)
    except CorruptResult as broken:
        if broken.path not in _named:
            _named.add(broken.path)
            print(broken, file=sys.stderr)
        return CORRUPT
    return found if found in (*FINISHED, "failed") else TO_RUN


# The corrupt result files already named, so a command that looks twice names each once.
_named: set[Path] = set()


def render(plan: Plan, results: Path, rate: Rate, fmt: str) -> str:
    table = rows(plan, results)
    if fmt == "json":
        return json.dumps(_as_json(plan, table, rate), indent=2)
    keys = sorted({key for row in table for key in row.run.overrides},
                  key=lambda key: (key == "seed", key))
    header = ["id", "status", *keys, "params", "tokens", "FLOPs"]
    cells = [[row.run.id, row.status,
              *(value_text(row.run.overrides[k]) if k in row.run.overrides else "" for k in keys),
              si(row.cost.params), si(row.cost.tokens), si(row.cost.flops)] for row in table]
    title = f"{plan.spec}: {len(table)} runs" + _profiles(plan)
    if fmt == "markdown":
        return "\n\n".join([f"### {title}", markdown_table(header, cells), _totals(table, rate)])
    return "\n".join([title, text_table(header, cells), "", _totals(table, rate)])


def _profiles(plan: Plan) -> str:
    return f" (profile {', '.join(plan.profiles)})" if plan.profiles else ""


def _totals(table: list[Row], rate: Rate) -> str:
    counts = Counter(row.status for row in table)
    shown = ("completed", "diverged", "failed", *([CORRUPT] if counts[CORRUPT] else []), TO_RUN)
    by_status = ", ".join(f"{counts[s]} {s}" for s in shown)
    flops = sum(row.cost.flops for row in table)
    todo = sum(row.cost.flops for row in table if row.status not in FINISHED)
    tokens = sum(row.cost.tokens for row in table)
    total, left = hours(rate.gpu_hours(flops)), hours(rate.gpu_hours(todo))
    return (f"{by_status}.\n"
            f"{si(tokens)} tokens; {si(flops)} FLOPs (6·N·D, N the non-embedding parameters, "
            f"D the tokens) = {total} GPU-hours at {rate.describe()}; {left} GPU-hours for "
            "the runs not finished.")


def _as_json(plan: Plan, table: list[Row], rate: Rate) -> dict:
    flops = sum(row.cost.flops for row in table)
    return {
        "spec": plan.spec, "profiles": list(plan.profiles),
        "peak_flops": rate.peak_flops, "utilisation": rate.utilisation,
        "runs": [{"id": row.run.id, "status": row.status, "overrides": row.run.overrides,
                  "params": row.cost.params, "tokens": row.cost.tokens,
                  "flops": row.cost.flops} for row in table],
        "totals": {"runs": len(table), **Counter(row.status for row in table),
                   "tokens": sum(row.cost.tokens for row in table), "flops": flops,
                   "gpu_hours": rate.gpu_hours(flops)},
    }
