"""Learning-rate schedules as lists of phases.

A phase moves the LR multiplier (a fraction of the peak LR) along a shape over `steps` steps.
Step s (0-based) in a phase of n steps that began at step a is at progress t = (s - a + 1) / n,
so every ramp reaches its `end` exactly on its last step: a warmup's first step already has a
positive LR (1/n of the peak), and a decay to `floor` hits `floor` on the run's last step. A law
sets the level by a formula instead (inverse-sqrt from k = s - a + 1, power from the tokens
trained on including step s's), and ends wherever it got to. After the last phase the
multiplier holds at its end value to the end of the run.

Named kinds are sugar for phases: runtime/config/schedule.py lists each kind's fields, and its
SCHEDULES table names each kind's expansion here (`expand_<kind>`). Lengths in tokens or
fractions of the run are rounded to whole steps as every length in a config is
(runtime.config.base.round_half_up).

Compared with `transformers` (get_linear/cosine_schedule_with_warmup, get_wsd_schedule): their
scheduler is stepped after each update, so update k (from 1) uses their lambda(k - 1), which
is 0 on the first warmup step and reaches the floor one step after the run. Update k here uses
their lambda(k): the same curve one step earlier, with no update wasted at LR 0 and the floor
reached on the last update. Their WSD warmup also starts from min_lr_ratio where ours starts
from 0; the two agree when the floor is 0.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from runtime.config.base import Length, length_in_steps, round_half_up, unrounded_steps
from runtime.config.schedule import (
    SCHEDULES,
    ConstantSchedule,
    CosineSchedule,
    CyclesSchedule,
    InfiniteSchedule,
    InverseSqrtSchedule,
    LinearSchedule,
    PhaseConfig,
    PhasesSchedule,
    PowerSchedule,
    Ramp,
    RexSchedule,
    ScheduleConfig,
    WSDSchedule,
)

# The fraction of the way from start to end at progress t in (0, 1] (exponential is separate:
# it moves by a constant factor per step).
RAMPS: dict[str, Callable[[float], float]] = {
    "linear": lambda t: t,
    "cosine": lambda t: (1.0 - math.cos(math.pi * t)) / 2.0,
    # Named for the decay it gives from 1 to 0: 1 - sqrt(t).
    "1-sqrt": math.sqrt,
    # REX (Chen et al. 2022): from 1 to 0 as (1 - t) / (1 - t/2).
    "rex": lambda t: 1.0 - (1.0 - t) / (1.0 - t / 2.0),
}


@dataclass(frozen=True)
class Phase:
    first_step: int
    steps: int
    start: float
    end: float | None = None   # None for laws
    shape: str = "linear"
    timescale: float = 0.0     # inverse-sqrt, in steps
    a: float = 0.0             # power law, as a fraction of the peak LR
    b: float = 0.0
    tokens_per_step: int = 1

    def multiplier(self, step: int) -> float:
        k = step - self.first_step + 1
        if self.shape == "inverse-sqrt":
            return self.start * math.sqrt(self.timescale / (self.timescale + k))
        if self.shape == "power":
            return min(self.start, self.a * ((step + 1) * self.tokens_per_step) ** self.b)
        assert self.end is not None
        t = k / self.steps
        if self.shape == "exponential":
            return self.start * (self.end / self.start) ** t
        return self.start + (self.end - self.start) * RAMPS[self.shape](t)

    @property
    def last(self) -> float:
        return self.multiplier(self.first_step + self.steps - 1)


def phases(cfg: ScheduleConfig, total_steps: int, tokens_per_step: int = 1,
           peak_lr: float = 1.0) -> list[Phase]:
    """The schedule as consecutive phases covering exactly `total_steps` steps.

    `tokens_per_step` converts token lengths and feeds the power law; `peak_lr` turns the
    power law's absolute `a` into a fraction of the peak. Raises ValueError when the schedule
    does not fit in the run.
    """
    lengths = Lengths(total_steps, tokens_per_step)
    return _place(SCHEDULES[cfg.kind](cfg, lengths, peak_lr), lengths, peak_lr)


def lr_multiplier(schedule: Sequence[Phase], step: int) -> float:
    """The LR multiplier at 0-based `step`."""
    for phase in schedule:
        if step < phase.first_step + phase.steps:
            return phase.multiplier(step)
    return schedule[-1].last


@dataclass(frozen=True)
class Lengths:
    total: int
    tokens_per_step: int

    def position(self, length: Length) -> float:
        """A length in (unrounded) steps."""
        return unrounded_steps(length, self.total, self.tokens_per_step)

    def steps(self, length: Length) -> int:
        return length_in_steps(length, self.total, self.tokens_per_step)


def _ramp(steps: int, end: float, shape: Ramp = "linear",
          start: float | None = None) -> PhaseConfig:
    return PhaseConfig(steps=steps, start=start, end=end, shape=shape)


def _fit(what: str, used: int, total: int) -> int:
    """The steps left after `used`; an error when there are none to spare."""
    if used > total:
        raise ValueError(f"{what} ({used} steps) do not fit in the run ({total} steps)")
    return total - used


def _warmup_and_decay(shape: Ramp) -> Callable[..., list[PhaseConfig]]:
    """linear, cosine and rex: warm up, then decay to the floor over the rest of the run."""
    def expand(cfg: LinearSchedule | CosineSchedule | RexSchedule, n: Lengths,
               peak: float) -> list[PhaseConfig]:
        warmup = n.steps(cfg.warmup)
        rest = _fit("schedule warmup", warmup, n.total)
        return [_ramp(warmup, 1.0, start=0.0), _ramp(rest, cfg.floor, shape)]
    return expand


expand_linear = _warmup_and_decay("linear")
expand_cosine = _warmup_and_decay("cosine")
expand_rex = _warmup_and_decay("rex")


def expand_constant(cfg: ConstantSchedule, n: Lengths, peak: float) -> list[PhaseConfig]:
    warmup = n.steps(cfg.warmup)
    _fit("schedule warmup", warmup, n.total)
    return [_ramp(warmup, 1.0, start=0.0)]


def expand_wsd(cfg: WSDSchedule, n: Lengths, peak: float) -> list[PhaseConfig]:
    warmup, decay = n.steps(cfg.warmup), n.steps(cfg.decay)
    stable = _fit("wsd warmup and decay", warmup + decay, n.total)
    return [_ramp(warmup, 1.0, start=0.0), _ramp(stable, 1.0),
            _ramp(decay, cfg.floor, cfg.decay_shape)]


def expand_inverse_sqrt(cfg: InverseSqrtSchedule, n: Lengths, peak: float) -> list[PhaseConfig]:
    warmup, decay = n.steps(cfg.warmup), n.steps(cfg.decay)
    timescale = warmup if cfg.timescale is None else n.position(cfg.timescale)
    if timescale <= 0:
        raise ValueError("an inverse-sqrt schedule without warmup needs a `timescale`")
    law = _fit("inverse-sqrt warmup and decay", warmup + decay, n.total)
    return [_ramp(warmup, 1.0, start=0.0),
            PhaseConfig(steps=law, shape="inverse-sqrt", timescale=timescale),
            _ramp(decay, cfg.floor, cfg.decay_shape)]


def expand_power(cfg: PowerSchedule, n: Lengths, peak: float) -> list[PhaseConfig]:
    warmup, decay = n.steps(cfg.warmup), n.steps(cfg.decay)
    law = _fit("power warmup and decay", warmup + decay, n.total)
    # The warmup climbs to where the curve is when it ends.
    top = min(1.0, cfg.a / peak * (max(warmup, 1) * n.tokens_per_step) ** cfg.b)
    return [_ramp(warmup, top, start=0.0),
            PhaseConfig(steps=law, start=1.0, shape="power", a=cfg.a, b=cfg.b),
            _ramp(decay, cfg.floor, cfg.decay_shape)]


def expand_infinite(cfg: InfiniteSchedule, n: Lengths, peak: float) -> list[PhaseConfig]:
    warmup, cooldown, anneal = n.steps(cfg.warmup), n.steps(cfg.cooldown), n.steps(cfg.anneal)
    hold = _fit("infinite warmup, cooldown and anneal", warmup + cooldown + anneal, n.total)
    return [_ramp(warmup, 1.0, start=0.0), _ramp(cooldown, cfg.plateau, "cosine"),
            _ramp(hold, cfg.plateau), _ramp(anneal, cfg.floor, cfg.anneal_shape)]


def expand_cycles(cfg: CyclesSchedule, n: Lengths, peak: float) -> list[PhaseConfig]:
    warmup = n.steps(cfg.warmup)
    bounds = [round_half_up(c * n.total / cfg.cycles) for c in range(cfg.cycles + 1)]
    out = []
    for c, (first, end) in enumerate(itertools.pairwise(bounds)):
        decay = _fit(f"cycle {c + 1}'s warmup", warmup, end - first)
        out += [_ramp(warmup, cfg.peak_decay ** c, start=0.0 if c == 0 else None),
                _ramp(decay, cfg.floor, cfg.decay_shape)]
    return out


def expand_phases(cfg: PhasesSchedule, n: Lengths, peak: float) -> list[PhaseConfig]:
    """An explicit list of phases is its own expansion."""
    return list(cfg.phases)


def _place(configs: list[PhaseConfig], n: Lengths, peak: float) -> list[Phase]:
    placed: list[Phase] = []
    # Lengths accumulate before rounding, so phases of 0.5 and 0.5 cover the run exactly.
    position, first_step, level = 0.0, 0, 0.0
    for cfg in configs:
        position += n.position(cfg.steps)
        last = round_half_up(position)
        start = level if cfg.start is None else cfg.start
        phase = Phase(first_step, last - first_step, start, cfg.end, cfg.shape,
                      timescale=n.position(cfg.timescale) if cfg.timescale is not None else 0.0,
                      a=(cfg.a or 0.0) / peak, b=cfg.b or 0.0, tokens_per_step=n.tokens_per_step)
        # An empty phase still sets the level the next phase starts from.
        if phase.steps > 0:
            placed.append(phase)
            level = phase.last
        else:
            level = cfg.end if cfg.end is not None else start
        first_step = last
    if first_step > n.total:
        raise ValueError(f"schedule phases span {first_step} steps but the run has {n.total}")
    if first_step < n.total:
        placed.append(Phase(first_step, n.total - first_step, level, level))
    return placed
