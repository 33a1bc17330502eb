"""The `optimizer` section of a run config: one model per optimizer kind.

`kind` picks the model and defaults to adamw, so `optimizer: {lr: 1e-3}` is AdamW. Every
optimizer gets the parametrization's per-role learning-rate and weight-decay multipliers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Tag

from runtime.config.base import PositiveInt, Strict, kind_discriminator
from runtime.config.registry import Registry

Beta = Annotated[float, Field(ge=0, lt=1)]
# APOLLO's fields that APOLLO-Mini gives other defaults, described once here.
ApolloRank = Annotated[PositiveInt, Field(
    description="rank of the random projection of each gradient that the Adam moments live on")]
ApolloScaling = Annotated[Literal["channel", "tensor"], Field(
    description="scale the raw gradient per channel or per tensor, by the ratio of the "
                "projected Adam update's norm to the projected gradient's")]
ApolloScale = Annotated[float, Field(
    gt=0, description="the scaled gradient is multiplied by sqrt(scale), as in the reference "
                      "implementation")]


class _Common(Strict):
    lr: float = Field(3e-3, gt=0)
    """the peak learning rate, which the schedule and the parametrization's per-role
    multipliers scale"""
    weight_decay: float = Field(0.0, ge=0)
    """weight decay, times the parametrization's per-role multiplier (never on gains and
    biases)"""
    grad_clip: float = Field(1.0, ge=0)
    """clip the global gradient norm to this value; 0 disables clipping"""


class AdamWConfig(_Common):
    """AdamW: Adam with decoupled weight decay (the default optimizer)."""

    kind: Literal["adamw"] = "adamw"
    """AdamW (the default kind)"""
    betas: tuple[Beta, Beta] = (0.9, 0.95)
    """decay rates of Adam's first- and second-moment estimates"""
    eps: float = Field(1e-8, gt=0)
    """added to the root of the second moment, for numerical stability"""


class SGDConfig(_Common):
    """SGD with momentum; its weight decay is torch's (added to the gradient, L2)."""

    kind: Literal["sgd"] = "sgd"
    """SGD with momentum"""
    momentum: float = Field(0.9, ge=0, lt=1)
    """the momentum factor"""
    nesterov: bool = False
    """use Nesterov momentum"""


class LionConfig(_Common):
    """Lion (Chen et al. 2023): the sign of an interpolated momentum, decoupled decay."""

    kind: Literal["lion"] = "lion"
    """Lion: signed momentum updates"""
    lr: float = Field(3e-4, gt=0)
    """the peak learning rate (lower than AdamW's: a sign update moves every weight by lr)"""
    betas: tuple[Beta, Beta] = (0.9, 0.99)
    """the interpolation of momentum and gradient whose sign is the update, and the
    momentum's decay rate"""


class MuonConfig(_Common):
    """torch.optim.Muon on the hidden matrices, AdamW (betas, eps) on everything else.

    `adjust_lr` is torch's: `match_rms_adamw` scales each matrix's step to AdamW's RMS, so one
    `lr` serves both; `original` is Keller Jordan's sqrt(max(1, fan_out / fan_in)).
    """

    kind: Literal["muon"] = "muon"
    """Muon on the hidden matrices, AdamW on the rest"""
    momentum: float = Field(0.95, ge=0, lt=1)
    """Muon's momentum factor"""
    nesterov: bool = True
    """use Nesterov momentum in Muon"""
    ns_steps: PositiveInt = 5
    """Newton-Schulz iterations that orthogonalise each update"""
    adjust_lr: Literal["match_rms_adamw", "original"] = "match_rms_adamw"
    """how Muon scales each matrix's step: match_rms_adamw to AdamW's RMS (one lr serves
    both), original by sqrt(max(1, fan_out / fan_in))"""
    betas: tuple[Beta, Beta] = (0.9, 0.95)
    """AdamW's moment decay rates, for the parameters Muon does not train"""
    eps: float = Field(1e-8, gt=0)
    """AdamW's epsilon, for the parameters Muon does not train"""


class ApolloConfig(_Common):
    """APOLLO (Zhu et al. 2024) on the hidden matrices, AdamW on everything else.

    Adam moments live on a random low-rank projection of each gradient; the raw gradient is
    scaled by the ratio of the projected Adam update's norm to the projected gradient's.
    """

    kind: Literal["apollo"] = "apollo"
    """APOLLO on the hidden matrices, AdamW on the rest"""
    betas: tuple[Beta, Beta] = (0.9, 0.999)
    """decay rates of the Adam moments (on the projections, and of AdamW on the rest)"""
    eps: float = Field(1e-6, gt=0)
    """Adam's epsilon, for numerical stability"""
    rank: ApolloRank = 256
    scaling: ApolloScaling = "channel"
    scale: ApolloScale = 1.0
    projection_every: PositiveInt = 200
    """draw a new random projection every this many steps"""
    norm_growth_limit: float = Field(1.01, gt=1)
    """the scaled gradient's norm may grow at most this many times per step"""


class ApolloMiniConfig(ApolloConfig):
    """APOLLO-Mini: rank 1, one scaling factor per tensor, scale 128."""

    kind: Literal["apollo-mini"] = "apollo-mini"  # type: ignore[assignment]
    """APOLLO-Mini: APOLLO at rank 1, one scaling factor per tensor"""
    rank: ApolloRank = 1
    scaling: ApolloScaling = "tensor"
    scale: ApolloScale = 128.0


class GaLoreConfig(_Common):
    """GaLore (Zhao et al. 2024) on the hidden matrices, AdamW on everything else.

    Adam's moments live on each gradient projected onto its top `rank` singular vectors (on
    the shorter side), recomputed by an SVD every `projection_every` steps; the Adam direction
    is projected back and multiplied by `scale`.
    """

    kind: Literal["galore"] = "galore"
    """GaLore on the hidden matrices, AdamW on the rest"""
    betas: tuple[Beta, Beta] = (0.9, 0.999)
    """decay rates of the Adam moments (on the projections, and of AdamW on the rest)"""
    eps: float = Field(1e-6, gt=0)
    """Adam's epsilon, for numerical stability"""
    rank: PositiveInt = 128
    """how many singular vectors of each gradient the Adam moments live on"""
    projection_every: PositiveInt = 200
    """recompute the projection from the current gradient every this many steps"""
    scale: float = Field(0.25, gt=0)
    """the projected-back update is multiplied by this (the paper's alpha)"""


OptimizerConfig = Annotated[
    Annotated[AdamWConfig, Tag("adamw")]
    | Annotated[SGDConfig, Tag("sgd")]
    | Annotated[LionConfig, Tag("lion")]
    | Annotated[MuonConfig, Tag("muon")]
    | Annotated[ApolloConfig, Tag("apollo")]
    | Annotated[ApolloMiniConfig, Tag("apollo-mini")]
    | Annotated[GaLoreConfig, Tag("galore")],
    kind_discriminator("adamw"),
]

# Each kind's builder: (parameter groups, config, *, fused, seed) -> the optimizer.
OPTIMIZERS = Registry("optimizer", {
    "adamw": "runtime.optim.torch_optimizers:adamw",
    "sgd": "runtime.optim.torch_optimizers:sgd",
    "lion": "runtime.optim.lion:build",
    "muon": "runtime.optim.torch_optimizers:muon",
    "apollo": "runtime.optim.apollo:build",
    "apollo-mini": "runtime.optim.apollo:build",
    "galore": "runtime.optim.galore:build",
})
