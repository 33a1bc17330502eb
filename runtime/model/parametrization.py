"""Parametrizations as data: how init, learning rate, weight decay and forward multipliers
scale with width and depth.

Every parameter has a role. A parametrization kind is a table: for each role, the power of
m = width / base_width that multiplies the role's base-width init std, learning rate, weight
decay and forward multiplier (the abc-parametrization view of Tensor Programs), plus the power
of head_dim / base_head_dim on the attention scale and of depth / base_depth on the residual
branches. The base values are constants of the config shared by every kind. A spec can replace
any cell (`parametrization.overrides`).

Pure Python (no torch), so the table can be printed and checked anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from runtime.config.model import (
    PARAMETRIZATIONS,
    ROLES,
    ModelConfig,
    ParametrizationConfig,
    Role,
)


@dataclass(frozen=True)
class Exponents:
    """Powers of m applied to one role's base-width values."""

    init: float = 0.0
    lr: float = 0.0
    weight_decay: float = 0.0
    forward: float = 0.0


@dataclass(frozen=True)
class Kind:
    roles: Mapping[Role, Exponents] = field(
        default_factory=lambda: {role: Exponents() for role in ROLES})
    # Power of head_dim / base_head_dim on the attention scale attn_mult / sqrt(head_dim).
    attention: float = 0.0
    # Power of depth / base_depth on the residual-branch multiplier.
    residual: float = 0.0


def _roles(**changed: Exponents) -> dict[Role, Exponents]:
    return {role: changed.get(role, Exponents()) for role in ROLES}


# muP for the Adam family as the `mup` package implements it: MuAdamW divides the LR of
# matrices with two width dimensions by m and multiplies their weight decay by m (so the
# decoupled decay lr * wd is width-independent); MuReadout multiplies the readout's input by
# 1/m and set_base_shapes(rescale_params=True) multiplies its init by sqrt(m), keeping the
# readout weights' variance constant in width; vectors and embeddings keep the global LR.
_MUP_ROLES = _roles(hidden=Exponents(lr=-1.0, weight_decay=1.0),
                    readout=Exponents(init=0.5, forward=-1.0))

# The kinds' tables, which runtime.config.model.PARAMETRIZATIONS names.
SP = Kind()
# muP's attention logits scale as 1/head_dim.
MUP = Kind(roles=_MUP_ROLES, attention=-0.5)
# NTK: weights of constant std, each matrix's output multiplied by 1/sqrt(m), so the function
# at init equals SP's while the updates shrink with width.
NTK = Kind(roles=_roles(hidden=Exponents(init=0.5, forward=-0.5),
                        readout=Exponents(init=0.5, forward=-0.5)))
# Depth-muP: muP, and each residual branch multiplied by 1/sqrt(depth / base_depth).
DEPTH_MUP = Kind(roles=_MUP_ROLES, attention=-0.5, residual=-0.5)
# MiniCPM's muP: embedding output x embedding_mult (12), residual branches x
# residual_mult / sqrt(depth) (1.4), readout input / m, hidden LR / m; attention as SP.
MINICPM = Kind(roles=_MUP_ROLES, residual=-0.5)


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


def table(cfg: ParametrizationConfig) -> Kind:
    """The kind's table with the config's overrides applied."""
    kind = PARAMETRIZATIONS[cfg.kind]
    over = cfg.overrides
    if over is None:
        return kind
    roles = dict(kind.roles)
    for role in ROLES:
        cells = getattr(over, role)
        if cells is not None:
            roles[role] = replace(roles[role], **cells.model_dump(exclude_none=True))
    return Kind(
        roles=roles,
        attention=kind.attention if over.attention is None else over.attention,
        residual=kind.residual if over.residual is None else over.residual,
    )


def width_mult(width: int, cfg: ParametrizationConfig) -> float:
    return width / cfg.base_width


def attention_scale(model: ModelConfig, cfg: ParametrizationConfig) -> float:
    """The factor on q.k: attn_mult / sqrt(head_dim) times (head_dim / base_head_dim) to the
    table's attention power."""
    head_mult = model.head_dim / cfg.base_head_dim
    return cfg.attn_mult / math.sqrt(model.head_dim) * head_mult ** table(cfg).attention


def residual_multiplier(model: ModelConfig, cfg: ParametrizationConfig) -> float:
    """The factor on each residual branch (attention and MLP outputs)."""
    return cfg.residual_mult * (model.depth / cfg.base_depth) ** table(cfg).residual


def resolve(
    params: Iterable[tuple[str, tuple[int, ...], Role]],
    model: ModelConfig,
    cfg: ParametrizationConfig,
    residual_outputs: frozenset[str] = frozenset(),
) -> list[ParamRule]:
    """The rule for each (name, shape, role); matrices are (fan_out, fan_in) as in nn.Linear.
    Parameters named in `residual_outputs` end a residual branch and carry its multiplier."""
    m = width_mult(model.width, cfg)
    kind = table(cfg)
    residual = residual_multiplier(model, cfg)
    rules = []
    for name, shape, role in params:
        exp = kind.roles[role]
        mean, std = _base_init(name, shape, role, cfg)
        forward = _base_forward(role, cfg) * m**exp.forward
        rules.append(ParamRule(
            name=name,
            shape=shape,
            role=role,
            init_mean=mean,
            init_std=std * m**exp.init,
            lr_mult=m**exp.lr,
            # Gains and biases are not decayed, as is usual for norm parameters: decay pulls a
            # gain towards 0 rather than towards its init of 1.
            wd_mult=(0.0 if role == "vector" else 1.0) * m**exp.weight_decay,
            forward_mult=forward * residual if name in residual_outputs else forward,
        ))
    return rules


def forward_multiplier(role: Role, model: ModelConfig, cfg: ParametrizationConfig) -> float:
    """The multiplier on the output of a module of `role` that holds no parameter of its own,
    such as a readout tied to the token embedding: what its own weight's rule would say."""
    return _base_forward(role, cfg) * width_mult(model.width, cfg) ** table(cfg).roles[role].forward


def _base_forward(role: Role, cfg: ParametrizationConfig) -> float:
    if role == "embedding":
        return cfg.embedding_mult
    return cfg.output_mult if role == "readout" else 1.0


def _base_init(
    name: str, shape: tuple[int, ...], role: Role, cfg: ParametrizationConfig
) -> tuple[float, float]:
    """(mean, std) before the table's width power; matrices scale with their fan_in."""
    if role == "embedding":
        return 0.0, cfg.embedding_std
    if role == "vector":
        # A vector is a bias (starts at 0) or a gain (starts at 1).
        return (0.0 if name.endswith("bias") else 1.0), 0.0
    zero = cfg.readout_zero_init if role == "readout" else (
        cfg.query_zero_init and name.endswith("attn.query.weight"))
    return 0.0, 0.0 if zero else cfg.init_scale / math.sqrt(shape[-1])
