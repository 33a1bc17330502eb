"""APOLLO and APOLLO-Mini (Zhu et al. 2024, "APOLLO: SGD-like Memory, AdamW-level Performance")
for 2-D matrices.

Per matrix G (m x n), with the channels along its longer side:
  1. project: R = G P^T (m >= n, P is rank x n) or P^T G (m < n, P is m x rank), P's entries
     Normal(0, 1/rank), redrawn every `projection_every` steps;
  2. keep Adam's moments on R (rank x the long side, instead of m x n) and form the Adam
     direction R~ = M / (sqrt(V) + eps);
  3. scale the raw gradient per channel by ||R~_c|| / ||R_c|| (`channel`) or by one factor
     ||R~|| / ||R|| (`tensor`, APOLLO-Mini);
  4. limit norm growth: the scaled gradient's norm may be at most `norm_growth_limit` times
     the previous step's (Fira's limiter);
  5. step by lr * sqrt(1 - beta2^t) / (1 - beta1^t) * sqrt(scale), then decoupled decay.
This follows the reference implementation (`apollo-torch` 1.0.3) step for step. P is
regenerated from (seed, parameter index, projection epoch) rather than stored, so it costs no
memory and a checkpoint needs only the moments.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from runtime.config.optimizer import ApolloConfig
from runtime.optim.chain import Optimizer
from runtime.optim.torch_optimizers import MatrixOptimizer, matrices_then_adamw


class Apollo(MatrixOptimizer):
    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-6,
                 weight_decay: float = 0.0, rank: int = 256, scaling: str = "channel",
                 scale: float = 1.0, projection_every: int = 200,
                 norm_growth_limit: float = 1.01, seed: int = 0):
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "rank": rank, "scaling": scaling, "scale": scale,
                    "projection_every": projection_every, "norm_growth_limit": norm_growth_limit}
        super().__init__(params, defaults)
        self.seed = seed
        self._index = {p: i for i, p in enumerate(
            p for group in self.param_groups for p in group["params"])}

    def projection(self, p: Tensor, rank: int, epoch: int) -> Tensor:
        """P for `p` in projection epoch `epoch`: a pure function of the seed, p's index and
        the epoch."""
        generator = torch.Generator(device=p.device)
        generator.manual_seed(hash((self.seed, self._index[p], epoch)) & (2**63 - 1))
        rows, cols = p.shape
        shape = (rank, cols) if rows >= cols else (rows, rank)
        return torch.randn(shape, generator=generator, device=p.device,
                           dtype=torch.float32) / math.sqrt(rank)

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        state = self.state[p]
        step = state.get("step", 0)
        grad = p.grad.float()
        tall = p.shape[0] >= p.shape[1]
        proj = self.projection(p, group["rank"], step // group["projection_every"])
        low = grad @ proj.T if tall else proj.T @ grad
        if not state:
            state["exp_avg"] = torch.zeros_like(low)
            state["exp_avg_sq"] = torch.zeros_like(low)
        beta1, beta2 = group["betas"]
        state["step"] = step = step + 1
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.mul_(beta1).add_(low, alpha=1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(low, low, value=1 - beta2)
        direction = exp_avg / (exp_avg_sq.sqrt() + group["eps"])

        if group["scaling"] == "channel":
            # Norms across the projected side leave one factor per channel of the long side.
            dim = 1 if tall else 0
            factor = direction.norm(dim=dim, keepdim=True) / (low.norm(dim=dim, keepdim=True)
                                                              + 1e-8)
        else:
            factor = direction.norm() / (low.norm() + 1e-8)
        scaled = grad * factor

        norm = scaled.norm()
        limit = group["norm_growth_limit"]
        if "last_norm" in state:
            limiter = torch.clamp(norm / (state["last_norm"] + 1e-8), min=limit) / limit
            scaled = scaled / limiter
            state["last_norm"] = norm / limiter
        else:
            state["last_norm"] = norm

        step_size = group["lr"] * math.sqrt(1 - beta2**step) / (1 - beta1**step)
        p.add_((scaled * math.sqrt(group["scale"])).to(p.dtype), alpha=-step_size)
        if group["weight_decay"]:
            p.add_(p, alpha=-group["lr"] * group["weight_decay"])


def build(groups: list[dict[str, Any]], cfg: ApolloConfig, *, fused: bool,
          seed: int) -> Optimizer:
    """The `apollo` and `apollo-mini` kinds' builder (runtime.config.optimizer.OPTIMIZERS):
    APOLLO on the hidden matrices, its projections drawn from `seed`, AdamW on the rest."""
    return matrices_then_adamw(groups, cfg, fused, lambda hidden: Apollo(
        hidden, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, rank=cfg.rank, scaling=cfg.scaling,
        scale=cfg.scale, projection_every=cfg.projection_every,
        norm_growth_limit=cfg.norm_growth_limit, seed=seed))
