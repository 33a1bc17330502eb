"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms").

    update = sign(beta1 * m + (1 - beta1) * g)
    p      = p * (1 - lr * weight_decay) - lr * update
    m      = beta2 * m + (1 - beta2) * g
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from runtime.config.optimizer import LionConfig


class Lion(torch.optim.Optimizer):
    def __init__(self, params: Iterable[Any], lr: float = 1e-4,
                 betas: tuple[float, float] = (0.9, 0.99), weight_decay: float = 0.0):
        super().__init__(params, {"lr": lr, "betas": betas, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure: None = None) -> None:
        for group in self.param_groups:
            lr, (beta1, beta2), decay = group["lr"], group["betas"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                momentum = state["exp_avg"]
                if decay:
                    p.mul_(1 - lr * decay)
                p.add_(torch.lerp(p.grad, momentum, beta1).sign_(), alpha=-lr)
                momentum.lerp_(p.grad, 1 - beta2)


def build(groups: list[dict[str, Any]], cfg: LionConfig, *, fused: bool, seed: int) -> Lion:
    """The `lion` kind's builder (runtime.config.optimizer.OPTIMIZERS)."""
    return Lion(groups, lr=cfg.lr, betas=cfg.betas)
