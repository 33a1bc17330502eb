"""`claimlab plan SPEC --diff REV`: what a spec change does to its plan, for a terminal or a
pull-request comment.

Changed runs are grouped by what changed in them (a base change moves every run the same
way), and long lists are cut, so a comment stays readable (and under GitHub's size limit).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from claimlab.plan_table import Rate, statuses
from claimlab.tables import hours, markdown_table, swept_text, value_text
from compiler.planning.diff import Change, ChangedRun, PlanDiff
from compiler.planning.estimate import run_cost
from runtime.results import FINISHED

# Runs listed per section; the rest are counted.
MAX_LISTED = 50


@dataclass(frozen=True)
class DiffReport:
    spec: Path
    old_label: str          # e.g. "main"
    diff: PlanDiff
    results: Path
    rate: Rate
    note: str = ""          # e.g. "the spec is new"

    @cached_property
    def _statuses(self) -> dict[str, str]:
        runs = (*self.diff.added, *(r for c in self.diff.changed for r in (c.old, c.new)))
        return statuses(self.results, (run.id for run in runs))

    def invalidated(self, change: ChangedRun) -> bool:
        """Whether the run this change replaces had a result (completed or diverged)."""
        return self._statuses[change.old.id] in FINISHED

    @cached_property
    def hours_to_run(self) -> float:
        flops = sum(run_cost(run.config).flops for run in
                    (*self.diff.added, *(c.new for c in self.diff.changed))
                    if self._statuses[run.id] not in FINISHED)
        return self.rate.gpu_hours(flops)

    def groups(self) -> list[tuple[tuple[Change, ...], list[ChangedRun]]]:
        grouped: dict[tuple[Change, ...], list[ChangedRun]] = {}
        for change in self.diff.changed:
            grouped.setdefault(_key(change.changes), []).append(change)
        return sorted(grouped.items(), key=lambda item: -len(item[1]))


def _key(changes: tuple[Change, ...]) -> tuple:
    return tuple((path, json.dumps(old), json.dumps(new)) for path, old, new in changes)


def render_diff(report: DiffReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(_as_json(report), indent=2)
    return _markdown(report) if fmt == "markdown" else _text(report)


def _counts(report: DiffReport) -> tuple[int, int, int, int, int]:
    d = report.diff
    lost = sum(report.invalidated(c) for c in d.changed)
    return len(d.added), len(d.removed), len(d.changed), len(d.unchanged), lost


def _text(report: DiffReport) -> str:
    added, removed, changed, unchanged, lost = _counts(report)
    lines = [f"{report.spec}: plan at {report.old_label} -> working tree"
             + (f" ({report.note})" if report.note else ""),
             f"  {added} added, {removed} removed, {changed} changed, {unchanged} unchanged; "
             f"{lost} completed result(s) invalidated; {hours(report.hours_to_run)} GPU-hours "
             f"to run at {report.rate.describe()}"]
    for changes, runs in report.groups():
        lines.append(f"changed ({len(runs)} run{'s' if len(runs) != 1 else ''}):")
        lines += [f"    {path}: {_shown(old)} -> {_shown(new)}" for path, old, new in changes]
        for change in runs[:MAX_LISTED]:
            mark = "  invalidates its completed result" if report.invalidated(change) else ""
            lines.append(f"  {change.old.id} -> {change.new.id}  "
                         f"{swept_text(change.new.overrides)}{mark}")
        lines += _more(len(runs))
    for title, runs in (("added", report.diff.added), ("removed", report.diff.removed)):
        if runs:
            lines.append(f"{title} ({len(runs)}):")
            lines += [f"  {run.id}  {swept_text(run.overrides)}" for run in runs[:MAX_LISTED]]
            lines += _more(len(runs))
    return "\n".join(lines)


def _more(count: int) -> list[str]:
    return [f"  ... and {count - MAX_LISTED} more"] if count > MAX_LISTED else []


def _markdown(report: DiffReport) -> str:
    added, removed, changed, unchanged, lost = _counts(report)
    parts = [f"### Plan of `{report.spec}` against `{report.old_label}`"
             + (f" ({report.note})" if report.note else ""),
             markdown_table(["added", "removed", "changed", "unchanged",
                             "completed results invalidated", "GPU-hours to run"],
                            [[str(added), str(removed), str(changed), str(unchanged), str(lost),
                              f"{hours(report.hours_to_run)} at {report.rate.describe()}"]])]
    for changes, runs in report.groups():
        what = "; ".join(f"`{path}`: `{_shown(old)}` → `{_shown(new)}`"
                         for path, old, new in changes)
        lost_here = sum(report.invalidated(c) for c in runs)
        parts.append(f"**Changed**, {len(runs)} run{'s' if len(runs) != 1 else ''}"
                     + (f" ({lost_here} completed result{'s' if lost_here != 1 else ''} "
                        "invalidated)" if lost_here else "") + f": {what}")
        rows = [[f"`{c.old.id}`", f"`{c.new.id}`", _code(swept_text(c.new.overrides)),
                 "invalidated" if report.invalidated(c) else ""] for c in runs[:MAX_LISTED]]
        parts.append(_details(f"{len(runs)} changed run(s)",
                              markdown_table(["old id", "new id", "swept values", "result"],
                                             rows), len(runs)))
    for title, runs in (("Added", report.diff.added), ("Removed", report.diff.removed)):
        if runs:
            rows = [[f"`{run.id}`", _code(swept_text(run.overrides))] for run in runs[:MAX_LISTED]]
            parts.append(_details(f"{title}: {len(runs)} run(s)",
                                  markdown_table(["id", "swept values"], rows), len(runs)))
    return "\n\n".join(parts) + "\n"


def _details(summary: str, table: str, count: int) -> str:
    more = f"\n\n… and {count - MAX_LISTED} more" if count > MAX_LISTED else ""
    return f"<details><summary>{summary}</summary>\n\n{table}{more}\n\n</details>"


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def _shown(value: object) -> str:
    return "(absent)" if value is None else value_text(value)


def _as_json(report: DiffReport) -> dict:
    d = report.diff
    return {
        "spec": str(report.spec), "old": report.old_label, "note": report.note,
        "added": [run.id for run in d.added], "removed": [run.id for run in d.removed],
        "unchanged": [run.id for run in d.unchanged],
        "changed": [{"old": c.old.id, "new": c.new.id, "invalidated": report.invalidated(c),
                     "changes": [{"path": p, "old": o, "new": n} for p, o, n in c.changes]}
                    for c in d.changed],
        "gpu_hours_to_run": report.hours_to_run,
    }
