"""The `model` and `parametrization` sections of a run config."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from runtime.config.base import PositiveInt, Strict

VOCAB_SIZES = {"bytes": 256}

Role = Literal["embedding", "hidden", "readout", "vector"]
# embedding: token and position embeddings (vocab or positions x width).
# hidden:    matrices whose fan_in and fan_out both scale with width (attention, MLP).
# readout:   width -> vocab.
# vector:    norm gains and biases.
ROLES: tuple[Role, ...] = ("embedding", "hidden", "readout", "vector")

ParametrizationKind = Literal["sp", "mup", "ntk", "depth-mup", "minicpm"]

# Constants whose value depends on the kind unless the config sets them (MiniCPM's published
# embedding scale and residual multiplier); every other kind uses 1.
KIND_CONSTANTS: dict[str, dict[str, float]] = {
    "minicpm": {"embedding_mult": 12.0, "residual_mult": 1.4},
}


class ModelConfig(Strict):
    """A byte-level decoder-only transformer (pre-norm GPT)."""

    family: Literal["gpt"] = "gpt"
    width: PositiveInt = 128
    depth: PositiveInt = 2
    head_dim: PositiveInt = 32
    mlp_ratio: PositiveInt = 4
    seq_len: PositiveInt = 128
    # "bytes", or the number of token ids of the data's tokenizer (or token files).
    vocab: Literal["bytes"] | PositiveInt = "bytes"

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
        return self.vocab if isinstance(self.vocab, int) else VOCAB_SIZES[self.vocab]


class RoleExponents(Strict):
    """Powers of m = width / base_width on one role's base-width values; a field left out
    keeps the kind's power."""

    init: float | None = None
    lr: float | None = None
    weight_decay: float | None = None
    forward: float | None = None


class ExponentOverrides(Strict):
    """Replaces cells of the kind's table: per role, and for the attention scale (power of
    head_dim / base_head_dim) and the residual-branch multiplier (power of depth / base_depth).

    `{hidden: {weight_decay: 1.0}}` makes the hidden matrices' weight decay grow with width.
    """

    embedding: RoleExponents | None = None
    hidden: RoleExponents | None = None
    readout: RoleExponents | None = None
    vector: RoleExponents | None = None
    attention: float | None = None
    residual: float | None = None


class ParametrizationConfig(Strict):
    """How init scale, learning rate, weight decay and forward multipliers depend on width and
    depth.

    `kind` names a table of per-role powers of m = width / base_width (runtime/
    parametrization.py); the numbers here are the base-width constants they multiply, so at
    `width == base_width` and `depth == base_depth` the kinds differ only in these constants.
    """

    kind: ParametrizationKind = "sp"
    base_width: PositiveInt = 64
    # The residual-branch multiplier is residual_mult * (depth / base_depth) ** power; with the
    # default 1 it is residual_mult / sqrt(depth) under depth-mup and minicpm.
    base_depth: PositiveInt = 1
    # Std of the embedding init; hidden and readout matrices use init_scale / sqrt(fan_in).
    embedding_std: float = Field(1.0, gt=0)
    init_scale: float = Field(1.0, gt=0)
    # Forward multipliers at base width: on the embedding output, on the readout logits (muP
    # divides it further by m), and on each residual branch (attention and MLP outputs).
    embedding_mult: float | None = Field(None, gt=0)
    output_mult: float = Field(1.0, gt=0)
    residual_mult: float | None = Field(None, gt=0)
    # Attention logits are attn_mult * q.k / sqrt(head_dim) under SP, and
    # attn_mult * q.k * sqrt(base_head_dim) / head_dim under muP (1/d scaling; the two agree
    # when head_dim == base_head_dim).
    attn_mult: float = Field(1.0, gt=0)
    base_head_dim: PositiveInt = 32
    readout_zero_init: bool = False
    query_zero_init: bool = False
    overrides: ExponentOverrides | None = None

    @model_validator(mode="after")
    def _fill_kind_constants(self) -> ParametrizationConfig:
        # Filled in, so that leaving a constant out and writing the kind's value are one run.
        defaults = KIND_CONSTANTS.get(self.kind, {})
        for name in ("embedding_mult", "residual_mult"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, defaults.get(name, 1.0))
        return self
