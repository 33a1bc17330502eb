"""Where a run begins: its own newest usable checkpoint, another run's checkpoint (stages), or
a fresh init."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from runtime.config.run import RunConfig
from runtime.results import checkpoint_path, checkpoint_steps
from runtime.training import checkpoint
from runtime.training.checkpoint import Position


@dataclass(frozen=True)
class Beginning:
    position: Position
    # The step this attempt resumed the run at (its own checkpoint), if it did.
    resumed_at: int | None = None


def begin(config: RunConfig, run_dir: Path, model: torch.nn.Module, optimizer: Any,
          device: torch.device) -> Beginning:
    """Load what the run starts from into `model` and `optimizer`."""
    own = _resumable_step(config, run_dir)
    if own is not None:
        payload = checkpoint.load(checkpoint_path(run_dir, own), device)
        if payload["run_id"] != config.run_id():
            raise ValueError(f"{checkpoint_path(run_dir, own)} belongs to run "
                             f"{payload['run_id']}, not {config.run_id()}")
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        checkpoint.restore_rng(payload["rng"])
        return Beginning(payload["position"], resumed_at=own)
    if config.start is not None:
        return Beginning(_from_parent(config, run_dir, model, optimizer, device))
    return Beginning(Position())


def _resumable_step(config: RunConfig, run_dir: Path) -> int | None:
    """The newest checkpoint that still lets the run write every checkpoint it must keep:
    none past the first kept step that is missing (an earlier run of it did not keep it)."""
    have = checkpoint_steps(run_dir)
    missing = [s for s in config.execution.keep_checkpoints if s not in have]
    limit = min(missing, default=math.inf)
    usable = [s for s in have if s <= limit]
    return max(usable) if usable else None


def _from_parent(config: RunConfig, run_dir: Path, model: torch.nn.Module, optimizer: Any,
                 device: torch.device) -> Position:
    start = config.start
    assert start is not None
    source = checkpoint_path(run_dir.parent / start.run, start.step)
    if not source.exists():
        raise FileNotFoundError(
            f"run {start.run} has no checkpoint at step {start.step} ({source}); it must "
            "finish first, keeping that step (`claimlab run` trains parents first)")
    payload = checkpoint.load(source, device)
    model.load_state_dict(payload["model"])
    if start.optimizer_state:
        optimizer.load_state_dict(payload["optimizer"])
    parent: Position = payload["position"]
    return Position(step=parent.step, tokens=parent.tokens, initial_loss=parent.initial_loss)
