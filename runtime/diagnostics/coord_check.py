"""Coordinate check (Tensor Programs V, section 5; `mup`'s get_coord_data): train the same run at
several widths for a few steps and see how each role's activation size grows with width.

Under a parametrization that is right for the optimizer, activations stay the same size as
the model widens (a log-log slope near 0 against width); under SP with Adam the readout
logits and the hidden activations grow with width from the first updates on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from runtime.config.run import RunConfig
from runtime.data.batches import Batches
from runtime.diagnostics.dynamics import Diagnostics
from runtime.model.gpt import GPT
from runtime.optim import build_optimizer, set_lr
from runtime.training.evaluation import loss_fn


@dataclass(frozen=True)
class CoordCheck:
    widths: tuple[int, ...]
    # role -> step -> one activation RMS per width (steps count forward passes from 1; step t
    # sees the model after t - 1 updates)
    rms: dict[str, list[list[float]]]

    def slopes(self, step: int = -1) -> dict[str, float]:
        """Per role, the least-squares slope of log RMS against log width at `step`."""
        x = [math.log(w) for w in self.widths]
        return {role: _slope(x, [math.log(v) for v in per_step[step]])
                for role, per_step in self.rms.items()}


def coord_check(config: RunConfig, widths: Sequence[int], steps: int = 4) -> CoordCheck:
    """Trains `config` at each width (head count scaling, head_dim fixed) for `steps` steps at
    its peak LR and records each role's activation RMS on every step's batch."""
    rms: dict[str, list[list[float]]] = {}
    for width in widths:
        run = config.model_copy(update={"model": config.model.model_copy(update={"width": width})})
        for role, values in _measure(run, steps).items():
            per_step = rms.setdefault(role, [[] for _ in range(steps)])
            for step, value in enumerate(values):
                per_step[step].append(value)
    return CoordCheck(tuple(widths), rms)


def _measure(config: RunConfig, steps: int) -> dict[str, list[float]]:
    torch.manual_seed(config.seed)
    model = GPT(config.model, config.parametrization)
    optimizer = build_optimizer(model, model.param_rules, config.optimizer, seed=config.seed)
    set_lr(optimizer, config.optimizer.lr)
    diagnostics = Diagnostics(model, model.param_rules)
    data = Batches.from_config(config.data, config.model.seq_len, "cpu", steps=steps)
    found: dict[str, list[float]] = {}
    for step in range(steps):
        x, y = data.train_batch(config.seed, step)
        measured: dict[str, torch.Tensor] = {}
        with diagnostics.activations(measured):
            loss = loss_fn(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        for key, value in measured.items():
            found.setdefault(key.removeprefix("act_rms/"), []).append(value.item())
    return found


def _slope(x: Sequence[float], y: Sequence[float]) -> float:
    mean_x, mean_y = sum(x) / len(x), sum(y) / len(y)
    return (sum((a - mean_x) * (b - mean_y) for a, b in zip(x, y))
            / sum((a - mean_x) ** 2 for a in x))
