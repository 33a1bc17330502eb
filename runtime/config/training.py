"""The `budget`, `eval`, `stability`, `start`, `ensemble` and `execution` sections of a run
config."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from runtime.config.base import NEW, Identity, PositiveInt, Strict, round_half_up
from runtime.config.model import ModelConfig
from runtime.config.model_size import parameter_count

PositiveFloat = Annotated[float, Field(gt=0)]


class BudgetConfig(Strict):
    """How long the run trains: `steps`, or a number of tokens (`tokens`, or
    `tokens_per_param` times the model's parameters) that the run config turns into steps of
    batch_size * seq_len tokens, rounded half up, so that batch size can be swept at a fixed
    token budget. Give one of the three."""

    steps: PositiveInt = 200
    """optimizer steps the run trains for (a stage: steps after the one it starts from)"""
    tokens: Annotated[PositiveInt | None, Identity.NEVER] = None
    """train on this many tokens (a stage: after the one it starts from); the steps it comes
    to are part of the run's identity, this field is not"""
    tokens_per_param: Annotated[PositiveFloat | None, Identity.NEVER] = None
    """train on this many tokens per model parameter, counting every parameter as Chinchilla
    did (embeddings included; about 20 is compute-optimal there); the steps it comes to are
    part of the run's identity, this field is not"""

    @model_validator(mode="after")
    def _one_token_budget(self) -> BudgetConfig:
        if self.tokens is not None and self.tokens_per_param is not None:
            raise ValueError("give tokens or tokens_per_param, not both")
        return self

    def in_steps(self, model: ModelConfig, batch_size: int) -> BudgetConfig:
        """This budget with `steps` derived from its token budget (itself when it has none).
        ValueError when it is under one step, or `steps` was given and disagrees."""
        if self.tokens_per_param is not None:
            tokens: float | None = self.tokens_per_param * parameter_count(model).total
        else:
            tokens = self.tokens
        if tokens is None:
            return self
        per_step = batch_size * model.seq_len
        steps = round_half_up(tokens / per_step)
        if steps < 1:
            raise ValueError(f"a budget of {tokens:,.0f} tokens is less than one step of "
                             f"batch_size * seq_len = {per_step:,} tokens")
        if "steps" in self.model_fields_set and self.steps != steps:
            given = "tokens" if self.tokens is not None else "tokens_per_param"
            raise ValueError(
                f"steps ({self.steps}) and {given} ({tokens:,.0f} tokens: {steps} steps of "
                f"{per_step:,}) disagree; give one of them (`steps: null` drops a step count "
                "that a fragment or profile gave)")
        derived = self.model_copy(update={"steps": steps})
        # Derived, not given: validated again with another batch (a sweep reusing this
        # section), the steps are derived again rather than held against the tokens.
        object.__setattr__(derived, "__pydantic_fields_set__", self.model_fields_set - {"steps"})
        return derived


class SharpnessConfig(Strict):
    """The top eigenvalue of the training loss's Hessian on one fixed batch (the run's first
    training batch), by Lanczos iteration on Hessian-vector products from the same random
    direction each time (power iteration's products, but it finds the top eigenvalue even
    where a negative one is larger in magnitude)."""

    every: PositiveInt = 100
    """measure every this many steps, and at the last step"""
    iterations: PositiveInt = 20
    """Hessian-vector products per measurement (each costs about two and a half training
    steps)"""


class EvalConfig(Strict):
    every: PositiveInt = 50
    """evaluate on the validation split every this many steps, and at the last step"""
    batches: PositiveInt = 4
    """validation batches per source at each evaluation (the same batches every time)"""
    diagnostics_every: Annotated[int, Field(ge=0)] | None = None
    """measure training dynamics (per-role activation and update RMS, top singular values,
    attention entropy) every this many steps and at the last step; 0 turns them off, and
    left out they come with each evaluation"""

    sharpness: Annotated[SharpnessConfig | None, NEW] = None
    """measure the top eigenvalue of the training loss's Hessian (`sharpness`), e.g. `{}`
    for every 100 steps"""
    ema: Annotated[float | None, Field(gt=0, lt=1), NEW] = None
    """keep an exponential moving average of the weights with this decay per step
    (ema = decay * ema + (1 - decay) * weights, from the run's first weights), and evaluate
    it beside the weights at each evaluation as `val_loss/ema`"""
    average_last: Annotated[PositiveInt | None, NEW] = None
    """keep the weights of the last this many checkpoints, one every `average_every` steps,
    and evaluate their average beside the weights at each evaluation as `val_loss/avg_last`
    (LAWA: Kaddour 2022, Sanyal et al. 2023)"""
    average_every: Annotated[PositiveInt | None, NEW] = None
    """the steps between the checkpoints `average_last` averages (default: `every`)"""

    @model_validator(mode="after")
    def _diagnostics_with_eval(self) -> EvalConfig:
        if self.diagnostics_every is None:
            object.__setattr__(self, "diagnostics_every", self.every)
        if self.average_every is not None and self.average_last is None:
            raise ValueError("average_every spaces the checkpoints average_last averages; "
                             "set average_last")
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


class EnsembleConfig(Strict):
    """Evaluate the averaged predictions of finished runs instead of training: each run's
    weights at `step` predict next-token probabilities on this run's validation batches, the
    probabilities (not the logits) are averaged, and their loss is logged as
    `val_loss/ensemble`, beside the members' mean loss on the same batches as
    `val_loss/members`. The members share this run's model and data. An ensemble of one run
    is that run, evaluated like an ensemble: the baseline of a sweep over ensemble sizes."""

    runs: tuple[Annotated[str, AfterValidator(_run_id)], ...] = Field(min_length=1)
    """the ids of the member runs (12 hex digits each), in order"""
    step: PositiveInt
    """the step of the members' checkpoints that is evaluated, counted like their steps"""

    @model_validator(mode="after")
    def _distinct(self) -> EnsembleConfig:
        if len(set(self.runs)) != len(self.runs):
            raise ValueError("an ensemble names a run more than once")
        return self


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
