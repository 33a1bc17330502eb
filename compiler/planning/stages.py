"""Stages: runs that start from another run's checkpoint.

    stages:
      - name: stable                      # the first stage is `base` (plus its own sections)
      - name: decay
        parent: stable                    # the stage it starts from; default: the one before
        at: 400                           # its step to start from; default: where it ends
        optimizer_state: true             # carry the optimizer state over (default)
        schedule: {kind: linear}          # sections deep-merged over the stage it starts from
        budget: {steps: 100}
      - name: again
        parent: stable
        at: 0                             # a fresh run: the parent's config, none of its steps
        schedule: {kind: refined}         # ... whose schedule is refined from the parent's log
      - name: ensemble
        parent: stable
        ensemble: [0, 1, 2]               # the parent's runs at these seeds, their predictions
                                          # averaged (`val_loss/ensemble`); trains nothing

Every run of the sweep becomes a chain of runs, one per stage, each a RunConfig whose
`start` names the run and step it starts from; the start is part of the run's identity, so a
stage run changes whenever what it starts from does. Sweep keys reach into a stage as
`stages.<name>.<path>` (`stages.decay.at`, `stages.update.data.mix.old`); a stage run is
shared by every sweep value that does not touch it or what it starts from, so one stable
run feeds every decay branch and trains once. Parents keep the checkpoints their stages start
from (`execution.keep_checkpoints`, not part of the identity), and plans with stages list
runs parents first.

A stage `at: 0` starts from its parent's step 0: its own run from a fresh init, with the
parent's config merged under its own sections. A stage whose schedule is `refined` derives it
from its parent's logged gradient norms (runtime/optim/refined.py): the compiler fills in the
parent's run id, so it trains after its parent and changes whenever its parent does. An
ensemble stage trains nothing: its run evaluates the averaged predictions of its parent
stage's runs at the seeds it lists (its members, the runs of the sweep with those seeds,
everything else alike), at step `at` of theirs. The members are trained once however many
ensembles name them, and keep the checkpoint it reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any

from pydantic import AfterValidator, Field, TypeAdapter, ValidationError

from compiler.language.config_paths import path_problem, split
from compiler.language.errors import Problem, SpecError, did_you_mean
from compiler.language.spec_base import Identifier, SpecModel
from compiler.planning.run_config import resolve_config
from runtime.config.base import Seed
from runtime.config.run import RunConfig

# What a stage may change; `model`, `parametrization` and `seed` would not fit the
# checkpoint it starts from.
SECTIONS = ("optimizer", "schedule", "data", "budget", "eval", "stability", "execution")
_OPTIONS = ("parent", "at", "optimizer_state", "ensemble")
# What an ensemble stage may change: it trains nothing, so only how it is evaluated.
ENSEMBLE_SECTIONS = ("eval", "execution")
Section = dict[str, Any] | None


def _distinct(seeds: list[int]) -> list[int]:
    if len(set(seeds)) != len(seeds):
        raise ValueError("an ensemble lists a seed more than once")
    return seeds


EnsembleSeeds = Annotated[list[Seed], Field(min_length=1), AfterValidator(_distinct)]


class Stage(SpecModel):
    name: Identifier
    """names the stage in `parent` and in sweep keys"""
    parent: Identifier | None = None
    """the stage it starts from (default: the one before)"""
    at: Annotated[int, Field(ge=0)] | None = None
    """the step of that stage to start from (default: its last); 0 is a fresh run with that
    stage's config; in an ensemble stage, the step of its members that is evaluated"""
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
    ensemble: EnsembleSeeds | None = None
    """make this stage an ensemble: it trains nothing, and evaluates the averaged predictions
    of its parent stage's runs at these seeds (`val_loss/ensemble`; one seed: that run's
    own loss, the baseline of a sweep over ensemble sizes)"""


def _chain(stages: list[Stage]) -> list[Stage]:
    seen: set[str] = set()
    for index, stage in enumerate(stages):
        if stage.name in seen:
            raise ValueError(f"two stages are named {stage.name!r}")
        if index == 0 and (stage.parent or stage.at is not None):
            raise ValueError(f"the first stage ({stage.name!r}) starts from scratch; it takes "
                             "no `parent` or `at`")
        if index == 0 and stage.ensemble:
            raise ValueError(f"the first stage ({stage.name!r}) trains: an ensemble stage "
                             "comes after the stage whose runs it ensembles")
        if stage.parent is not None and stage.parent not in seen:
            raise ValueError(f"stage {stage.name!r} starts from {stage.parent!r}, which is not "
                             f"a stage before it{did_you_mean(stage.parent, sorted(seen))}")
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
            merged, parent = _merged(root, sections), None
            config, run_id = _resolve(stage.name, own, {**merged, "start": None})
        else:
            parent_data, parent = _parent(stage, own, stages[index - 1], done)
            merged = _merged(parent_data, sections)
            at = _at(stage, own, parent)
            if own.get("ensemble") is not None:
                config, run_id = _ensemble(stage, own, merged, parent, at, data, stages)
            else:
                config, run_id = _resolve(stage.name, own, {
                    **_refined_from(merged, parent),
                    "start": _start(own, parent, at)})
                _check_fits(stage.name, config, parent.config)
        run = StageRun(stage.name, config, run_id, parent=parent.stage if parent else None)
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
                                 f"stage before it{did_you_mean(str(name), sorted(done))}")])
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


