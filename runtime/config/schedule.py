"""The `schedule` section of a run config: a named schedule or an explicit list of phases.

Every schedule is a list of phases in the end (runtime/optim/schedules.py expands named kinds); a
phase moves the LR multiplier (a fraction of the peak LR) along a shape. Lengths are steps
(`100`), fractions of the run (`0.1`) or tokens (`{tokens: 2000000}`). `kind` picks the model
and defaults to constant.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, PrivateAttr, Tag, model_validator

from runtime.config.base import (
    Length,
    PositiveInt,
    StepsOrFraction,
    Strict,
    kind_discriminator,
)
from runtime.config.registry import Registry

# Shapes that go from a phase's `start` to its `end`.
Ramp = Literal["linear", "cosine", "1-sqrt", "exponential", "rex"]
# Shapes whose level follows a law instead: `inverse-sqrt` is start * sqrt(timescale /
# (timescale + k)) k steps into the phase; `power` is min(start, a * n ** b / peak_lr), n the
# tokens trained on.
Law = Literal["inverse-sqrt", "power"]
Fraction = Annotated[float, Field(ge=0, le=1)]
POWER_B = -0.51

# Fields that several named schedules share, described once here.
Warmup = Annotated[Length, Field(
    description="length of the warmup from 0 to the peak (steps, fraction of the run, tokens)")]
Floor = Annotated[Fraction, Field(
    description="the LR multiplier (a fraction of the peak) the final decay ends at")]
FinalDecay = Annotated[Length, Field(
    description="length of the final decay to `floor`, which ends on the run's last step")]
DecayShape = Annotated[Ramp, Field(description="the final decay's shape")]


class PhaseConfig(Strict):
    """One segment of a schedule.

    `start` None means "where the previous phase ended" (0 before the first), which is how
    warmups and decays chain; a ramp reaches `end` (default 1) on its last step.
    """

    steps: Length
    """the phase's length: steps, a fraction of the run or {tokens: N}"""
    start: float | None = Field(None, ge=0)
    """the LR multiplier the phase starts at; none: where the previous phase ended"""
    end: float | None = Field(None, ge=0)
    """the LR multiplier a ramp reaches on its last step (default 1)"""
    shape: Ramp | Law = "linear"
    """a ramp from `start` to `end`, or a law: inverse-sqrt (needs `timescale`) or power
    (needs `a`)"""
    timescale: Length | None = None
    """inverse-sqrt: the level is start * sqrt(timescale / (timescale + k)), k steps in"""
    a: float | None = Field(None, gt=0)
    """power: the learning rate is min(start * peak, a * n ** b), n the tokens trained on"""
    b: float | None = Field(None, lt=0)
    """power: the exponent of the tokens trained on (default: the power kind's `b`)"""

    @model_validator(mode="after")
    def _fields_fit_shape(self) -> PhaseConfig:
        takes = {"inverse-sqrt": {"timescale"}, "power": {"a", "b"}}.get(self.shape, {"end"})
        given = {k for k in ("end", "timescale", "a", "b") if getattr(self, k) is not None}
        _reject(f"phase shape {self.shape!r}", given - takes, takes)
        if self.shape == "inverse-sqrt" and self.timescale is None:
            raise ValueError("phase shape 'inverse-sqrt' needs a `timescale`")
        if self.shape == "power" and self.a is None:
            raise ValueError("phase shape 'power' needs `a` (lr = a * tokens ** b)")
        if self.shape == "power" and self.b is None:
            object.__setattr__(self, "b", POWER_B)
        if self.shape not in ("inverse-sqrt", "power") and self.end is None:
            object.__setattr__(self, "end", 1.0)
        if self.shape == "exponential" and (self.end == 0 or self.start == 0):
            raise ValueError("an exponential phase cannot start or end at 0; use a small "
                             "positive level such as 0.01")
        return self


def _reject(what: str, extra: set[str], takes: set[str]) -> None:
    if extra:
        raise ValueError(f"{what} does not take {', '.join(sorted(extra))} "
                         f"(it takes {', '.join(sorted(takes)) or 'nothing'})")


class _NamedSchedule(Strict):
    @model_validator(mode="after")
    def _floor_reachable(self) -> _NamedSchedule:
        shape = getattr(self, "decay_shape", None) or getattr(self, "anneal_shape", None)
        if shape == "exponential" and getattr(self, "floor", None) == 0:
            raise ValueError("an exponential decay cannot reach a floor of 0; set `floor` to "
                             "a small positive fraction such as 0.01")
        return self


