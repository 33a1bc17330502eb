"""The run config: the job contract between the compiler and the runtime.

One `RunConfig` fully describes one training run. The compiler resolves a spec into
RunConfigs and writes each as `jobs/<id>.json`; the runtime reads that file and trains.
Everything here is plain pydantic, so this module is importable without torch.

A run's identity (`run_id`) is a hash of its canonical resolved config: every field that can
change the result, defaults filled in, plus `SCHEMA_VERSION`. Paths, names, comments and the
`execution` section (checkpointing, torch.compile) are not part of it, so two specs that need the
same run share it. Fields added after runs already had ids (marked `Annotated[T, NEW]`, see
runtime/config/base.py) enter it only when set to something other than their default, which
reproduces what the config computed before they existed: adding a switch moves no id, and
SCHEMA_VERSION moves only when an existing config's computation changes.

The sections are defined beside this module: model.py, optimizer.py, schedule.py, training.py
and data.py (with the source configs in runtime/data/sources/).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from runtime.config.base import (
    NEW,
    Identity,
    Length,
    PositiveInt,
    Seed,
    StepsOrFraction,
    Strict,
    Tokens,
    identity_exclusions,
    left_out_of_identity,
)
from runtime.config.data import DataConfig
from runtime.config.model import VOCAB_SIZES, ModelConfig, ParametrizationConfig
from runtime.config.optimizer import AdamWConfig, OptimizerConfig
from runtime.config.schedule import ConstantSchedule, PhaseConfig, ScheduleConfig
from runtime.config.training import (
    BudgetConfig,
    EnsembleConfig,
    EvalConfig,
    ExecutionConfig,
    StabilityConfig,
    StartConfig,
)

# Bump when a change to the runtime changes what an existing config produces.
SCHEMA_VERSION = 2

__all__ = [
    "SCHEMA_VERSION", "VOCAB_SIZES", "BudgetConfig", "DataConfig", "EnsembleConfig", "EvalConfig",
    "ExecutionConfig", "Length", "ModelConfig", "Need", "OptimizerConfig", "ParametrizationConfig",
    "PhaseConfig", "PositiveInt", "RunConfig", "ScheduleConfig", "SectionTexts",
    "StabilityConfig", "StartConfig", "StepsOrFraction", "Strict", "Tokens", "canonical_json",
    "load_job", "run_id",
]


class RunConfig(Strict):
    """Everything that determines one run's result."""

    model: ModelConfig = ModelConfig()
    """the transformer's shape: width, depth, heads, sequence length, vocabulary"""
    parametrization: ParametrizationConfig = ParametrizationConfig()
    """how init, learning rate, weight decay and multipliers scale with width and depth"""
    optimizer: OptimizerConfig = Field(default_factory=AdamWConfig)
    """the optimizer, picked by `kind` (default adamw), and its peak learning rate"""
    schedule: ScheduleConfig = Field(default_factory=ConstantSchedule)
    """the learning-rate multiplier over the run: a named `kind` or explicit phases"""
    data: DataConfig = DataConfig()
    """the sources, how they are mixed (in which phases), and the batch size"""
    budget: BudgetConfig = BudgetConfig()
    """how long the run trains"""
    eval: EvalConfig = EvalConfig()
    """when the run evaluates on held-out data and measures its training dynamics"""
    stability: StabilityConfig = StabilityConfig()
    """when the run counts as diverged and stops"""
    start: StartConfig | None = None
    """start from another run's checkpoint instead of a fresh init (set by stages)"""
    ensemble: Annotated[EnsembleConfig | None, NEW] = None
    """evaluate the averaged predictions of these finished runs instead of training (set by
    an ensemble stage)"""
    seed: Seed = 0
    """seeds the init and the data draws (set by `sweep.seeds` in a spec)"""
    execution: Annotated[ExecutionConfig, Identity.NEVER] = ExecutionConfig()
    """how to execute the run (checkpoints, torch.compile): not part of its identity"""

    @field_validator("budget")
    @classmethod
    def _steps_from_tokens(cls, budget: BudgetConfig, info: ValidationInfo) -> BudgetConfig:
        # The sections before `budget` are validated by now; a budget in tokens becomes
        # steps of this run's batch (a failed section was reported already).
        model, data = info.data.get("model"), info.data.get("data")
        return budget if model is None or data is None else budget.in_steps(model,
                                                                            data.batch_size)

    @model_validator(mode="after")
    def _data_fits_run(self) -> RunConfig:
        if self.data.vocab_size > self.model.vocab_size:
            raise ValueError(f"data: the sources use {self.data.vocab_size} token ids but the "
                             f"model's vocabulary has {self.model.vocab_size}; set model.vocab "
                             f"to {self.data.vocab_size}")
        self.data.phase_starts(self.budget.steps, self.model.seq_len)
        if self.ensemble is not None and self.start is not None:
            raise ValueError("an ensemble evaluates its members' checkpoints; it does not "
                             "start from another run's")
        return self

    def needs(self) -> tuple[Need, ...]:
        """The runs this run reads, which must finish before it starts: the run it starts
        from, its ensemble's members, and the run its schedule is derived from."""
        needs = []
        if self.start is not None:
            needs.append(Need(self.start.run, self.start.step))
        if self.ensemble is not None:
            needs += [Need(member, self.ensemble.step) for member in self.ensemble.runs]
        source = getattr(self.schedule, "run", None)
        if source is not None:
            needs.append(Need(source, None))
        return tuple(needs)

    @property
    def first_step(self) -> int:
        """The step the run starts after: 0, or the step of the checkpoint it starts from.
        Steps count from the first run of a chain of stages."""
        return self.start.step if self.start else 0

    @property
    def last_step(self) -> int:
        """The step the run ends at, counted like `first_step`."""
        return self.first_step + self.budget.steps

    def canonical_json(self, texts: SectionTexts | None = None) -> str:
        """The config as sorted, compact JSON: the text a run id hashes. Left out: what
        cannot change the result (`execution`), and fields added since ids existed while
        they hold the default that computes what configs computed before them.

        With `texts`, it is written field by field, each section as the canonical text of its
        own dump (what json.dumps with sorted keys writes for it inside the whole), and
        `texts` keeps each section's text, so that the configs of a sweep, which share most of
        their sections, serialise each once. The text is the same with it or without.
        """
        if texts is None:
            return canonical_json(self.model_dump(mode="json", exclude=identity_exclusions(self)))
        left_out = left_out_of_identity(self)
        parts = []
        for name in _sorted_fields(type(self)):
            if name not in left_out:
                value = getattr(self, name)
                known = texts.get(id(value))
                text = known[1] if known else _identity_text(self, name, value, texts)
                # Field names are identifiers: quoting one is what json.dumps writes for it.
                parts.append(f'"{name}":{text}')
        return "{" + ",".join(parts) + "}"

    def run_id(self, texts: SectionTexts | None = None) -> str:
        return run_id(self, texts)


