"""Optimizers with the parametrization's per-role learning-rate and weight-decay multipliers.

Parameters are grouped by (role, lr multiplier, weight-decay multiplier); each group's `lr` is
the scheduled LR times its `lr_mult` (set_lr) and its `weight_decay` the config's times the
parametrization's multiplier. Muon and APOLLO take the hidden matrices; AdamW with the same
betas and eps takes the rest.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import torch
from torch import nn

from runtime.config.optimizer import OPTIMIZERS
from runtime.config.run import OptimizerConfig
from runtime.model.parametrization import ParamRule
from runtime.optim.chain import Optimizer


def build_optimizer(model: nn.Module, rules: list[ParamRule], cfg: OptimizerConfig, *,
                    fused: bool = False, seed: int = 0) -> Optimizer:
    """The optimizer for `model`'s parameters, grouped by their rules, built by the builder
    the config's kind names in OPTIMIZERS. `fused` picks torch's fused AdamW kernel (CUDA);
    `seed` draws APOLLO's projections."""
    build = OPTIMIZERS[cfg.kind]
    return build(param_groups(model, rules, cfg), cfg, fused=fused, seed=seed)


def param_groups(model: nn.Module, rules: list[ParamRule],
                 cfg: OptimizerConfig) -> list[dict[str, Any]]:
    """One group per (role, lr multiplier, weight-decay multiplier), in the rules' order."""
    params = dict(model.named_parameters())
    grouped: dict[tuple[str, float, float], list[nn.Parameter]] = defaultdict(list)
    for rule in rules:
        grouped[(rule.role, rule.lr_mult, rule.wd_mult)].append(params[rule.name])
    return [{"params": ps, "role": role, "lr_mult": lr_mult, "lr": cfg.lr * lr_mult,
             "weight_decay": cfg.weight_decay * wd_mult}
            for (role, lr_mult, wd_mult), ps in grouped.items()]


def set_lr(optimizer: Optimizer, lr: float) -> None:
    """Set the peak-relative LR; each group keeps its parametrization multiplier."""
    for group in optimizer.param_groups:
        group["lr"] = lr * group["lr_mult"]


def state_bytes(optimizer: Optimizer) -> int:
    """Bytes held by the optimizer's state tensors (moments, momentum buffers)."""
    return sum(value.numel() * value.element_size()
               for state in optimizer.state.values() for value in state.values()
               if isinstance(value, torch.Tensor) and value.ndim > 0)