class ConstantSchedule(_NamedSchedule):
    """Warmup from 0 to the peak, then hold."""

    kind: Literal["constant"] = "constant"
    """warm up, then hold the peak (the default kind)"""
    warmup: Warmup = 0


class LinearSchedule(_NamedSchedule):
    """Warmup, then linear decay to `floor` on the last step."""

    kind: Literal["linear"] = "linear"
    """warm up, then decay linearly to `floor`"""
    warmup: Warmup = 0
    floor: Floor = 0.0


class CosineSchedule(_NamedSchedule):
    """Warmup, then cosine decay to `floor` on the last step."""

    kind: Literal["cosine"] = "cosine"
    """warm up, then cosine decay to `floor`"""
    warmup: Warmup = 0
    floor: Floor = 0.0


class RexSchedule(_NamedSchedule):
    """Warmup, then REX decay to `floor`: floor + (1 - floor)(1 - z)/(1 - z/2), z the progress."""

    kind: Literal["rex"] = "rex"
    """warm up, then REX decay to `floor`"""
    warmup: Warmup = 0
    floor: Floor = 0.0


class WSDSchedule(_NamedSchedule):
    """Warmup, stable at the peak, then decay over the last `decay` of the run."""

    kind: Literal["wsd"] = "wsd"
    """warmup-stable-decay"""
    warmup: Warmup = 0
    decay: FinalDecay = 0.2
    decay_shape: DecayShape = "linear"
    floor: Floor = 0.0


class InverseSqrtSchedule(_NamedSchedule):
    """Warmup, then sqrt(timescale / (timescale + k)) k steps after it (`timescale` defaults
    to the warmup's length), then an optional final decay to `floor`."""

    kind: Literal["inverse-sqrt"] = "inverse-sqrt"
    """warm up, then decay as the inverse square root of the steps since"""
    warmup: Warmup = 0
    timescale: Length | None = None
    """the level is sqrt(timescale / (timescale + k)) k steps after the warmup (default:
    the warmup's length)"""
    decay: FinalDecay = 0
    decay_shape: DecayShape = "linear"
    floor: Floor = 0.0


class PowerSchedule(_NamedSchedule):
    """The power scheduler (Shen et al. 2024): lr = min(peak, a * n ** b), n the tokens trained
    on; a linear warmup to the curve and an optional final decay to `floor`."""

    kind: Literal["power"] = "power"
    """the power scheduler: the learning rate falls as a power of the tokens trained on"""
    a: float = Field(gt=0)
    """the learning rate is min(peak, a * n ** b), n the tokens trained on"""
    b: float = Field(POWER_B, lt=0)
    """the exponent of the tokens trained on"""
    warmup: Warmup = 0
    decay: FinalDecay = 0
    decay_shape: DecayShape = "linear"
    floor: Floor = 0.0


class InfiniteSchedule(_NamedSchedule):
    """Warmup, cosine cooldown to `plateau`, hold, then a final anneal to `floor` over the
    last `anneal` of the run (Ibrahim et al. 2024)."""

    kind: Literal["infinite"] = "infinite"
    """warm up, cool down to a plateau, hold, then anneal"""
    warmup: Warmup = 0
    cooldown: Length = 0.1
    """length of the cosine cooldown from the peak to `plateau`, after the warmup"""
    plateau: Fraction = 0.5
    """the LR multiplier held between the cooldown and the anneal"""
    anneal: Length = 0.1
    """length of the final anneal from `plateau` to `floor`, at the end of the run"""
    anneal_shape: Ramp = "linear"
    """the final anneal's shape"""
    floor: Floor = 0.0


class CyclesSchedule(_NamedSchedule):
    """`cycles` equal cycles, each a warmup (from where the last one ended) and a decay to
    `floor`; each cycle's peak is `peak_decay` times the one before."""

    kind: Literal["cycles"] = "cycles"
    """equal cycles of warmup and decay"""
    cycles: PositiveInt = 2
    """how many equal cycles the run is cut into"""
    warmup: Length = 0
    """length of each cycle's warmup, from where the cycle before ended (0 for the first)"""
    decay_shape: Ramp = "cosine"
    """the shape of each cycle's decay to `floor`"""
    floor: Fraction = 0.0
    """the LR multiplier (a fraction of the peak) each cycle decays to"""
    peak_decay: float = Field(1.0, gt=0, le=1)
    """each cycle's peak is this times the one before"""


