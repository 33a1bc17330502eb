"""Checking a results folder against its layout (runtime/results.py), and setting aside what is
broken: what `claimlab verify [RESULTS] [--repair]` does.

Each run folder is checked for what the rest of claimlab relies on: its config is a run
config whose id is the folder's name; its summary and metrics log read back; the summary agrees
with the log (the steps, the final metrics, the step it diverged at); every checkpoint loads
(weights only) as the run's own at its step; and nothing is left half-written. A run that
another process holds the lease of is being trained, and is left alone.

Repairing moves what is broken to <results>/quarantine/<time>/<run id>/, never deletes it: the
whole run folder when its result cannot be trusted (config, summary or metrics), so that the
run is trained again from the start, and only the file otherwise (a checkpoint that does not
load, a temporary file), so that the run resumes from what is left.
"""

from __future__ import annotations

import math
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from runtime import lease
from runtime.config.run import RunConfig
from runtime.results import (
    CONFIG,
    FINISHED,
    METRICS,
    SUMMARY,
    CorruptResult,
    checkpoint_dir,
    checkpoint_path,
    checkpoint_steps,
    load_summary,
    read_metrics,
)

QUARANTINE = "quarantine"
_RUN_ID = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class Finding:
    path: Path
    problem: str
    # The run's result cannot be trusted: repairing sets the whole run folder aside.
    whole_run: bool


@dataclass(frozen=True)
class RunCheck:
    run: Path
    findings: tuple[Finding, ...] = ()
    # Who is training the run, when someone is: it was not checked.
    held_by: lease.Holder | bool = False

    @property
    def sound(self) -> bool:
        return not self.findings and not self.held_by


@dataclass
class Repair:
    """Where what was set aside went."""

    moved: list[tuple[Path, Path]] = field(default_factory=list)
    left: list[Path] = field(default_factory=list)    # runs a trainer took in the meantime


def check_results(results: Path) -> list[RunCheck]:
    """A check of every run folder in `results`, in order of run id."""
    runs = Path(results) / "runs"
    folders = sorted(p for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []
    return [check_run(folder) for folder in folders]


def check_run(run: Path) -> RunCheck:
    holder = lease.held_by(run)
    if holder:
        return RunCheck(run, held_by=holder)
    return RunCheck(run, tuple(_findings(run)))


def repair(results: Path, checks: list[RunCheck]) -> Repair:
    """Move what `checks` found broken into a new quarantine folder of `results`."""
    done = Repair()
    folder = Path(results) / QUARANTINE / time.strftime("%Y%m%d-%H%M%S")
    for check in checks:
        if not check.findings:
            continue
        held = lease.take(check.run)
        if held is None:
            done.left.append(check.run)
            continue
        with held:   # moved under its lease, so no trainer starts on it half-way
            target = folder / check.run.name
            if any(finding.whole_run for finding in check.findings):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(check.run, target)
                done.moved.append((check.run, target))
                continue
            for finding in check.findings:
                moved_to = target / finding.path.relative_to(check.run)
                moved_to.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(finding.path, moved_to)
                done.moved.append((finding.path, moved_to))
    return done


def _findings(run: Path) -> Iterator[Finding]:
    if not _RUN_ID.fullmatch(run.name):
        yield Finding(run, "not a run folder (its name is not a run id)", whole_run=True)
        return
    if not any((run / name).exists() for name in (CONFIG, SUMMARY, METRICS)) \
            and not checkpoint_steps(run):
        return   # taken and let go before the run began: nothing to check
    config, problem = _config(run)
    if problem:
        yield problem
    summary = None
    try:
        summary = load_summary(run, run.name)
    except CorruptResult as broken:
        yield Finding(broken.path, broken.problem, whole_run=True)
    try:
        records = list(read_metrics(run / METRICS))
    except CorruptResult as broken:
        yield Finding(broken.path, broken.problem, whole_run=True)
        records = None
    if config is None and (summary is None or summary["status"] != "failed"
                           or summary.get("steps")):
        # Only a run that failed before it started (its launcher said so) has no config.
        yield Finding(run / CONFIG, "it is missing", whole_run=True)
    if summary is not None and records is not None:
        yield from _agreement(run, summary, records, config)
    yield from _checkpoints(run)


def _config(run: Path) -> tuple[RunConfig | None, Finding | None]:
    """The run's config (None when it has none, or a broken one), and what is wrong with it."""
    path = run / CONFIG
    try:
        config = RunConfig.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as error:   # a ValidationError is a ValueError
        reason = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
        return None, Finding(path, f"not a run config ({reason[:200]})", whole_run=True)
    if config.run_id() != run.name:
        return config, Finding(path, f"it describes run {config.run_id()}, not {run.name} "
                                     "(the folder's name)", whole_run=True)
    return config, None


def _agreement(run: Path, summary: dict[str, Any], records: list[dict[str, Any]],
               config: RunConfig | None) -> Iterator[Finding]:
    """What in the summary disagrees with the metrics log it sums up."""
    path = run / SUMMARY
    steps = [record["step"] for record in records]
    first = config.first_step + 1 if config else (steps[0] if steps else 1)
    if config is not None and config.ensemble is not None:
        first = config.ensemble.step   # its log is one line, at the step it evaluates
    if steps != list(range(first, first + len(steps))):
        yield Finding(run / METRICS, "its steps are not one line each, in order",
                      whole_run=True)
        return
    if summary["status"] not in FINISHED:
        return
    last = records[-1] if records else {}
    if summary.get("steps") != last.get("step"):
        yield Finding(path, f"it says {summary.get('steps')} steps where the metrics log ends "
                            f"at step {last.get('step')}", whole_run=True)
    if summary["status"] == "diverged" and summary.get("diverged_at") != last.get("step"):
        yield Finding(path, f"it says the run diverged at step {summary.get('diverged_at')} "
                            f"where the metrics log ends at step {last.get('step')}",
                      whole_run=True)
    if summary["status"] == "completed":
        differ = sorted(name for name, value in summary.get("final", {}).items()
                        if not _same(value, last.get(name)))
        if differ:
            yield Finding(path, f"its final {', '.join(differ)} differ from the last step's "
                                "in the metrics log", whole_run=True)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def _checkpoints(run: Path) -> Iterator[Finding]:
    steps = checkpoint_steps(run)
    if steps:
        import torch

        from runtime.training.checkpoint import UnreadableCheckpoint, load

        for step in steps:
            path = checkpoint_path(run, step)
            try:
                payload = load(path, torch.device("cpu"))
            except (UnreadableCheckpoint, OSError) as error:
                reason = str(error).split(": ", 1)[-1]
                yield Finding(path, f"it does not load ({reason})", whole_run=False)
                continue
            if payload["run_id"] != run.name:
                yield Finding(path, f"it is a checkpoint of run {payload['run_id']}",
                              whole_run=False)
            elif payload["position"].step != step:
                yield Finding(path, f"it holds step {payload['position'].step}, not {step}",
                              whole_run=False)
    folder = checkpoint_dir(run)
    for aside in sorted(folder.glob("step-*.pt.corrupt")):
        yield Finding(aside, "a checkpoint set aside earlier because it did not load",
                      whole_run=False)
    for partial in sorted([*folder.glob(".*.tmp*"), *run.glob(".*.tmp*")]):
        yield Finding(partial, "a temporary file an interrupted write left", whole_run=False)
