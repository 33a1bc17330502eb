"""Parametrizations as data: how init, learning rate, weight decay and forward multipliers
scale with width.

Every parameter has a role. A parametrization kind is a table of exponents: for each role, the
power of m = width / base_width that multiplies the role's base-width init std, learning rate,
weight decay and forward multiplier (the abc-parametrization view of Tensor Programs). The
base-width values are shared by every kind, so at width == base_width all kinds are one model.

Pure Python (no torch), so the table can be printed and checked anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from runtime.config import ModelConfig, ParametrizationConfig

Role = Literal["embedding", "hidden", "readout", "vector"]
# embedding: token and position embeddings (vocab or positions x width).
# hidden:    matrices whose fan_in and fan_out both scale with width (attention, MLP).
# readout:   width -> vocab.
# vector:    norm gains and biases.
ROLES: tuple[Role, ...] = ("embedding", "hidden", "readout", "vector")


@dataclass(frozen=True)
class Exponents:
    """Powers of m applied to one role's base-width values."""

    init: float = 0.0
    lr: float = 0.0
    wd: float = 0.0
    forward: float = 0.0


@dataclass(frozen=True)
class Kind:
    roles: Mapping[Role, Exponents]
    # Power of head_dim / base_head_dim applied to the attention scale attn_mult / sqrt(head_dim).
    attention: float


KINDS: Mapping[str, Kind] = {
    "sp": Kind(roles={role: Exponents() for role in ROLES}, attention=0.0),
    # muP for the Adam family as the `mup` package implements it: MuAdamW divides the LR of
    # matrices with two width dimensions by m and multiplies their weight decay by m (so the
    # decoupled decay lr * wd is width-independent); MuReadout multiplies the readout's input by
    # 1/m and set_base_shapes(rescale_params=True) multiplies its init by sqrt(m), keeping the
    # readout weights' variance constant in width; attention logits scale as 1/head_dim.
    "mup": Kind(
        roles={
            "embedding": Exponents(),
            "hidden": Exponents(lr=-1.0, wd=1.0),
            "readout": Exponents(init=0.5, forward=-1.0),
            "vector": Exponents(),
        },
        attention=-0.5,
    ),
}


@dataclass(frozen=True)
class ParamRule:
    """One parameter's resolved numbers: init ~ Normal(init_mean, init_std), the factors on the
    optimizer's lr and weight_decay, and the constant its module's output is multiplied by."""

    name: str
    shape: tuple[int, ...]
    role: Role
    init_mean: float
    init_std: float
    lr_mult: float
    wd_mult: float
    forward_mult: float


def width_mult(width: int, cfg: ParametrizationConfig) -> float:
    return width / cfg.base_width


def forward_multiplier(role: Role, width: int, cfg: ParametrizationConfig) -> float:
    base = cfg.output_mult if role == "readout" else 1.0
    return base * width_mult(width, cfg) ** KINDS[cfg.kind].roles[role].forward


def attention_scale(model: ModelConfig, cfg: ParametrizationConfig) -> float:
    """The factor on q.k: attn_mult / sqrt(head_dim) times (head_dim / base_head_dim) to the
    kind's attention exponent."""
    head_mult = model.head_dim / cfg.base_head_dim
    return cfg.attn_mult / math.sqrt(model.head_dim) * head_mult ** KINDS[cfg.kind].attention


def resolve(
    params: Iterable[tuple[str, tuple[int, ...], Role]],
    width: int,
    cfg: ParametrizationConfig,
) -> list[ParamRule]:
    """The rule for each (name, shape, role); matrices are (fan_out, fan_in) as in nn.Linear."""
    m = width_mult(width, cfg)
    rules = []
    for name, shape, role in params:
        exp = KINDS[cfg.kind].roles[role]
        mean, std = _base_init(name, shape, role, cfg)
        rules.append(ParamRule(
            name=name,
            shape=shape,
            role=role,
            init_mean=mean,
            init_std=std * m**exp.init,
            lr_mult=m**exp.lr,
            # Gains and biases are not decayed, as is usual for norm parameters: decay pulls a
            # gain towards 0 rather than towards its init of 1.
            wd_mult=(0.0 if role == "vector" else 1.0) * m**exp.wd,
            forward_mult=forward_multiplier(role, width, cfg),
        ))
    return rules


def _base_init(
    name: str, shape: tuple[int, ...], role: Role, cfg: ParametrizationConfig
) -> tuple[float, float]:
    """(mean, std) before the kind's width exponent; matrices scale with their fan_in."""
    if role == "embedding":
        return 0.0, cfg.embedding_std
    if role == "hidden":
        return 0.0, cfg.init_scale / math.sqrt(shape[-1])
    if role == "readout":
        return 0.0, 0.0 if cfg.readout_zero_init else cfg.init_scale / math.sqrt(shape[-1])
    # A vector is a bias (starts at 0) or a gain (starts at 1).
    return (0.0 if name.endswith("bias") else 1.0), 0.0
