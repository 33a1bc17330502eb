"""Stages: runs that start from another run's checkpoint.

    stages:
      - name: stable                      # the first stage is `base` (plus its own sections)
      - name: decay
        parent: stable                    # the stage it starts from; default: the one before
        at: 400                           # its step to start from; default: where it ends
        optimizer_state: true             # carry the optimizer state over (default)
        schedule: {kind: linear}          # sections deep-merged over the stage it starts from
        budget: {steps: 100}

Every run of the sweep becomes a chain of runs, one per stage, each a RunConfig whose
`start` names the run and step it starts from; the start is part of the run's identity, so a
stage run changes whenever what it starts from does. Sweep keys reach into a stage as
`stages.<name>.<path>` (`stages.decay.at`, `stages.update.data.mix.old`); a stage run is
shared by every sweep value that does not touch it or what it starts from, so one stable
run feeds every decay branch and trains once. Parents keep the checkpoints their stages start
from (`execution.keep_checkpoints`, not part of the identity), and plans with stages list
runs parents first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from compiler.language.config_paths import path_problem, split
from compiler.language.errors import Problem, SpecError
from compiler.language.spec_base import Identifier, SpecModel
from compiler.planning.run_config import resolve_config
from runtime.config.run import RunConfig

# What a stage may change; `model`, `parametrization` and `seed` would not fit the
# checkpoint it starts from.
SECTIONS = ("optimizer", "schedule", "data", "budget", "eval", "stability", "execution")
_OPTIONS = ("parent", "at", "optimizer_state")
Section = dict[str, Any] | None


class Stage(SpecModel):
    name: Identifier
    """names the stage in `parent` and in sweep keys"""
    parent: Identifier | None = None
    """the stage it starts from (default: the one before)"""
    at: Annotated[int, Field(gt=0)] | None = None
    """the step of that stage to start from (default: its last)"""
    optimizer_state: bool = True
    """start from its optimizer state too"""
    optimizer: Section = None
    """deep-merged over the optimizer of the stage it starts from (another kind replaces it)"""
    schedule: Section = None
    """deep-merged over the schedule of the stage it starts from (another kind replaces it);
    it starts over where this stage starts"""
    data: Section = None
    """deep-merged over the data section of the stage it starts from"""
    budget: Section = None
    """deep-merged over the budget of the stage it starts from: the steps this stage trains"""
    eval: Section = None
    """deep-merged over the eval section of the stage it starts from"""
    stability: Section = None
    """deep-merged over the stability section of the stage it starts from"""
    execution: Section = None
    """deep-merged over the execution section of the stage it starts from"""


def _chain(stages: list[Stage]) -> list[Stage]:
    seen: set[str] = set()
    for index, stage in enumerate(stages):
        if stage.name in seen:
            raise ValueError(f"two stages are named {stage.name!r}")
        if index == 0 and (stage.parent or stage.at):
            raise ValueError(f"the first stage ({stage.name!r}) starts from scratch; it takes "
                             "no `parent` or `at`")
        if stage.parent is not None and stage.parent not in seen:
            raise ValueError(f"stage {stage.name!r} starts from {stage.parent!r}, which is not "
                             "a stage before it")
        seen.add(stage.name)
    return stages


Stages = Annotated[list[Stage], AfterValidator(_chain)]


def stage_path_problem(path: str) -> str | None:
    """Why `path` (`stages.<name>.<...>`) cannot be swept, or None when it can; the stage
    name is checked against the spec by `sweep_checks.unknown_stages`."""
    parts = split(path)
    if len(parts) < 3:
        return f"expected stages.<stage name>.<field>, found {path!r}"
    field, rest = parts[2], parts[3:]
    if field in _OPTIONS:
        return None if not rest else f"{'.'.join(parts[:3])} has no fields"
    if field not in SECTIONS:
        return (f"a stage sets {', '.join((*_OPTIONS, *SECTIONS))}; found {field!r} in "
                f"{path!r}")
    return path_problem(".".join(parts[2:]))


def written_stages(stages: Sequence[Stage]) -> dict[str, dict[str, Any]]:
    """Each stage's own settings as written, by name: what sweep keys under `stages.` set."""
    return {stage.name: stage.model_dump(exclude_unset=True, exclude={"name"})
            for stage in stages}


@dataclass(frozen=True)
class StageRun:
    stage: str
    config: RunConfig
    id: str
    parent: str | None = None   # the stage it starts from (the sweep may choose it)


def resolve_chain(data: Mapping[str, Any], stages: Sequence[Stage]) -> list[StageRun]:
    """The runs of one sweep combination: `data` is its root config data plus, under
    `stages`, each stage's settings. Problems have paths into `data`."""
    settings: Mapping[str, dict[str, Any]] = data.get("stages", {})
    root = {key: value for key, value in data.items() if key != "stages"}
    done: dict[str, tuple[dict[str, Any], StageRun]] = {}
    runs = []
    for index, stage in enumerate(stages):
        own = settings.get(stage.name, {})
        sections = {key: own[key] for key in SECTIONS if own.get(key) is not None}
        if index == 0:
            merged, start = _merged(root, sections), None
        else:
            parent_data, parent = _parent(stage, own, stages[index - 1], done)
            merged = _merged(parent_data, sections)
            start = _start(stage, own, parent)
        config, run_id = _resolve(stage.name, own, {**merged, "start": start})
        if start is not None:
            _check_fits(stage.name, config, parent.config)
        run = StageRun(stage.name, config, run_id, parent=None if start is None else parent.stage)
        done[stage.name] = (merged, run)
        runs.append(run)
    return runs


