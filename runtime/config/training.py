"""The `budget`, `eval`, `stability`, `start` and `execution` sections of a run config."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from runtime.config.base import PositiveInt, Strict


class BudgetConfig(Strict):
    steps: PositiveInt = 200
    """optimizer steps the run trains for (a stage: steps after the one it starts from)"""


class EvalConfig(Strict):
    every: PositiveInt = 50
    """evaluate on the validation split every this many steps, and at the last step"""
    batches: PositiveInt = 4
    """validation batches per source at each evaluation (the same batches every time)"""
    diagnostics_every: Annotated[int, Field(ge=0)] | None = None
    """measure training dynamics (per-role activation and update RMS, top singular values,
    attention entropy) every this many steps and at the last step; 0 turns them off, and
    left out they come with each evaluation"""

    @model_validator(mode="after")
    def _diagnostics_with_eval(self) -> EvalConfig:
        if self.diagnostics_every is None:
            object.__setattr__(self, "diagnostics_every", self.every)
        return self


class StabilityConfig(Strict):
    max_loss_ratio: float = Field(3.0, ge=0)
    """a run diverges at the first step whose loss or gradient norm is not finite, or whose
    train loss exceeds this multiple of the run's first loss; 0 checks only for NaN and inf"""


def _run_id(value: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{12}", value):
        raise ValueError(f"expected a run id (12 hex digits), found {value!r}")
    return value


class StartConfig(Strict):
    """Start from another run's checkpoint instead of a fresh init: its weights, and its
    optimizer state unless `optimizer_state` is false. Steps and tokens continue from there,
    while the schedule starts over (its step 0 is the first step after `step`)."""

    run: Annotated[str, AfterValidator(_run_id)]
    """the id of the run whose checkpoint this run starts from (12 hex digits)"""
    step: PositiveInt
    """the step of that run's checkpoint, counted from the first run of its chain"""
    optimizer_state: bool = True
    """load that checkpoint's optimizer state too; false starts a fresh optimizer"""


class ExecutionConfig(Strict):
    """How a run is executed, not what it computes: not part of the run's identity."""

    checkpoint_every: Annotated[int, Field(ge=0)] = 0
    """write a resumable checkpoint every this many steps (0: never by step count)"""
    checkpoint_minutes: float = Field(10.0, ge=0)
    """and whenever this many minutes have passed since the last one (0: never by time)"""
    keep_checkpoints: tuple[PositiveInt, ...] = ()
    """steps whose checkpoints outlive the run, for the runs that start from them (stages)"""
    compile: bool = False
    """torch.compile the model for training steps"""
