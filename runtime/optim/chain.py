"""Several optimizers stepped as one: Muon or APOLLO on the hidden matrices, AdamW on the rest.

Exposes what the training loop and checkpoints use of an optimizer: `param_groups` (the same
dicts, so setting a group's lr reaches the optimizer that owns it), `state`, `step`,
`zero_grad`, `state_dict` and `load_state_dict`.
"""

from __future__ import annotations

from typing import Any

import torch


class OptimizerChain:
    def __init__(self, *optimizers: torch.optim.Optimizer):
        self.optimizers = optimizers

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return [group for opt in self.optimizers for group in opt.param_groups]

    @property
    def state(self) -> dict[torch.Tensor, Any]:
        return {p: s for opt in self.optimizers for p, s in opt.state.items()}

    def step(self) -> None:
        for opt in self.optimizers:
            opt.step()

    def zero_grad(self, set_to_none: bool = True) -> None:
        for opt in self.optimizers:
            opt.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict[str, Any]:
        return {"chain": [opt.state_dict() for opt in self.optimizers]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for opt, opt_state in zip(self.optimizers, state["chain"], strict=True):
            opt.load_state_dict(opt_state)


# What the training loop steps: one torch optimizer, or a chain of them.
Optimizer = torch.optim.Optimizer | OptimizerChain