def _parent(stage: Stage, own: Mapping[str, Any], before: Stage,
            done: Mapping[str, tuple[dict[str, Any], StageRun]],
            ) -> tuple[dict[str, Any], StageRun]:
    """The config data and run of the stage `stage` starts from: its `parent`, which a sweep
    may set (the spec's own was checked by _chain), or the stage `before` it."""
    name = own.get("parent") or before.name
    if name not in done:
        raise SpecError([Problem(("stages", stage.name, "parent"),
                                 f"stage {stage.name!r} starts from {name!r}, which is not a "
                                 "stage before it")])
    return done[name]


def ancestry(run: StageRun, chain: Sequence[StageRun]) -> set[str]:
    """The stages of `chain` (one sweep combination's runs) whose values reach `run`: its
    own, the one it starts from, that one's, and so on."""
    by_stage = {link.stage: link for link in chain}
    found: set[str] = set()
    current: StageRun | None = run
    while current is not None:
        found.add(current.stage)
        current = by_stage[current.parent] if current.parent else None
    return found


def _start(stage: Stage, own: Mapping[str, Any], parent: StageRun) -> dict[str, Any]:
    end = parent.config.last_step
    at = own.get("at") or end
    if at > end:
        raise SpecError([Problem(("stages", stage.name, "at"),
                                 f"stage {parent.stage!r} ends at step {end}, before {at}")])
    return {"run": parent.id, "step": at, "optimizer_state": own.get("optimizer_state", True)}


def _resolve(name: str, own: Mapping[str, Any],
             data: Mapping[str, Any]) -> tuple[RunConfig, str]:
    try:
        return resolve_config(data)
    except SpecError as error:
        # A problem in what the stage wrote belongs to the stage; the rest was inherited.
        raise SpecError(replace(p, path=("stages", name, *p.path))
                        if _within_written(own, p.path) else p
                        for p in error.problems) from None


def _within_written(own: Mapping[str, Any], path: tuple) -> bool:
    data: Any = own
    for part in path:
        if not isinstance(data, Mapping) or part not in data:
            return False
        data = data[part]
    return True


def _check_fits(name: str, config: RunConfig, parent: RunConfig) -> None:
    start = config.start
    if start and start.optimizer_state and config.optimizer.kind != parent.optimizer.kind:
        raise SpecError([Problem(("stages", name, "optimizer", "kind"),
                                 f"cannot carry {parent.optimizer.kind} optimizer state over "
                                 f"to {config.optimizer.kind}; set optimizer_state: false")])


def _merged(parent: Mapping[str, Any], sections: Mapping[str, Any]) -> dict[str, Any]:
    return {**parent, **{key: _merge(parent.get(key), value) for key, value in sections.items()}}


def _merge(old: Any, new: Any) -> Any:
    """Mappings merge key by key, anything else replaces; a section of another `kind`
    replaces the old one whole, so no field of the old kind leaks into it."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return new
    if "kind" in new and new["kind"] != old.get("kind"):
        return new
    return {**old, **{key: _merge(old.get(key), value) for key, value in new.items()}}


def link(runs: Sequence[Any]) -> list[Any]:
    """Planned runs with each parent keeping the checkpoints its stages start from, listed
    parents first (by depth, then id)."""
    by_id = {run.id: run for run in runs}
    keep: dict[str, set[int]] = {}
    for run in runs:
        if run.config.start is not None:
            keep.setdefault(run.config.start.run, set()).add(run.config.start.step)
    for run_id, steps in keep.items():
        parent = by_id[run_id]
        execution = parent.config.execution.model_copy(
            update={"keep_checkpoints": tuple(sorted(steps))})
        by_id[run_id] = replace(parent, config=parent.config.model_copy(
            update={"execution": execution}))

    depth = _depths(by_id)
    return sorted(by_id.values(), key=lambda run: (depth[run.id], run.id))


def levels(runs: Sequence[Any]) -> list[list[Any]]:
    """Planned runs by level, in order: first those that start from no run, then those that
    start from a run of the level before, and so on (a plan without stages is one level)."""
    depth = _depths({run.id: run for run in runs})
    grouped: list[list[Any]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for run in runs:
        grouped[depth[run.id]].append(run)
    return grouped


def _depths(by_id: Mapping[str, Any]) -> dict[str, int]:
    """How many runs each run starts from, through its parent's parent and so on."""
    depths: dict[str, int] = {}

    def depth(run_id: str) -> int:
        if run_id not in depths:
            start = by_id[run_id].config.start
            depths[run_id] = 0 if start is None else 1 + depth(start.run)
        return depths[run_id]

    for run_id in by_id:
        depth(run_id)
    return depths


def stage_locations(problems: Sequence[Problem], stages: Sequence[Stage]) -> list[Problem]:
    """Problems found in a stage's own settings, placed at the stage in the spec's list."""
    index = {stage.name: i for i, stage in enumerate(stages)}
    out = []
    for problem in problems:
        path = problem.path
        if path[:2] == ("base", "stages"):
            path = path[1:]
        if path[:1] == ("stages",) and len(path) > 1 and path[1] in index:
            path = ("stages", index[path[1]], *path[2:])
        out.append(replace(problem, path=path))
    return out


