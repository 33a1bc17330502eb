"""Where a run begins: its own newest usable checkpoint, another run's checkpoint (stages), or
a fresh init.

A checkpoint of its own that does not load (cut short by a full disk, overwritten, planted) is
set aside as `<name>.corrupt` and the next newest is tried, down to a fresh start. One whose
metrics log no longer reaches the step it was taken at (the log was cut short or edited) cannot
continue that log, so the run starts over from the beginning, its stale checkpoints removed.
Each of these is said in the Beginning's notes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from runtime.config.run import RunConfig
from runtime.results import METRICS, checkpoint_path, checkpoint_steps
from runtime.training import checkpoint
from runtime.training.checkpoint import Position, UnreadableCheckpoint


@dataclass(frozen=True)
class Beginning:
    position: Position
    # The step this attempt resumed the run at (its own checkpoint), if it did.
    resumed_at: int | None = None
    # What went wrong with what the run left before, and what was done about it.
    notes: tuple[str, ...] = field(default=())
    # The weight averages the resumed checkpoint holds (runtime/training/averaging.py).
    averages: dict[str, Any] | None = None


def begin(config: RunConfig, run_dir: Path, model: torch.nn.Module, optimizer: Any,
          device: torch.device, *, main: bool = True) -> Beginning:
    """Load what the run starts from into `model` and `optimizer`. Only the `main` process
    moves files (the others of a data-parallel run reach the same decisions)."""
    notes: list[str] = []
    while (own := _resumable_step(config, run_dir)) is not None:
        path = checkpoint_path(run_dir, own)
        try:
            payload = checkpoint.load(path, device)
            if payload["run_id"] != config.run_id():
                raise UnreadableCheckpoint(f"{path}: it is a checkpoint of run "
                                           f"{payload['run_id']}")
        except (UnreadableCheckpoint, FileNotFoundError) as error:
            if main and path.exists():
                checkpoint.set_aside(path)
            notes.append(f"checkpoint {path.name} does not load ({_after_path(error)}); set "
                         f"aside as {path.name}.corrupt")
            continue
        position: Position = payload["position"]
        problem = _log_problem(run_dir / METRICS, position, config.first_step)
        if problem:
            notes.append(f"{METRICS} {problem}, so it cannot go on from the checkpoint at step "
                         f"{own}: the run starts over")
            if main:
                for step in checkpoint_steps(run_dir):
                    checkpoint_path(run_dir, step).unlink(missing_ok=True)
            break
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        checkpoint.restore_rng(payload["rng"])
        if notes:
            notes.append(f"resuming from the checkpoint at step {own}")
        return Beginning(position, resumed_at=own, notes=tuple(notes),
                         averages=payload.get("averages"))
    if notes and not any("starts over" in note for note in notes):
        notes.append("no checkpoint of the run loads: it starts over")
    if config.start is not None:
        position = _from_parent(config, run_dir, model, optimizer, device, main)
        return Beginning(position, notes=tuple(notes))
    return Beginning(Position(), notes=tuple(notes))


def _resumable_step(config: RunConfig, run_dir: Path) -> int | None:
    """The newest checkpoint that still lets the run write every checkpoint it must keep:
    none past the first kept step that is missing (an earlier run of it did not keep it)."""
    have = checkpoint_steps(run_dir)
    missing = [s for s in config.execution.keep_checkpoints if s not in have]
    limit = min(missing, default=math.inf)
    usable = [s for s in have if s <= limit]
    return max(usable) if usable else None


def _log_problem(path: Path, position: Position, first_step: int) -> str | None:
    """Why the metrics log at `path` is not the log of steps first_step+1 ... position.step
    followed by anything (what a later kill left), or None when it is."""
    try:
        with path.open("rb") as f:
            head = f.read(position.metrics_bytes)
    except FileNotFoundError:
        return "is missing"
    if len(head) < position.metrics_bytes:
        return (f"has {len(head):,} bytes, fewer than the {position.metrics_bytes:,} it had at "
                f"step {position.step}")
    steps = []
    for line in head.splitlines(keepends=True):
        try:
            record = json.loads(line) if line.endswith(b"\n") else None
        except ValueError:
            record = None
        if not isinstance(record, dict):
            return f"has a broken line before step {position.step}"
        steps.append(record.get("step"))
    if steps != list(range(first_step + 1, position.step + 1)):
        return f"does not hold steps {first_step + 1} to {position.step}, one line each"
    return None


def _after_path(error: Exception) -> str:
    text = str(error)
    return text.split(": ", 1)[1] if ": " in text else text


def _from_parent(config: RunConfig, run_dir: Path, model: torch.nn.Module, optimizer: Any,
                 device: torch.device, main: bool) -> Position:
    start = config.start
    assert start is not None
    source = checkpoint_path(run_dir.parent / start.run, start.step)
    if not source.exists():
        raise FileNotFoundError(
            f"run {start.run} has no checkpoint at step {start.step} ({source}); it must "
            "finish first, keeping that step (`claimlab run` trains parents first)")
    try:
        payload = checkpoint.load(source, device)
    except UnreadableCheckpoint as error:
        if main:
            checkpoint.set_aside(source)
        raise UnreadableCheckpoint(
            f"run {start.run}'s checkpoint at step {start.step} does not load "
            f"({_after_path(error)}); it is set aside as {source.name}.corrupt, so training "
            f"run {start.run} again writes it anew (`claimlab run` does)") from None
    model.load_state_dict(payload["model"])
    if start.optimizer_state:
        optimizer.load_state_dict(payload["optimizer"])
    parent: Position = payload["position"]
    return Position(step=parent.step, tokens=parent.tokens, initial_loss=parent.initial_loss)
