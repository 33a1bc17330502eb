"""What a spec change does to its plan: runs added, removed, unchanged, and changed.

Run ids are hashes of configs, so a run whose config changed is, by id, one run removed and
one added. A removed and an added run are one *changed* run when the sweep put them at the
same point: the same swept values (derived values aside, since they follow from the rest).
Where the new plan sweeps other paths than the old, the paths both sweep are the point, if
that pairs them one to one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_jsonable_python

from compiler.planning.plan import Plan, PlannedRun
from runtime.config.run import RunConfig

Change = tuple[str, Any, Any]     # dotted config path, old value, new value (None: absent)


@dataclass(frozen=True)
class ChangedRun:
    old: PlannedRun
    new: PlannedRun
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class PlanDiff:
    added: tuple[PlannedRun, ...]
    removed: tuple[PlannedRun, ...]
    changed: tuple[ChangedRun, ...]
    unchanged: tuple[PlannedRun, ...]


def diff_plans(old: Plan, new: Plan, derived: Collection[str] = ()) -> PlanDiff:
    """`derived`: the config paths either spec derives, left out of the sweep point."""
    old_ids = {run.id for run in old.runs}
    new_ids = {run.id for run in new.runs}
    gone = [run for run in old.runs if run.id not in new_ids]
    fresh = [run for run in new.runs if run.id not in old_ids]
    pairs = _pair(gone, fresh, lambda run: _point(run, exclude=derived))
    common = _swept_paths(old.runs) & _swept_paths(new.runs) - set(derived)
    paired = {run.id for pair in pairs for run in pair}
    pairs += _pair([run for run in gone if run.id not in paired],
                   [run for run in fresh if run.id not in paired],
                   lambda run: _point(run, only=common))
    paired = {run.id for pair in pairs for run in pair}
    same = _SameSections()
    changed = sorted((ChangedRun(a, b, tuple(same.changes(a.config, b.config)))
                      for a, b in pairs), key=lambda change: change.new.id)
    return PlanDiff(
        added=tuple(run for run in fresh if run.id not in paired),
        removed=tuple(run for run in gone if run.id not in paired),
        changed=tuple(changed),
        unchanged=tuple(run for run in new.runs if run.id in old_ids))


def config_changes(old: Any, new: Any, prefix: str = "") -> Iterable[Change]:
    """The leaves that differ between two configs (or parts of one), as dotted paths."""
    # Not isinstance(old, BaseModel): pydantic's instance checks are slow, and a plan diff
    # makes one per section of each changed run.
    fields = getattr(type(old), "__pydantic_fields__", None)
    if fields is not None and type(old) is type(new):
        for name in fields:
            a, b = getattr(old, name), getattr(new, name)
            if a is not b and a != b:
                yield from config_changes(a, b, f"{prefix}{name}.")
    elif old != new:
        yield from _leaf_changes(to_jsonable_python(old), to_jsonable_python(new),
                                 prefix.rstrip("."))


class _SameSections:
    """Config changes, comparing each pair of sections once: a plan's runs share the section
    objects no sweep value touches, so most pairs repeat from run to run."""

    def __init__(self) -> None:
        self._equal: dict[tuple[int, int], bool] = {}

    def changes(self, old: RunConfig, new: RunConfig) -> Iterable[Change]:
        for name in type(old).model_fields:
            a, b = getattr(old, name), getattr(new, name)
            key = (id(a), id(b))
            if key not in self._equal:
                self._equal[key] = a == b
            if not self._equal[key]:
                yield from config_changes(a, b, f"{name}.")


def _leaf_changes(old: Any, new: Any, path: str) -> Iterable[Change]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                yield from _leaf_changes(old.get(key), new.get(key), f"{path}.{key}")
    elif old != new:
        yield path, old, new


def _pair(old: list[PlannedRun], new: list[PlannedRun],
          point: Any) -> list[tuple[PlannedRun, PlannedRun]]:
    """Old and new runs at the same point, where each side has one run there."""
    old_at: dict[str, list[PlannedRun]] = {}
    new_at: dict[str, list[PlannedRun]] = {}
    for runs, at in ((old, old_at), (new, new_at)):
        for run in runs:
            at.setdefault(point(run), []).append(run)
    return [(old_at[key][0], runs[0]) for key, runs in new_at.items()
            if len(runs) == 1 and len(old_at.get(key, ())) == 1]


def _point(run: PlannedRun, exclude: Collection[str] = (),
           only: Collection[str] | None = None) -> str:
    # repr of validated values: the same field always gives the same type, so it is exact.
    return repr(sorted((path, value) for path, value in run.overrides.items()
                       if path not in exclude and (only is None or path in only)))


def _swept_paths(runs: Iterable[PlannedRun]) -> set[str]:
    paths: set[str] | None = None
    for run in runs:
        paths = set(run.overrides) if paths is None else paths & set(run.overrides)
    return paths or set()
