"""AdamW with the parametrization's per-role learning-rate and weight-decay multipliers."""

from __future__ import annotations

from collections import defaultdict

import torch

from runtime.config import OptimizerConfig
from runtime.model import GPT


def build_adamw(model: GPT, cfg: OptimizerConfig) -> torch.optim.AdamW:
    """One param group per (role, lr multiplier, weight-decay multiplier)."""
    params = dict(model.named_parameters())
    grouped: dict[tuple[str, float, float], list[torch.nn.Parameter]] = defaultdict(list)
    for rule in model.param_rules:
        grouped[(rule.role, rule.lr_mult, rule.wd_mult)].append(params[rule.name])
    groups = [
        {"params": ps, "role": role, "lr_mult": lr_mult,
         "lr": cfg.lr * lr_mult, "weight_decay": cfg.weight_decay * wd_mult}
        for (role, lr_mult, wd_mult), ps in grouped.items()
    ]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set the peak-relative LR; each group keeps its parametrization multiplier."""
    for group in optimizer.param_groups:
        group["lr"] = lr * group["lr_mult"]
