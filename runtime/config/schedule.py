"""The `schedule` section of a run config: a named schedule or an explicit list of phases.

Every schedule is a list of phases in the end (runtime/optim/schedules.py expands named kinds); a
phase moves the LR multiplier (a fraction of the peak LR) along a shape. Lengths are steps
(`100`), fractions of the run (`0.1`) or tokens (`{tokens: 2000000}`). `kind` picks the model
and defaults to constant.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Tag, model_validator

from runtime.config.base import Length, PositiveInt, Strict, kind_discriminator

# Shapes that go from a phase's `start` to its `end`.
Ramp = Literal["linear", "cosine", "1-sqrt", "exponential", "rex"]
# Shapes whose level follows a law instead: `inverse-sqrt` is start * sqrt(timescale /
# (timescale + k)) k steps into the phase; `power` is min(start, a * n ** b / peak_lr), n the
# tokens trained on.
Law = Literal["inverse-sqrt", "power"]
Fraction = Annotated[float, Field(ge=0, le=1)]
POWER_B = -0.51


class PhaseConfig(Strict):
    """One segment of a schedule.

    `start` None means "where the previous phase ended" (0 before the first), which is how
    warmups and decays chain; a ramp reaches `end` (default 1) on its last step.
    """

    steps: Length
    start: float | None = Field(None, ge=0)
    end: float | None = Field(None, ge=0)
    shape: Ramp | Law = "linear"
    timescale: Length | None = None
    a: float | None = Field(None, gt=0)
    b: float | None = Field(None, lt=0)

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
    warmup: Length = 0


class LinearSchedule(_NamedSchedule):
    """Warmup, then linear decay to `floor` on the last step."""

    kind: Literal["linear"] = "linear"
    warmup: Length = 0
    floor: Fraction = 0.0


class CosineSchedule(_NamedSchedule):
    """Warmup, then cosine decay to `floor` on the last step."""

    kind: Literal["cosine"] = "cosine"
    warmup: Length = 0
    floor: Fraction = 0.0


class RexSchedule(_NamedSchedule):
    """Warmup, then REX decay to `floor`: floor + (1 - floor)(1 - z)/(1 - z/2), z the progress."""

    kind: Literal["rex"] = "rex"
    warmup: Length = 0
    floor: Fraction = 0.0


class WSDSchedule(_NamedSchedule):
    """Warmup, stable at the peak, then decay over the last `decay` of the run."""

    kind: Literal["wsd"] = "wsd"
    warmup: Length = 0
    decay: Length = 0.2
    decay_shape: Ramp = "linear"
    floor: Fraction = 0.0


class InverseSqrtSchedule(_NamedSchedule):
    """Warmup, then sqrt(timescale / (timescale + k)) k steps after it (`timescale` defaults
    to the warmup's length), then an optional final decay to `floor`."""

    kind: Literal["inverse-sqrt"] = "inverse-sqrt"
    warmup: Length = 0
    timescale: Length | None = None
    decay: Length = 0
    decay_shape: Ramp = "linear"
    floor: Fraction = 0.0


class PowerSchedule(_NamedSchedule):
    """The power scheduler (Shen et al. 2024): lr = min(peak, a * n ** b), n the tokens trained
    on; a linear warmup to the curve and an optional final decay to `floor`."""

    kind: Literal["power"] = "power"
    a: float = Field(gt=0)
    b: float = Field(POWER_B, lt=0)
    warmup: Length = 0
    decay: Length = 0
    decay_shape: Ramp = "linear"
    floor: Fraction = 0.0


class InfiniteSchedule(_NamedSchedule):
    """Warmup, cosine cooldown to `plateau`, hold, then a final anneal to `floor` over the
    last `anneal` of the run (Ibrahim et al. 2024)."""

    kind: Literal["infinite"] = "infinite"
    warmup: Length = 0
    cooldown: Length = 0.1
    plateau: Fraction = 0.5
    anneal: Length = 0.1
    anneal_shape: Ramp = "linear"
    floor: Fraction = 0.0


class CyclesSchedule(_NamedSchedule):
    """`cycles` equal cycles, each a warmup (from where the last one ended) and a decay to
    `floor`; each cycle's peak is `peak_decay` times the one before."""

    kind: Literal["cycles"] = "cycles"
    cycles: PositiveInt = 2
    warmup: Length = 0
    decay_shape: Ramp = "cosine"
    floor: Fraction = 0.0
    peak_decay: float = Field(1.0, gt=0, le=1)


class PhasesSchedule(_NamedSchedule):
    kind: Literal["phases"] = "phases"
    phases: tuple[PhaseConfig, ...] = Field(min_length=1)


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
    | Annotated[PhasesSchedule, Tag("phases")],
    kind_discriminator("constant"),
]