def _at(stage: Stage, own: Mapping[str, Any], parent: StageRun) -> int:
    """The step of the parent's that the stage starts from (or ensembles)."""
    end = parent.config.last_step
    at = own.get("at")
    at = end if at is None else at
    if at > end:
        raise SpecError([Problem(("stages", stage.name, "at"),
                                 f"stage {parent.stage!r} ends at step {end}, before {at}")])
    return at


def _start(own: Mapping[str, Any], parent: StageRun, at: int) -> dict[str, Any] | None:
    if at == 0:   # the parent's step 0 is its init: the stage's run starts fresh
        return None
    return {"run": parent.id, "step": at, "optimizer_state": own.get("optimizer_state", True)}


def _refined_from(merged: dict[str, Any], parent: StageRun) -> dict[str, Any]:
    """`merged` with a refined schedule given the run it refines: the parent's. Only the
    stage's run gets it, so a stage after it that keeps the kind refines its own parent."""
    schedule = merged.get("schedule")
    if not isinstance(schedule, Mapping) or schedule.get("kind") != "refined":
        return merged
    return {**merged, "schedule": {**schedule, "run": parent.id}}


def _ensemble(stage: Stage, own: Mapping[str, Any], merged: Mapping[str, Any],
              parent: StageRun, at: int, data: Mapping[str, Any],
              stages: Sequence[Stage]) -> tuple[RunConfig, str]:
    """The ensemble stage's run: its parent's config, with `ensemble` naming the parent
    stage's runs at the stage's seeds (those runs' chains resolved again with each seed),
    and the first of those seeds, so that every sweep seed makes the same ensemble run."""
    problems = [Problem(("stages", stage.name, key),
                        "an ensemble stage trains nothing: of the sections, it sets only "
                        f"{' and '.join(ENSEMBLE_SECTIONS)}")
                for key in SECTIONS if own.get(key) is not None and key not in ENSEMBLE_SECTIONS]
    if parent.config.ensemble is not None:
        problems.append(Problem(("stages", stage.name, "parent"),
                                f"stage {parent.stage!r} is an ensemble; an ensemble's members "
                                "are runs that train"))
    if at == 0:
        problems.append(Problem(("stages", stage.name, "at"),
                                "an ensemble evaluates its members' weights at a step after 0"))
    try:
        seeds = TypeAdapter(EnsembleSeeds).validate_python(own["ensemble"])
    except ValidationError as error:
        problems.append(Problem(("stages", stage.name, "ensemble"),
                                "; ".join(e["msg"] for e in error.errors())))
    if problems:
        raise SpecError(problems)
    names = [s.name for s in stages]
    upto = stages[:names.index(parent.stage) + 1]
    members = [resolve_chain({**data, "seed": seed}, upto)[-1].id for seed in seeds]
    return _resolve(stage.name, own, {**merged, "seed": seeds[0], "start": None,
                                      "ensemble": {"runs": members, "step": at}})


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


def unplanned_members(runs: Sequence[Any], stages: Sequence[Stage]) -> list[Problem]:
    """Ensemble stages whose members are not all runs of the plan: a member is the run of
    the sweep with its seed, so a seed the sweep does not run has none."""
    planned = {run.id for run in runs}
    found = {run.stage: run.config.ensemble for run in runs if run.config.ensemble is not None
             and not set(run.config.ensemble.runs) <= planned}
    return stage_locations([Problem(("stages", name, "ensemble"),
                                    "its members are the sweep's runs with these seeds, and "
                                    "the sweep does not run every one of them: list them "
                                    "in sweep.seeds")
                            for name in sorted(found)], stages)


def link(runs: Sequence[Any]) -> list[Any]:
    """Planned runs with each parent keeping the checkpoints its stages start from (and
    each ensemble member the one its ensembles read), listed parents first (by depth, then
    id)."""
    by_id = {run.id: run for run in runs}
    keep: dict[str, set[int]] = {}
    for run in runs:
        for need in run.config.needs():
            if need.step is not None:
                keep.setdefault(need.run, set()).add(need.step)
    for run_id, steps in keep.items():
        parent = by_id[run_id]
        execution = parent.config.execution.model_copy(
            update={"keep_checkpoints": tuple(sorted(steps))})
        by_id[run_id] = replace(parent, config=parent.config.model_copy(
            update={"execution": execution}))

    depth = _depths(by_id)
    return sorted(by_id.values(), key=lambda run: (depth[run.id], run.id))


def levels(runs: Sequence[Any]) -> list[list[Any]]:
    """Planned runs by level, in order: first those that read no run, then those that read
    runs of the levels before (start from, ensemble, refine), and so on (a plan without
    stages is one level)."""
    depth = _depths({run.id: run for run in runs})
    grouped: list[list[Any]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for run in runs:
        grouped[depth[run.id]].append(run)
    return grouped


def _depths(by_id: Mapping[str, Any]) -> dict[str, int]:
    """The longest path from each run through the runs it reads, and the runs they read,
    down to a run that reads none (a run outside the plan counts as one that reads none)."""
    depths: dict[str, int] = {}

    def depth(run_id: str) -> int:
        if run_id not in depths:
            needs = by_id[run_id].config.needs() if run_id in by_id else ()
            depths[run_id] = max((1 + depth(need.run) for need in needs), default=0)
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


