"""Learning-rate schedules as lists of phases.

A phase moves the LR multiplier (a fraction of the peak LR) from `start` to `end` over `steps`
steps along a shape. Step s (0-based) in a phase of n steps that began at step a is at progress
t = (s - a + 1) / n, so every phase reaches its `end` exactly on its last step: a warmup's first
step already has a positive LR (1/n of the peak), and a decay to `floor` hits `floor` on the run's
last step. After the last phase the multiplier holds at its end value to the end of the run.

Named kinds are sugar for phases:
  constant  warmup 0 -> 1, hold at 1
  linear    warmup 0 -> 1, linear decay 1 -> floor over the rest of the run
  cosine    warmup 0 -> 1, cosine decay 1 -> floor over the rest of the run
  wsd       warmup 0 -> 1, hold at 1, decay 1 -> floor over the last `decay` steps (decay_shape)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from runtime.config import DecayShape, PhaseConfig, ScheduleConfig

# The fraction of the way from start to end at progress t in (0, 1].
SHAPES: dict[DecayShape, Callable[[float], float]] = {
    "linear": lambda t: t,
    "cosine": lambda t: (1.0 - math.cos(math.pi * t)) / 2.0,
    # Named for the decay it gives from 1 to 0: 1 - sqrt(t).
    "1-sqrt": math.sqrt,
}


@dataclass(frozen=True)
class Phase:
    first_step: int
    steps: int
    start: float
    end: float
    shape: DecayShape = "linear"

    def multiplier(self, step: int) -> float:
        t = (step - self.first_step + 1) / self.steps
        return self.start + (self.end - self.start) * SHAPES[self.shape](t)


def phases(cfg: ScheduleConfig, total_steps: int) -> list[Phase]:
    """The schedule as consecutive phases covering exactly `total_steps` steps.

    Lengths given as fractions of the run round half up. Raises ValueError when the schedule
    does not fit in the run.
    """
    return _place(_phase_configs(cfg, total_steps), total_steps)


def lr_multiplier(schedule: list[Phase], step: int) -> float:
    """The LR multiplier at 0-based `step`."""
    for phase in schedule:
        if step < phase.first_step + phase.steps:
            return phase.multiplier(step)
    return schedule[-1].end


def _phase_configs(cfg: ScheduleConfig, total: int) -> list[PhaseConfig]:
    if cfg.kind == "phases":
        return list(cfg.phases or ())
    warmup = _steps(cfg.warmup, total)
    if warmup > total:
        raise ValueError(f"schedule warmup ({warmup} steps) is longer than the run ({total} steps)")
    rest = total - warmup
    warm = PhaseConfig(steps=warmup, start=0.0, end=1.0)
    if cfg.kind == "constant":
        return [warm, PhaseConfig(steps=rest, end=1.0)]
    if cfg.kind in ("linear", "cosine"):
        return [warm, PhaseConfig(steps=rest, end=cfg.floor, shape=cfg.kind)]
    decay = _steps(cfg.decay, total)
    if warmup + decay > total:
        raise ValueError(
            f"wsd warmup ({warmup} steps) and decay ({decay} steps) do not fit in the run "
            f"({total} steps)"
        )
    return [
        warm,
        PhaseConfig(steps=rest - decay, end=1.0),
        PhaseConfig(steps=decay, end=cfg.floor, shape=cfg.decay_shape),
    ]


def _place(configs: list[PhaseConfig], total: int) -> list[Phase]:
    placed: list[Phase] = []
    # Fractions accumulate before rounding, so phases of 0.5 and 0.5 cover the run exactly.
    position, first_step, level = 0.0, 0, 0.0
    for cfg in configs:
        position += cfg.steps * total if isinstance(cfg.steps, float) else cfg.steps
        last = _round(position)
        start = level if cfg.start is None else cfg.start
        level = cfg.end
        # An empty phase still sets the level the next phase starts from.
        if last > first_step:
            placed.append(Phase(first_step, last - first_step, start, cfg.end, cfg.shape))
        first_step = last
    if first_step > total:
        raise ValueError(f"schedule phases span {first_step} steps but the run has {total}")
    if first_step < total:
        placed.append(Phase(first_step, total - first_step, level, level))
    return placed


def _steps(length: int | float, total: int) -> int:
    return _round(length * total) if isinstance(length, float) else length


def _round(x: float) -> int:
    # Half up rather than Python's half to even: a 0.05 warmup of 10 steps is 1 step, not 0.
    return math.floor(x + 0.5)
