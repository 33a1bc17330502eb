"""The `model` and `parametrization` sections of a run config."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from runtime.config.base import NEW, Identity, PositiveInt, Strict
from runtime.config.registry import Registry

VOCAB_SIZES = {"bytes": 256}

Role = Literal["embedding", "hidden", "readout", "vector"]
# embedding: token and position embeddings (vocab or positions x width).
# hidden:    matrices whose fan_in and fan_out both scale with width (attention, MLP).
# readout:   width -> vocab.
# vector:    norm gains and biases.
ROLES: tuple[Role, ...] = ("embedding", "hidden", "readout", "vector")

ParametrizationKind = Literal["sp", "mup", "ntk", "depth-mup", "minicpm"]
# Each kind's table of per-role powers (a runtime.model.parametrization.Kind).
PARAMETRIZATIONS = Registry("parametrization", {
    "sp": "runtime.model.parametrization:SP",
    "mup": "runtime.model.parametrization:MUP",
    "ntk": "runtime.model.parametrization:NTK",
    "depth-mup": "runtime.model.parametrization:DEPTH_MUP",
    "minicpm": "runtime.model.parametrization:MINICPM",
})

# What `model.preset` fills in: the block choices of a family of published models.
MODEL_PRESETS: dict[str, dict[str, Any]] = {
    "gpt": {"norm": "layernorm", "position": "learned", "mlp": "gelu", "bias": False},
    "llama": {"norm": "rmsnorm", "position": "rope", "mlp": "swiglu", "bias": False},
}

# Constants whose value depends on the kind unless the config sets them (MiniCPM's published
# embedding scale and residual multiplier); every other kind uses 1.
KIND_CONSTANTS: dict[str, dict[str, float]] = {
    "minicpm": {"embedding_mult": 12.0, "residual_mult": 1.4},
}


class ModelConfig(Strict):
    """A decoder-only transformer: nanoGPT's blocks by default (pre-norm LayerNorm, learned
    positions, GELU, no biases on matrices), LLaMA's with `preset: llama`, or any mix of the
    switches below."""

    family: Literal["gpt"] = "gpt"
    """the architecture: a decoder-only transformer (the only family so far)"""
    width: PositiveInt = 128
    """the residual stream's dimension (d_model), a multiple of head_dim"""
    depth: PositiveInt = 2
    """transformer blocks (layers)"""
    head_dim: PositiveInt = 32
    """dimension of each attention head; width / head_dim heads"""
    mlp_ratio: PositiveInt = 4
    """the MLP's hidden dimension as a multiple of width"""
    seq_len: PositiveInt = 128
    """tokens per training sequence (the context length)"""
    vocab: Literal["bytes"] | PositiveInt = "bytes"
    """bytes (256 ids), or the number of token ids of the data's tokenizer or token files"""
    preset: Annotated[Literal["gpt", "llama"] | None, Identity.NEVER] = None
    """block choices filled in where this section leaves them out: `gpt` (LayerNorm, learned
    positions, GELU: the defaults) or `llama` (RMSNorm, RoPE, SwiGLU, no biases); a field
    written beside it wins. Not part of the run's identity: the fields it sets are"""
    norm: Annotated[Literal["layernorm", "rmsnorm", "none"], NEW] = "layernorm"
    """the normalization layers: LayerNorm (gain and bias), RMSNorm (gain only), or none"""
    norm_placement: Annotated[Literal["pre", "post"], NEW] = "pre"
    """`pre`: each branch normalizes its input, and a final norm precedes the readout;
    `post`: each block normalizes the residual stream after adding each branch (the original
    transformer's placement), with no final norm"""
    qk_norm: Annotated[bool, NEW] = False
    """normalize each head's queries and keys over head_dim before their dot products, with
    the model's norm kind and gains of their own (needs a norm)"""
    sigma_reparam: Annotated[bool, NEW] = False
    """σReparam (Zhai et al. 2023): each attention and MLP matrix and an untied readout is
    used as γ·W/σ(W), with σ(W) its spectral norm (exact at init, then one power iteration
    per training step, carried across steps) and γ a learned scalar starting at 1"""
    position: Annotated[Literal["learned", "rope"], NEW] = "learned"
    """positions as learned embeddings added to the tokens', or as rotations of each head's
    queries and keys (RoPE, Su et al. 2021; head_dim must be even)"""
    rope_base: Annotated[float, Field(gt=0), NEW] = 10000.0
    """RoPE's base: pair i of a head rotates by position * rope_base ** (-2i / head_dim)"""
    mlp: Annotated[Literal["gelu", "swiglu"], NEW] = "gelu"
    """the MLP: down(gelu(up(x))), or SwiGLU's down(silu(gate(x)) * up(x)); both hidden
    layers are mlp_ratio * width wide (PaLM's convention), so every matrix scales with width"""
    tied_embeddings: Annotated[bool, NEW] = False
    """the readout reuses the token embedding matrix (its logits still get the
    parametrization's readout multiplier)"""
    bias: Annotated[bool, NEW] = False
    """biases on the attention and MLP matrices and an untied readout; LayerNorm has its own
    bias either way, RMSNorm none"""

    @model_validator(mode="before")
    @classmethod
    def _fill_preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("preset") in MODEL_PRESETS:
            return {**MODEL_PRESETS[data["preset"]], **data}
        return data

    @model_validator(mode="after")
    def _heads_divide_width(self) -> ModelConfig:
        if self.width % self.head_dim:
            raise ValueError(
                f"width ({self.width}) must be a multiple of head_dim ({self.head_dim})"
            )
        if self.position == "rope" and self.head_dim % 2:
            raise ValueError(f"RoPE rotates pairs of dimensions: head_dim ({self.head_dim}) "
                             "must be even")
        if self.qk_norm and self.norm == "none":
            raise ValueError("qk_norm normalizes with the model's norm; set norm to layernorm "
                             "or rmsnorm")
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
    """power of m on the init std"""
    lr: float | None = None
    """power of m on the learning rate"""
    weight_decay: float | None = None
    """power of m on the weight decay"""
    forward: float | None = None
    """power of m on the forward multiplier of the role's module outputs"""


