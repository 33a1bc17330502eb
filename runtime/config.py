"""The run config: the job contract between the compiler and the runtime.

One `RunConfig` fully describes one training run. The compiler resolves a spec into
RunConfigs and writes each as `jobs/<id>.json`; the runtime reads that file and trains.
Everything here is plain pydantic, so this module is importable without torch.

A run's identity (`run_id`) is a hash of its canonical resolved config: every field that can
change the result, defaults filled in, plus `SCHEMA_VERSION`. Paths, names and comments are not
part of it, so two specs that need the same run share it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Bump when a change to the runtime changes what an existing config produces.
SCHEMA_VERSION = 1

VOCAB_SIZES = {"bytes": 256}


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


PositiveInt = Annotated[int, Field(gt=0)]
# A length given either as a whole number of steps (int >= 0) or as a fraction of the
# run's total steps (float in [0, 1]); YAML `100` is steps, `0.05` is a fraction.
StepsOrFraction = Annotated[int, Field(ge=0)] | Annotated[float, Field(ge=0.0, le=1.0)]


class ModelConfig(Strict):
    """A byte-level decoder-only transformer (pre-norm GPT)."""

    family: Literal["gpt"] = "gpt"
    width: PositiveInt = 128
    depth: PositiveInt = 2
    head_dim: PositiveInt = 32
    mlp_ratio: PositiveInt = 4
    seq_len: PositiveInt = 128
    vocab: Literal["bytes"] = "bytes"

    @model_validator(mode="after")
    def _heads_divide_width(self) -> ModelConfig:
        if self.width % self.head_dim:
            raise ValueError(
                f"width ({self.width}) must be a multiple of head_dim ({self.head_dim})"
            )
        return self

    @property
    def n_heads(self) -> int:
        return self.width // self.head_dim

    @property
    def vocab_size(self) -> int:
        return VOCAB_SIZES[self.vocab]


class ParametrizationConfig(Strict):
    """How init scale, learning rate and forward multipliers depend on width.

    `kind` names a per-role table (runtime/parametrization.py); the numbers here are its
    base-width constants. At `width == base_width` every parametrization is the same model.
    """

    kind: Literal["sp", "mup"] = "sp"
    base_width: PositiveInt = 64
    # Std of the embedding init; hidden and readout matrices use init_scale / sqrt(fan_in).
    embedding_std: float = Field(1.0, gt=0)
    init_scale: float = Field(1.0, gt=0)
    # Forward multiplier on the readout logits (muP divides it further by width / base_width).
    output_mult: float = Field(1.0, gt=0)
    # Attention logits are attn_mult * q.k / sqrt(head_dim) under SP, and
    # attn_mult * q.k * sqrt(base_head_dim) / head_dim under muP (1/d scaling; the two agree
    # when head_dim == base_head_dim).
    attn_mult: float = Field(1.0, gt=0)
    base_head_dim: PositiveInt = 32
    readout_zero_init: bool = False


class OptimizerConfig(Strict):
    kind: Literal["adamw"] = "adamw"
    lr: float = Field(3e-3, gt=0)
    betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (
        0.9,
        0.95,
    )
    eps: float = Field(1e-8, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    # Clip the global gradient norm to this value; 0 disables clipping.
    grad_clip: float = Field(1.0, ge=0)


DecayShape = Literal["linear", "cosine", "1-sqrt"]


class PhaseConfig(Strict):
    """One segment of a schedule: the LR multiplier moves from `start` to `end` over `steps`.

    `start`/`end` are fractions of the peak LR; `None` start means "where the previous phase
    ended" (0 for the first phase), which is how warmups and decays chain.
    """

    steps: StepsOrFraction
    start: float | None = Field(None, ge=0)
    end: float = Field(1.0, ge=0)
    shape: DecayShape = "linear"


class ScheduleConfig(Strict):
    """A learning-rate schedule: a named shape (sugar) or an explicit list of phases.

    Named kinds expand to phases (runtime/schedules.py):
      constant: warmup, then hold at the peak.
      linear:   warmup, then linear decay to `floor` at the last step.
      cosine:   warmup, then cosine decay to `floor` at the last step.
      wsd:      warmup, hold, then decay over the last `decay` of the run with `decay_shape`.
    Fields that do not apply to the chosen kind are rejected, so a config says only what
    it means and irrelevant values never change a run's identity.
    """

    kind: Literal["constant", "linear", "cosine", "wsd", "phases"] = "constant"
    warmup: StepsOrFraction = 0
    decay: StepsOrFraction | None = None
    decay_shape: DecayShape | None = None
    floor: float | None = Field(None, ge=0, le=1)
    phases: tuple[PhaseConfig, ...] | None = None

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> ScheduleConfig:
        allowed = {
            "constant": {"warmup"},
            "linear": {"warmup", "floor"},
            "cosine": {"warmup", "floor"},
            "wsd": {"warmup", "decay", "decay_shape", "floor"},
            "phases": {"phases"},
        }[self.kind]
        given = {k for k in ("warmup", "decay", "decay_shape", "floor", "phases")
                 if k in self.model_fields_set and getattr(self, k) is not None}
        extra = sorted(given - allowed)
        if extra:
            raise ValueError(
                f"schedule kind {self.kind!r} does not take {', '.join(extra)} "
                f"(it takes {', '.join(sorted(allowed)) or 'nothing'})"
            )
        if self.kind == "phases" and not self.phases:
            raise ValueError("schedule kind 'phases' needs a non-empty `phases` list")
        # Fill the kind's defaults so identical schedules have identical configs.
        defaults = {
            "linear": {"floor": 0.0},
            "cosine": {"floor": 0.0},
            "wsd": {"decay": 0.2, "decay_shape": "linear", "floor": 0.0},
        }.get(self.kind, {})
        for key, value in defaults.items():
            if getattr(self, key) is None:
                object.__setattr__(self, key, value)
        return self


class BuiltinSource(Strict):
    kind: Literal["builtin"] = "builtin"
    name: Literal["stdlib-code"] = "stdlib-code"


SourceConfig = Annotated[BuiltinSource, Field(discriminator="kind")]


class DataConfig(Strict):
    sources: dict[str, SourceConfig] = Field(
        default_factory=lambda: {"code": BuiltinSource(name="stdlib-code")}
    )
    # Sampling weight per source name; normalised to sum to 1 by the runtime.
    mix: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=lambda: {"code": 1.0})
    batch_size: PositiveInt = 16
    # Fraction of each source's documents held out for validation (a deterministic split).
    val_fraction: float = Field(0.05, gt=0, lt=1)

    @model_validator(mode="after")
    def _mix_names_sources(self) -> DataConfig:
        unknown = sorted(set(self.mix) - set(self.sources))
        if unknown:
            raise ValueError(
                f"mix names unknown source(s) {', '.join(unknown)}; "
                f"sources are {', '.join(sorted(self.sources))}"
            )
        if not any(w > 0 for w in self.mix.values()):
            raise ValueError("mix needs at least one source with a positive weight")
        return self


class BudgetConfig(Strict):
    steps: PositiveInt = 200


class EvalConfig(Strict):
    # Evaluate every `every` steps and at the last step; `batches` validation batches each time.
    every: PositiveInt = 50
    batches: PositiveInt = 4


class RunConfig(Strict):
    """Everything that determines one run's result."""

    model: ModelConfig = ModelConfig()
    parametrization: ParametrizationConfig = ParametrizationConfig()
    optimizer: OptimizerConfig = OptimizerConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    data: DataConfig = DataConfig()
    budget: BudgetConfig = BudgetConfig()
    eval: EvalConfig = EvalConfig()
    seed: Annotated[int, Field(ge=0)] = 0

    def canonical_json(self) -> str:
        """The config as sorted, compact JSON: the text a run id hashes."""
        return canonical_json(self.model_dump(mode="json"))

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
