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

from runtime.config.run import OptimizerConfig
from runtime.model.parametrization import ParamRule
from runtime.optim.apollo import Apollo
from runtime.optim.chain import OptimizerChain
from runtime.optim.lion import Lion

Optimizer = torch.optim.Optimizer | OptimizerChain


def build_optimizer(model: nn.Module, rules: list[ParamRule], cfg: OptimizerConfig, *,
                    fused: bool = False, seed: int = 0) -> Optimizer:
    """The optimizer for `model`'s parameters, grouped by their rules. `fused` picks torch's
    fused AdamW kernel (CUDA); `seed` draws APOLLO's projections."""
    groups = param_groups(model, rules, cfg)
    if cfg.kind == "adamw":
        return _adamw(groups, cfg, fused)
    if cfg.kind == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)
    if cfg.kind == "lion":
        return Lion(groups, lr=cfg.lr, betas=cfg.betas)
    hidden = [g for g in groups if g["role"] == "hidden"]
    rest = [g for g in groups if g["role"] != "hidden"]
    if cfg.kind == "muon":
        matrices = torch.optim.Muon(hidden, lr=cfg.lr, momentum=cfg.momentum,
                                    nesterov=cfg.nesterov, ns_steps=cfg.ns_steps,
                                    adjust_lr_fn=cfg.adjust_lr)
    else:
        matrices = Apollo(hidden, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, rank=cfg.rank,
                          scaling=cfg.scaling, scale=cfg.scale,
                          projection_every=cfg.projection_every,
                          norm_growth_limit=cfg.norm_growth_limit, seed=seed)
    return OptimizerChain(matrices, _adamw(rest, cfg, fused)) if rest else matrices


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


def _adamw(groups: list[dict[str, Any]], cfg: OptimizerConfig, fused: bool) -> Optimizer:
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps,
                             fused=fused or None)