class ExponentOverrides(Strict):
    """Replaces cells of the kind's table: per role, and for the attention scale (power of
    head_dim / base_head_dim) and the residual-branch multiplier (power of depth / base_depth).

    `{hidden: {weight_decay: 1.0}}` makes the hidden matrices' weight decay grow with width.
    """

    embedding: RoleExponents | None = None
    """powers for the token and position embeddings"""
    hidden: RoleExponents | None = None
    """powers for the matrices whose fan_in and fan_out both scale with width (attention,
    MLP)"""
    readout: RoleExponents | None = None
    """powers for the readout matrix (width -> vocab)"""
    vector: RoleExponents | None = None
    """powers for the norm gains and biases"""
    attention: float | None = None
    """power of head_dim / base_head_dim on the attention scale"""
    residual: float | None = None
    """power of depth / base_depth on the residual-branch multiplier"""


class ParametrizationConfig(Strict):
    """How init scale, learning rate, weight decay and forward multipliers depend on width and
    depth.

    `kind` names a table of per-role powers of m = width / base_width (runtime/
    parametrization.py); the numbers here are the base-width constants they multiply, so at
    `width == base_width` and `depth == base_depth` the kinds differ only in these constants.
    """

    kind: ParametrizationKind = "sp"
    """the table of per-role powers of m: sp, mup, ntk, depth-mup or minicpm"""
    base_width: PositiveInt = 64
    """the width at which every kind gives the base values: m = width / base_width"""
    base_depth: PositiveInt = 1
    """the residual-branch multiplier is residual_mult * (depth / base_depth) ** power; with
    the default 1 it is residual_mult / sqrt(depth) under depth-mup and minicpm"""
    embedding_std: float = Field(1.0, gt=0)
    """std of the embeddings' init"""
    init_scale: float = Field(1.0, gt=0)
    """hidden and readout matrices start at std init_scale / sqrt(fan_in) at base width"""
    embedding_mult: float | None = Field(None, gt=0)
    """forward multiplier on the embedding output (default: MiniCPM's published one under
    minicpm, else 1)"""
    output_mult: float = Field(1.0, gt=0)
    """forward multiplier on the readout logits at base width (muP divides it by m)"""
    residual_mult: float | None = Field(None, gt=0)
    """forward multiplier on each residual branch, the attention and MLP outputs (default:
    MiniCPM's published one under minicpm, else 1)"""
    attn_mult: float = Field(1.0, gt=0)
    """attention logits are attn_mult * q.k / sqrt(head_dim) under SP, and
    attn_mult * q.k * sqrt(base_head_dim) / head_dim under muP (1/d scaling; the two agree
    when head_dim == base_head_dim)"""
    base_head_dim: PositiveInt = 32
    """the head_dim at which muP's 1/d attention scale equals SP's 1/sqrt(d)"""
    readout_zero_init: bool = False
    """start the readout matrix at zero"""
    query_zero_init: bool = False
    """start the attention query matrices at zero"""
    overrides: ExponentOverrides | None = None
    """replace cells of the kind's table of powers"""

    @model_validator(mode="after")
    def _fill_kind_constants(self) -> ParametrizationConfig:
        # Filled in, so that leaving a constant out and writing the kind's value are one run.
        defaults = KIND_CONSTANTS.get(self.kind, {})
        for name in ("embedding_mult", "residual_mult"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, defaults.get(name, 1.0))
        return self
