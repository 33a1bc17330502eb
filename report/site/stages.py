"""A staged claim's runs by stage: the runs its verdict rests on and the runs they start
from (a shared parent once, however many runs start from it), in the spec's stage order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

START_RUN, START_STEP = "start.run", "start.step"   # the runs table's columns of a run's start


@dataclass(frozen=True)
class StageRuns:
    name: str
    parents: tuple[str, ...]    # the stages its runs start from (a sweep may choose several)
    runs: pd.DataFrame          # its rows of the runs table


def by_stage(runs: pd.DataFrame, table: pd.DataFrame, stage_of: Mapping[str, str],
             order: Sequence[str]) -> tuple[StageRuns, ...]:
    """`runs` (a claim's rows of `table`, the spec's runs table) and the runs they start
    from, grouped by the stage `stage_of` gives each run id, in `order`; () for a spec
    without stages."""
    if not stage_of:
        return ()
    shown = table[table.id.isin(with_ancestors(set(runs.id), table))]
    stages = shown.id.map(stage_of)
    parent_stage = shown[START_RUN].map(stage_of) if START_RUN in shown else None
    groups = []
    for name in order:
        rows = shown[stages == name]
        if rows.empty:
            continue
        parents = () if parent_stage is None else tuple(
            stage for stage in order if stage in set(parent_stage[stages == name].dropna()))
        groups.append(StageRuns(name=name, parents=parents, runs=rows))
    return tuple(groups)


def with_ancestors(ids: set[str], table: pd.DataFrame) -> set[str]:
    """`ids` and every run they start from, through their parents' parents."""
    if START_RUN not in table:
        return set(ids)
    parent = {run: start for run, start in zip(table.id, table[START_RUN], strict=True)
              if isinstance(start, str)}
    found: set[str] = set()
    todo = list(ids)
    while todo:
        run = todo.pop()
        if run not in found:
            found.add(run)
            todo += [parent[run]] if run in parent else []
    return found
