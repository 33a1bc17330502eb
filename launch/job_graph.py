"""Which runs start from which: the dependencies among a plan's jobs.

A run whose config has `start: {run: P, step: S}` needs P's checkpoint at step S, so P trains
first, and a finished P that no longer has that checkpoint must train again (deterministic, so
it reproduces its own results and writes the checkpoint on the way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from runtime.config.run import load_job
from runtime.results import checkpoint_path, run_dir


class JobLike(Protocol):
    run_id: str
    path: Path


@dataclass(frozen=True)
class JobGraph:
    # child run id -> (parent run id, the parent's step it starts from)
    parents: dict[str, tuple[str, int]]

    @classmethod
    def of(cls, jobs: Sequence[JobLike]) -> JobGraph:
        parents = {}
        for job in jobs:
            start = load_job(str(job.path)).start
            if start is not None:
                parents[job.run_id] = (start.run, start.step)
        return cls(parents)

    def parent(self, run_id: str) -> str | None:
        link = self.parents.get(run_id)
        return link[0] if link else None

    def descendants(self, run_id: str) -> set[str]:
        found, frontier = set(), {run_id}
        while frontier:
            frontier = {child for child, (parent, _) in self.parents.items()
                        if parent in frontier} - found
            found |= frontier
        return found

    def with_parents_to_rerun(self, todo: set[str], known: set[str],
                              results: Path) -> set[str]:
        """`todo` plus every run in `known` that a run to do needs a checkpoint from, when
        that checkpoint is gone (transitively)."""
        todo = set(todo)
        changed = True
        while changed:
            changed = False
            for child in list(todo):
                if child not in self.parents:
                    continue
                parent, step = self.parents[child]
                have = checkpoint_path(run_dir(results, parent), step).exists()
                if parent in known and parent not in todo and not have:
                    todo.add(parent)
                    changed = True
        return todo
