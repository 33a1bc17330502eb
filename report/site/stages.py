"""A staged claim's runs by stage: the runs its verdict rests on and the runs they are built
from (a shared parent once, however many runs start from it), in the spec's stage order.

A run is built from the runs it reads (RunConfig.needs): the checkpoint it starts from, an
ensemble's members, the run whose gradient norms a refined schedule comes from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from runtime.config.run import Need

Reads = Mapping[str, Sequence[Need]]     # run id -> the runs it reads


@dataclass(frozen=True)
class StageRuns:
    name: str
    parents: tuple[str, ...]    # the stages its runs are built from (a sweep may choose several)
    runs: pd.DataFrame          # its rows of the runs table


def by_stage(runs: pd.DataFrame, table: pd.DataFrame, stage_of: Mapping[str, str],
             reads: Reads, order: Sequence[str]) -> tuple[StageRuns, ...]:
    """`runs` (a claim's rows of `table`, the spec's runs table) and the runs they are built
    from, grouped by the stage `stage_of` gives each run id, in `order`; () for a spec
    without stages."""
    if not stage_of:
        return ()
    shown = table[table.id.isin(with_ancestors(set(runs.id), reads))]
    groups = []
    for name in order:
        rows = shown[shown.id.map(stage_of) == name]
        if rows.empty:
            continue
        read = {stage_of.get(need.run) for run in rows.id for need in reads.get(run, ())}
        groups.append(StageRuns(name=name, parents=tuple(s for s in order if s in read),
                                runs=rows))
    return tuple(groups)


def with_ancestors(ids: set[str], reads: Reads) -> set[str]:
    """`ids` and every run they are built from, and those are built from, and so on."""
    found: set[str] = set()
    todo = list(ids)
    while todo:
        run = todo.pop()
        if run not in found:
            found.add(run)
            todo += [need.run for need in reads.get(run, ())]
    return found


def built_from(needs: Sequence[Need]) -> str:
    """What a run reads, for a reader: `<run> at step 400`, or `<run>'s log`."""
    return ", ".join(f"{need.run} at step {need.step}" if need.step is not None
                     else f"{need.run}'s log" for need in needs) or "–"
