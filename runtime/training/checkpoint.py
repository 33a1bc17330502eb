"""Checkpoints: everything a run needs to go on exactly where it stopped.

A checkpoint holds the model and optimizer state, the step and tokens reached, the run's
first loss (the divergence test compares against it), its elapsed time, the length of its
metrics log at that step, every RNG state, and the weight averages of a run that keeps them.
Data needs no position: the batch for a step is a function of (seed, step).

Files live in <run dir>/ckpt/step-<N>.pt. A run keeps its newest checkpoint to resume from
until it finishes, and for good those of the steps other runs start from (stages). Each is
written to a temporary file, synced and renamed into place before older ones are removed, so a
kill leaves the previous checkpoint or the new one, never half of one, and a full disk leaves
the previous one and no temporary file.

A checkpoint is read with `torch.load(weights_only=True)`: tensors and plain Python values
only, so a file planted among the results can fail to load but never runs code. That is why
the NumPy RNG state is stored as a tensor.
"""

from __future__ import annotations

import os
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from runtime.results import checkpoint_dir, checkpoint_path, checkpoint_steps


@dataclass
class Position:
    """Where a run is, besides its weights and optimizer state."""

    step: int = 0                   # steps completed, counted from the first run of a chain
    tokens: int = 0
    initial_loss: float | None = None
    elapsed_s: float = 0.0          # wall time of every attempt so far
    train_s: float = 0.0            # of which spent in training steps
    metrics_bytes: int = 0          # length of metrics.jsonl after this step's record


def save(target: Path, run_id: str, position: Position, model: torch.nn.Module,
         optimizer: Any, averages: dict[str, Any] | None = None) -> None:
    """Write the checkpoint; `averages` is the state of the run's weight averages, if any
    (lists of tensors)."""
    payload = {
        "run_id": run_id,
        "position": asdict(position),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng": _rng_states(),
    }
    if averages is not None:
        payload["averages"] = averages
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    try:
        with tmp.open("wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class UnreadableCheckpoint(Exception):
    """A checkpoint file that does not load: cut short, overwritten, or not ours."""


def load(source: Path, device: torch.device) -> dict[str, Any]:
    """The checkpoint at `source`; raises UnreadableCheckpoint when it is not one."""
    try:
        payload = torch.load(source, map_location=device, weights_only=True)
        missing = {"run_id", "model", "optimizer", "rng"} - set(payload)
        if missing:
            raise KeyError(f"no {', '.join(sorted(missing))}")
        payload["position"] = Position(**payload["position"])
    except FileNotFoundError:
        raise
    except Exception as error:  # torch raises many kinds for a file that is not a checkpoint
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        raise UnreadableCheckpoint(f"{source}: {type(error).__name__}: {reason}") from None
    return payload


def set_aside(source: Path) -> Path:
    """Rename an unreadable checkpoint to <name>.corrupt, out of the way of every later
    attempt, and return its new path."""
    target = source.with_name(source.name + ".corrupt")
    os.replace(source, target)
    return target


def prune(run_dir: Path, keep: set[int]) -> None:
    """Remove the checkpoints of steps not in `keep`, and any a kill left half-written."""
    for step in checkpoint_steps(run_dir):
        if step not in keep:
            checkpoint_path(run_dir, step).unlink(missing_ok=True)
    for partial in checkpoint_dir(run_dir).glob(".step-*.pt.tmp*"):
        partial.unlink(missing_ok=True)


def restore_rng(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch"])
    if states.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    kind, keys, pos, has_gauss, cached_gaussian = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached_gaussian))
    random.setstate(states["python"])


def _rng_states() -> dict[str, Any]:
    kind, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        # As a tensor: weights-only loading admits no NumPy arrays.
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss,
                  cached_gaussian),
        "python": random.getstate(),
    }
