"""The optimizers torch implements (AdamW, SGD, Muon), built from the parametrization's groups.

Every builder takes the parameter groups (runtime.optim.param_groups), the kind's config, and
`fused` (torch's fused AdamW kernel, CUDA) and `seed` (for optimizers that draw at random).
`matrices_then_adamw` is the shape shared by the optimizers of the hidden matrices (Muon,
APOLLO and GaLore): they take those, and AdamW with the same betas and eps takes the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from runtime.config.optimizer import (
    AdamWConfig,
    ApolloConfig,
    GaLoreConfig,
    MuonConfig,
    SGDConfig,
)
from runtime.optim.chain import Optimizer, OptimizerChain

Groups = list[dict[str, Any]]
# The configs with AdamW's betas and eps: AdamW's own, and those of the matrix optimizers.
WithAdam = AdamWConfig | MuonConfig | ApolloConfig | GaLoreConfig


def adamw(groups: Groups, cfg: WithAdam, *, fused: bool, seed: int) -> torch.optim.AdamW:
    """AdamW; also the optimizer of what a matrix optimizer leaves, with its betas and eps."""
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps,
                             fused=fused or None)


def sgd(groups: Groups, cfg: SGDConfig, *, fused: bool, seed: int) -> torch.optim.SGD:
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov)


def muon(groups: Groups, cfg: MuonConfig, *, fused: bool, seed: int) -> Optimizer:
    return matrices_then_adamw(groups, cfg, fused, lambda hidden: torch.optim.Muon(
        hidden, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
        ns_steps=cfg.ns_steps, adjust_lr_fn=cfg.adjust_lr))


class MatrixOptimizer(torch.optim.Optimizer):
    """An optimizer that updates each 2-D matrix on its own (APOLLO, GaLore): `step` hands every
    parameter with a gradient to `_update` with its group."""

    @torch.no_grad()
    def step(self, closure: None = None) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, group)

    def _update(self, p: torch.Tensor, group: dict[str, Any]) -> None:
        raise NotImplementedError


def matrices_then_adamw(groups: Groups, cfg: WithAdam, fused: bool,
                        matrices: Callable[[Groups], torch.optim.Optimizer]) -> Optimizer:
    """`matrices` on the hidden groups, chained with AdamW on the others (when there are any)."""
    hidden = [g for g in groups if g["role"] == "hidden"]
    rest = [g for g in groups if g["role"] != "hidden"]
    first = matrices(hidden)
    return OptimizerChain(first, adamw(rest, cfg, fused=fused, seed=0)) if rest else first

