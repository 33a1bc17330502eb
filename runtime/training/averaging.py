"""Averages of the weights, evaluated beside the weights themselves.

    ema       an exponential moving average, updated after every step:
              ema <- decay * ema + (1 - decay) * weights, starting from the run's first weights
    avg_last  the mean of the weights at the last k checkpoints, one every `average_every`
              steps (LAWA: latest weight averaging)

At each evaluation the averaged weights are put into the model, evaluated on the same batches
as the weights (`val_loss/ema`, `val_loss/avg_last`, and per source `val_loss/ema/<source>`
with several sources), and the weights put back; training never
sees them. The averages are part of the checkpoint, so a resumed run averages what it would
have uninterrupted. They average parameters only: buffers (σReparam's singular-vector
estimates) are the model's own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from runtime.config.training import EvalConfig


class WeightAverages:
    def __init__(self, model: nn.Module, config: EvalConfig):
        self.params = list(model.parameters())
        self.decay = config.ema
        self.ema: list[Tensor] | None = (
            [p.detach().clone() for p in self.params] if self.decay is not None else None)
        self.last = config.average_last or 0
        self.every = config.average_every or config.every
        self.checkpoints: list[list[Tensor]] = []

    @classmethod
    def wanted(cls, config: EvalConfig) -> bool:
        return config.ema is not None or config.average_last is not None

    @torch.no_grad()
    def after_step(self, step: int) -> None:
        """Fold the weights after step `step` into the averages."""
        if self.ema is not None:
            torch._foreach_lerp_(self.ema, [p.detach() for p in self.params], 1 - self.decay)
        if self.last and step % self.every == 0:
            taken = [p.detach().clone() for p in self.params]
            self.checkpoints = [*self.checkpoints, taken][-self.last:]

    def evaluate(self, evaluate: Callable[[], dict[str, float]]) -> dict[str, float]:
        """`val_loss/<average>` for each average there is, by `evaluate` on its weights, and
        with several sources `val_loss/<average>/<source>`: a claim about data (a curriculum,
        say) is judged on one source's held-out loss, averaged weights included."""
        out = {}
        for name, weights in self._averages():
            with self._swapped_in(weights):
                metrics = evaluate()
            out[f"val_loss/{name}"] = metrics["val_loss"]
            sources = [key.removeprefix("val_loss/") for key in metrics
                       if key.startswith("val_loss/")]
            if len(sources) > 1:
                out |= {f"val_loss/{name}/{source}": metrics[f"val_loss/{source}"]
                        for source in sources}
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"ema": self.ema, "checkpoints": self.checkpoints}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.ema is not None:
            self.ema = [t.to(p.device) for t, p in zip(state["ema"], self.params, strict=True)]
        self.checkpoints = [[t.to(p.device) for t, p in zip(weights, self.params, strict=True)]
                            for weights in state["checkpoints"]][-self.last:] if self.last else []

    def _averages(self) -> Iterator[tuple[str, Sequence[Tensor]]]:
        if self.ema is not None:
            yield "ema", self.ema
        if self.checkpoints:
            yield "avg_last", [torch.stack(ws).mean(0) for ws in zip(*self.checkpoints)]

    @contextlib.contextmanager
    def _swapped_in(self, weights: Sequence[Tensor]) -> Iterator[None]:
        own = [p.detach().clone() for p in self.params]
        with torch.no_grad():
            torch._foreach_copy_(self.params, list(weights))
        try:
            yield
        finally:
            with torch.no_grad():
                torch._foreach_copy_(self.params, own)
