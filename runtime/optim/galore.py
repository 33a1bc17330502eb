"""GaLore (Zhao et al. 2024, "GaLore: Memory-Efficient LLM Training by Gradient Low-Rank
Projection") for 2-D matrices: Adam in a low-rank subspace of each gradient.

Per matrix G (m x n), at optimizer step t (from 0):
  1. every `projection_every` steps (t = 0, T, 2T, ...), P from an SVD of the current G: its
     top `rank` right singular vectors (rank x n) when m >= n, its left ones (m x rank)
     otherwise, so the projection is on the shorter side;
  2. project: R = G Pᵀ (m >= n) or Pᵀ G (m < n), and keep Adam's moments on R;
  3. the Adam direction N = M / (sqrt(V) + eps) is projected back (N P or P N) and multiplied
     by `scale`;
  4. step by lr * sqrt(1 - beta2^t) / (1 - beta1^t), then decoupled decay lr * weight_decay.
This follows the reference implementation (`galore-torch` 1.0, its AdamW with proj_type
"std") step for step. The moments keep their values when the projection changes, as there.
P is stored in the optimizer state (a tensor), so a checkpoint carries it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from runtime.config.optimizer import GaLoreConfig
from runtime.optim.chain import Optimizer
from runtime.optim.torch_optimizers import MatrixOptimizer, matrices_then_adamw


class GaLore(MatrixOptimizer):
    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-6,
                 weight_decay: float = 0.0, rank: int = 128, projection_every: int = 200,
                 scale: float = 0.25):
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "rank": rank, "projection_every": projection_every, "scale": scale}
        super().__init__(params, defaults)

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        state = self.state[p]
        step = state.get("step", 0)
        grad = p.grad
        tall = p.shape[0] >= p.shape[1]
        if step % group["projection_every"] == 0:
            state["projection"] = _projection(grad, group["rank"], tall)
        projection = state["projection"]
        low = grad @ projection.T if tall else projection.T @ grad
        if "exp_avg" not in state:
            state["exp_avg"] = torch.zeros_like(low)
            state["exp_avg_sq"] = torch.zeros_like(low)
        beta1, beta2 = group["betas"]
        state["step"] = step = step + 1
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.mul_(beta1).add_(low, alpha=1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(low, low, value=1 - beta2)
        direction = exp_avg / (exp_avg_sq.sqrt() + group["eps"])
        back = direction @ projection if tall else projection @ direction
        step_size = group["lr"] * math.sqrt(1 - beta2**step) / (1 - beta1**step)
        p.add_(back * group["scale"], alpha=-step_size)
        if group["weight_decay"]:
            p.add_(p, alpha=-group["lr"] * group["weight_decay"])


def _projection(grad: Tensor, rank: int, tall: bool) -> Tensor:
    """The top `rank` singular vectors of `grad` on its shorter side (in its dtype)."""
    u, _, vh = torch.linalg.svd(grad.float(), full_matrices=False)
    return (vh[:rank] if tall else u[:, :rank]).to(grad.dtype)


def build(groups: list[dict[str, Any]], cfg: GaLoreConfig, *, fused: bool,
          seed: int) -> Optimizer:
    """The `galore` kind's builder (runtime.config.optimizer.OPTIMIZERS): GaLore on the hidden
    matrices, AdamW on the rest."""
    return matrices_then_adamw(groups, cfg, fused, lambda hidden: GaLore(
        hidden, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, rank=cfg.rank,
        projection_every=cfg.projection_every, scale=cfg.scale))
