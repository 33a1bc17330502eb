"""The scale a claim ran at, and what its spec's `gpu` profile would cost.

A claim ran at the scale of the runs its verdict rests on: N, the largest non-embedding
parameter count among them (the derived quantity checks call N); D, the most tokens one of
them trained on (its summary's `tokens`, counted across a chain of stages); and the CPU time,
their training wall time added up, as their summaries record it, with the runs they are
built from (a stage's parent, an ensemble's members: part of what it took). The `gpu`
profile's cost is the estimate `claimlab plan --profile gpu SPEC` prints
(compiler/planning/estimate.py): 6·N·D FLOPs per run, summed, at the default GPU's peak and
utilisation.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from compiler import compile_spec
from compiler.language.compose import compose
from compiler.language.errors import SpecError
from compiler.planning.estimate import gpu_hours, run_cost
from report.site.stages import Reads, with_ancestors
from runtime.results import FINISHED

GPU_PROFILE = "gpu"


@dataclass(frozen=True)
class Scale:
    runs: int                       # runs that finished, with those they are built from
    params: float | None            # N: the largest non-embedding parameter count
    tokens: float | None            # D: the most tokens one run trained on
    seconds: float                  # their training wall time, summed

    @property
    def known(self) -> bool:
        return self.runs > 0


@dataclass(frozen=True)
class GpuCost:
    runs: int                       # the runs the profile plans
    gpu_hours: float


def ran_at(runs: pd.DataFrame, table: pd.DataFrame, reads: Reads) -> Scale:
    """The scale of `runs` (a claim's rows of the runs table) that finished; `table`
    (every run of the spec) holds the runs they are built from, which `reads` names."""
    finished = runs[_finished(runs)]
    chain = table[table.id.isin(with_ancestors(set(finished.id), reads)) & _finished(table)]
    return Scale(runs=len(chain), params=_largest(finished, "N"),
                 tokens=_largest(finished, "summary.tokens"),
                 seconds=float(chain.get("summary.wall_time_s", pd.Series(dtype=float))
                               .fillna(0).sum()))


def total_seconds(tables: list[pd.DataFrame]) -> tuple[int, float]:
    """How many distinct runs the tables hold that finished (specs can share runs),
    and their training wall time, summed: what rebuilding them all from scratch takes."""
    if not tables:
        return 0, 0.0
    rows = pd.concat([table[_finished(table)] for table in tables]).drop_duplicates("id")
    return len(rows), float(rows.get("summary.wall_time_s", pd.Series(dtype=float))
                            .fillna(0).sum())


def gpu_profile_cost(spec_file: Path) -> GpuCost | None:
    """What the spec's `gpu` profile plans, costed as `claimlab plan --profile gpu` costs it;
    None when the spec declares no such profile or its plan cannot be made (said on stderr:
    `claimlab validate` names the problems)."""
    try:
        if GPU_PROFILE not in compose(str(spec_file)).profiles:
            return None
        plan = compile_spec(spec_file, profiles=(GPU_PROFILE,)).plan
    except SpecError as error:
        print(f"{spec_file}: its {GPU_PROFILE} profile is not costed: "
              f"{len(error.problems)} problem(s) (`claimlab validate {spec_file}` lists them)",
              file=sys.stderr)
        return None
    flops = sum(run_cost(run.config).flops for run in plan.runs)
    return GpuCost(runs=len(plan.runs), gpu_hours=gpu_hours(flops))


def _finished(table: pd.DataFrame) -> pd.Series:
    # A failed run's time is not part of its result: it is trained again.
    return table.status.isin(FINISHED)


def _largest(rows: pd.DataFrame, column: str) -> float | None:
    if column not in rows:
        return None
    value = rows[column].max()
    return None if pd.isna(value) or math.isinf(value) else float(value)