@dataclass(frozen=True)
class Need:
    """A run another run reads."""

    run: str
    # The step whose checkpoint is read (its weights), or None when what is read is the
    # finished run's metrics log (a schedule derived from it).
    step: int | None


def canonical_json(data: object) -> str:
    # Floats print as their shortest round-tripping repr, so 1e-3 and 0.001 agree; -0.0 is
    # folded into 0.0 because they train identically. Folding walks the whole config in
    # Python (a quarter of compiling a large grid), so it is done only when the text holds
    # "-0.0", as every negative zero prints (and so do numbers like -0.05, harmlessly).
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    if "-0.0" not in text:
        return text
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


# The id of a field's value (a section, or a scalar) -> the value and its canonical text; the
# value is kept so that its id is not reused while the texts are.
SectionTexts = dict[int, tuple[object, str]]


@functools.cache
def _sorted_fields(model: type[RunConfig]) -> tuple[str, ...]:
    return tuple(sorted(model.model_fields))


def _identity_text(config: RunConfig, name: str, value: object, texts: SectionTexts) -> str:
    """The canonical text of the config's field `name`, holding `value`, as it enters the
    config's identity; kept in `texts` (but for a list or mapping, which could change)."""
    if isinstance(value, BaseModel):
        text = canonical_json(value.model_dump(mode="json", exclude=identity_exclusions(value)))
    elif value is None or isinstance(value, (bool, int, float, str)):
        text = canonical_json(value)
    else:
        inner = identity_exclusions(config).get(name)
        return canonical_json(config.model_dump(mode="json", include={name},
                                                exclude={name: inner} if inner else None)[name])
    texts[id(value)] = (value, text)
    return text


def run_id(config: RunConfig, texts: SectionTexts | None = None) -> str:
    """12 hex digits of sha256 over the schema version and the canonical config (`texts`:
    see RunConfig.canonical_json)."""
    payload = f"claimlab-run-v{SCHEMA_VERSION}\n{config.canonical_json(texts)}"
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def load_job(path: str) -> RunConfig:
    """Read a `jobs/<id>.json` file written by the compiler."""
    with open(path, encoding="utf-8") as f:
        return RunConfig.model_validate_json(f.read())
