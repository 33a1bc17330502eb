"""The `optimizer` section of a run config: one model per optimizer kind.

`kind` picks the model and defaults to adamw, so `optimizer: {lr: 1e-3}` is AdamW. Every
optimizer gets the parametrization's per-role learning-rate and weight-decay multipliers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Tag

from runtime.config.base import PositiveInt, Strict, kind_discriminator

Beta = Annotated[float, Field(ge=0, lt=1)]


class _Common(Strict):
    lr: float = Field(3e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    # Clip the global gradient norm to this value; 0 disables clipping.
    grad_clip: float = Field(1.0, ge=0)


class AdamWConfig(_Common):
    kind: Literal["adamw"] = "adamw"
    betas: tuple[Beta, Beta] = (0.9, 0.95)
    eps: float = Field(1e-8, gt=0)


class SGDConfig(_Common):
    """SGD with momentum; its weight decay is torch's (added to the gradient, L2)."""

    kind: Literal["sgd"] = "sgd"
    momentum: float = Field(0.9, ge=0, lt=1)
    nesterov: bool = False


class LionConfig(_Common):
    """Lion (Chen et al. 2023): the sign of an interpolated momentum, decoupled decay."""

    kind: Literal["lion"] = "lion"
    lr: float = Field(3e-4, gt=0)
    betas: tuple[Beta, Beta] = (0.9, 0.99)


class MuonConfig(_Common):
    """torch.optim.Muon on the hidden matrices, AdamW (betas, eps) on everything else.

    `adjust_lr` is torch's: `match_rms_adamw` scales each matrix's step to AdamW's RMS, so one
    `lr` serves both; `original` is Keller Jordan's sqrt(max(1, fan_out / fan_in)).
    """

    kind: Literal["muon"] = "muon"
    momentum: float = Field(0.95, ge=0, lt=1)
    nesterov: bool = True
    ns_steps: PositiveInt = 5
    adjust_lr: Literal["match_rms_adamw", "original"] = "match_rms_adamw"
    betas: tuple[Beta, Beta] = (0.9, 0.95)
    eps: float = Field(1e-8, gt=0)


class ApolloConfig(_Common):
    """APOLLO (Zhu et al. 2024) on the hidden matrices, AdamW on everything else.

    Adam moments live on a random rank-`rank` projection of each gradient (resampled every
    `projection_every` steps); the raw gradient is scaled per channel (`channel`) or per
    tensor (`tensor`) by the ratio of the projected Adam update's norm to the projected
    gradient's, its norm may grow at most `norm_growth_limit` times per step, and it is
    multiplied by sqrt(`scale`) as in the reference implementation.
    """

    kind: Literal["apollo"] = "apollo"
    betas: tuple[Beta, Beta] = (0.9, 0.999)
    eps: float = Field(1e-6, gt=0)
    rank: PositiveInt = 256
    scaling: Literal["channel", "tensor"] = "channel"
    scale: float = Field(1.0, gt=0)
    projection_every: PositiveInt = 200
    norm_growth_limit: float = Field(1.01, gt=1)


class ApolloMiniConfig(ApolloConfig):
    """APOLLO-Mini: rank 1, one scaling factor per tensor, scale 128."""

    kind: Literal["apollo-mini"] = "apollo-mini"  # type: ignore[assignment]
    rank: PositiveInt = 1
    scaling: Literal["channel", "tensor"] = "tensor"
    scale: float = Field(128.0, gt=0)


OptimizerConfig = Annotated[
    Annotated[AdamWConfig, Tag("adamw")]
    | Annotated[SGDConfig, Tag("sgd")]
    | Annotated[LionConfig, Tag("lion")]
    | Annotated[MuonConfig, Tag("muon")]
    | Annotated[ApolloConfig, Tag("apollo")]
    | Annotated[ApolloMiniConfig, Tag("apollo-mini")],
    kind_discriminator("adamw"),
]
