"""Which runs read which: the dependencies among a plan's jobs.

A run whose config has `start: {run: P, step: S}` needs P's checkpoint at step S, an
ensemble run each member's checkpoint at its step, and a run with a refined schedule the
finished log of the run it refines (RunConfig.needs). So those runs train first, and a
finished run that no longer has a checkpoint another needs must train again (deterministic,
so it reproduces its own results and writes the checkpoint on the way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from runtime.config.run import Need, load_job
from runtime.results import checkpoint_path, run_dir


class JobLike(Protocol):
    run_id: str
    path: Path


@dataclass(frozen=True)
class JobGraph:
    # run id -> the runs it reads (only runs that read some)
    needs: dict[str, tuple[Need, ...]]

    @classmethod
    def of(cls, jobs: Sequence[JobLike]) -> JobGraph:
        needs = {}
        for job in jobs:
            found = load_job(str(job.path)).needs()
            if found:
                needs[job.run_id] = found
        return cls(needs)

    def parents(self, run_id: str) -> set[str]:
        """The runs `run_id` reads."""
        return {need.run for need in self.needs.get(run_id, ())}

    def descendants(self, run_id: str) -> set[str]:
        """The runs that read `run_id`, the runs that read those, and so on."""
        found, frontier = set(), {run_id}
        while frontier:
            frontier = {child for child, needs in self.needs.items()
                        if any(need.run in frontier for need in needs)} - found
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
                for need in self.needs.get(child, ()):
                    if need.step is None or need.run not in known or need.run in todo:
                        continue
                    if not checkpoint_path(run_dir(results, need.run), need.step).exists():
                        todo.add(need.run)
                        changed = True
        return todo
