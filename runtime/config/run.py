"""The run config: the job contract between the compiler and the runtime.

One `RunConfig` fully describes one training run. The compiler resolves a spec into
RunConfigs and writes each as `jobs/<id>.json`; the runtime reads that file and trains.
Everything here is plain pydantic, so this module is importable without torch.

A run's identity (`run_id`) is a hash of its canonical resolved config: every field that can
change the result, defaults filled in, plus `SCHEMA_VERSION`. Paths, names, comments and the
`execution` section (checkpointing, torch.compile) are not part of it, so two specs that need the
same run share it.

The sections are defined in config_model.py, config_optim.py, config_schedule.py,
config_training.py and data_config.py (with the source configs in sources/).
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from pydantic import Field, model_validator

from runtime.config.base import Length, PositiveInt, StepsOrFraction, Strict, Tokens
from runtime.config.data import DataConfig
from runtime.config.model import VOCAB_SIZES, ModelConfig, ParametrizationConfig
from runtime.config.optimizer import AdamWConfig, OptimizerConfig
from runtime.config.schedule import ConstantSchedule, PhaseConfig, ScheduleConfig
from runtime.config.training import (
    BudgetConfig,
    EvalConfig,
    ExecutionConfig,
    StabilityConfig,
    StartConfig,
)

# Bump when a change to the runtime changes what an existing config produces.
SCHEMA_VERSION = 2

__all__ = [
    "SCHEMA_VERSION", "VOCAB_SIZES", "BudgetConfig", "DataConfig", "EvalConfig",
    "ExecutionConfig", "Length", "ModelConfig", "OptimizerConfig", "ParametrizationConfig",
    "PhaseConfig", "PositiveInt", "RunConfig", "ScheduleConfig", "StabilityConfig",
    "StartConfig", "StepsOrFraction", "Strict", "Tokens", "canonical_json", "load_job", "run_id",
]


class RunConfig(Strict):
    """Everything that determines one run's result."""

    model: ModelConfig = ModelConfig()
    parametrization: ParametrizationConfig = ParametrizationConfig()
    optimizer: OptimizerConfig = Field(default_factory=AdamWConfig)
    schedule: ScheduleConfig = Field(default_factory=ConstantSchedule)
    data: DataConfig = DataConfig()
    budget: BudgetConfig = BudgetConfig()
    eval: EvalConfig = EvalConfig()
    stability: StabilityConfig = StabilityConfig()
    start: StartConfig | None = None
    seed: Annotated[int, Field(ge=0)] = 0
    # How to execute the run (checkpoints, torch.compile): not part of its identity.
    execution: ExecutionConfig = ExecutionConfig()

    @model_validator(mode="after")
    def _data_fits_run(self) -> RunConfig:
        if self.data.vocab_size > self.model.vocab_size:
            raise ValueError(f"data: the sources use {self.data.vocab_size} token ids but the "
                             f"model's vocabulary has {self.model.vocab_size}; set model.vocab "
                             f"to {self.data.vocab_size}")
        self.data.phase_starts(self.budget.steps, self.model.seq_len)
        return self

    @property
    def first_step(self) -> int:
        """The step the run starts after: 0, or the step of the checkpoint it starts from.
        Steps count from the first run of a chain of stages."""
        return self.start.step if self.start else 0

    @property
    def last_step(self) -> int:
        """The step the run ends at, counted like `first_step`."""
        return self.first_step + self.budget.steps

    def canonical_json(self) -> str:
        """The config as sorted, compact JSON: the text a run id hashes (`execution` left
        out, since it cannot change the result)."""
        return canonical_json(self.model_dump(mode="json", exclude={"execution"}))

    def run_id(self) -> str:
        return run_id(self)


def canonical_json(data: object) -> str:
    # Floats print as their shortest round-tripping repr, so 1e-3 and 0.001 agree; -0.0 is
    # folded into 0.0 because they train identically.
    return json.dumps(_fold_negative_zero(data), sort_keys=True, separators=(",", ":"),
                      allow_nan=False)


def _fold_negative_zero(data: object) -> object:
    if isinstance(data, float):
        return 0.0 if data == 0 else data
    if isinstance(data, dict):
        return {k: _fold_negative_zero(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_fold_negative_zero(v) for v in data]
    return data


def run_id(config: RunConfig) -> str:
    """12 hex digits of sha256 over the schema version and the canonical config."""
    payload = f"claimlab-run-v{SCHEMA_VERSION}\n{config.canonical_json()}"
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def load_job(path: str) -> RunConfig:
    """Read a `jobs/<id>.json` file written by the compiler."""
    with open(path, encoding="utf-8") as f:
        return RunConfig.model_validate_json(f.read())