class PhasesSchedule(_NamedSchedule):
    """An explicit list of phases."""

    kind: Literal["phases"] = "phases"
    """an explicit list of phases"""
    phases: tuple[PhaseConfig, ...] = Field(min_length=1)
    """the phases in order; after the last, the multiplier holds where it ended"""


def _run_id(value: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{12}", value):
        raise ValueError(f"expected a run id (12 hex digits), found {value!r}")
    return value


class RefinedSchedule(_NamedSchedule):
    """A schedule refined from an earlier run's logged gradient norms (Defazio et al. 2023,
    "When, Why and How Much? Adaptive Learning Rate Scheduling by Refinement"): with g_t that
    run's gradient norm at step t, smoothed by a median filter, the multiplier at step t is
    proportional to g_t^-p * sum_{s>t} g_s^-p, scaled so that its largest value is 1, after
    a linear warmup to it. p = 2 is the paper's refinement for SGD; p = 1 its form for
    Adam-like updates (the paper takes the l1 norm of the gradient there; the runs log its
    l2 norm). The earlier run's steps are stretched onto this run's when the two differ."""

    kind: Literal["refined"] = "refined"
    """refined from an earlier run's logged gradient norms"""
    run: Annotated[str, AfterValidator(_run_id)] | None = None
    """the id of the run whose gradient norms it refines; in a spec's stage, the run of
    the stage's `parent`, filled in by the compiler"""
    power: Literal[1, 2] = 2
    """p in g_t^-p * sum_{s>t} g_s^-p: 2 for SGD-like updates, 1 for Adam-like ones"""
    smoothing: StepsOrFraction = 0.05
    """the width of the median filter over the gradient norms (steps, or a fraction of the
    earlier run)"""
    warmup: Warmup = 0
    # The earlier run's gradient norms, read when the run starts
    # (runtime/optim/refined.py: with_grad_norms).
    _grad_norms: tuple[float, ...] | None = PrivateAttr(None)

    @property
    def grad_norms(self) -> tuple[float, ...] | None:
        """The earlier run's gradient norms, once read (None before)."""
        return self._grad_norms

    def with_grad_norms(self, norms: tuple[float, ...]) -> RefinedSchedule:
        """This schedule, holding the earlier run's gradient norms `norms`."""
        loaded = self.model_copy()
        loaded._grad_norms = norms
        return loaded

    @model_validator(mode="after")
    def _has_run(self) -> RefinedSchedule:
        if self.run is None:
            raise ValueError("a refined schedule needs the run whose gradient norms it "
                             "refines: in a spec, give it in a stage, which refines its "
                             "parent's")
        return self


ScheduleConfig = Annotated[
    Annotated[ConstantSchedule, Tag("constant")]
    | Annotated[LinearSchedule, Tag("linear")]
    | Annotated[CosineSchedule, Tag("cosine")]
    | Annotated[RexSchedule, Tag("rex")]
    | Annotated[WSDSchedule, Tag("wsd")]
    | Annotated[InverseSqrtSchedule, Tag("inverse-sqrt")]
    | Annotated[PowerSchedule, Tag("power")]
    | Annotated[InfiniteSchedule, Tag("infinite")]
    | Annotated[CyclesSchedule, Tag("cycles")]
    | Annotated[PhasesSchedule, Tag("phases")]
    | Annotated[RefinedSchedule, Tag("refined")],
    kind_discriminator("constant"),
]

# Each kind's expansion into phases: (config, lengths, peak LR) -> list[PhaseConfig].
SCHEDULES = Registry("schedule", {
    "constant": "runtime.optim.schedules:expand_constant",
    "linear": "runtime.optim.schedules:expand_linear",
    "cosine": "runtime.optim.schedules:expand_cosine",
    "rex": "runtime.optim.schedules:expand_rex",
    "wsd": "runtime.optim.schedules:expand_wsd",
    "inverse-sqrt": "runtime.optim.schedules:expand_inverse_sqrt",
    "power": "runtime.optim.schedules:expand_power",
    "infinite": "runtime.optim.schedules:expand_infinite",
    "cycles": "runtime.optim.schedules:expand_cycles",
    "phases": "runtime.optim.schedules:expand_phases",
    "refined": "runtime.optim.refined:expand_refined",
})
