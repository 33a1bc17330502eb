"""Generated sweep axes: `{logspace: [lo, hi, n]}`, `{linspace: [lo, hi, n]}`, `{pow2: [lo, hi]}`.

Values are rounded to 12 significant digits, so `1e-3` comes out as 0.001 and not as
0.0010000000000000002: a value written by hand elsewhere (and so the run it makes) is the
same run.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from compiler.language.spec_base import SpecModel

Count = Annotated[int, Field(ge=1, le=1000)]
Positive = Annotated[float, Field(gt=0)]


def _power_of_two(value: int) -> int:
    if value & (value - 1):
        raise ValueError(f"expected a power of two, found {value}")
    return value


PowerOfTwo = Annotated[int, Field(gt=0), AfterValidator(_power_of_two)]
KINDS = ("logspace", "linspace", "pow2")


class Range(SpecModel):
    """Exactly one of the range kinds; `values()` lists what it generates."""

    logspace: tuple[Positive, Positive, Count] | None = Field(
        None, description="[lo, hi, n]: n values evenly spaced in log10, lo and hi included")
    linspace: tuple[float, float, Count] | None = Field(
        None, description="[lo, hi, n]: n evenly spaced values, lo and hi included")
    pow2: tuple[PowerOfTwo, PowerOfTwo] | None = Field(
        None, description="[lo, hi]: every power of two from lo to hi, e.g. [64, 512]")

    @model_validator(mode="after")
    def _exactly_one(self) -> Range:
        given = [kind for kind in KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            found = f"found {' and '.join(given)}" if given else "found none"
            raise ValueError(f"expected one range kind ({', '.join(KINDS)}), {found}")
        if self.pow2 and self.pow2[0] > self.pow2[1]:
            raise ValueError(f"pow2 needs lo <= hi, found {list(self.pow2)}")
        return self

    def values(self) -> list[float] | list[int]:
        if self.logspace:
            lo, hi, n = self.logspace
            return [_round(10 ** x) for x in _spaced(math.log10(lo), math.log10(hi), n)]
        if self.linspace:
            lo, hi, n = self.linspace
            values = [_round(x) for x in _spaced(lo, hi, n)]
            return [int(v) for v in values] if all(v.is_integer() for v in values) else values
        lo, hi = self.pow2
        return [2 ** e for e in range(lo.bit_length() - 1, hi.bit_length())]


def _spaced(lo: float, hi: float, n: int) -> list[float]:
    if n == 1:
        return [lo]
    step = (hi - lo) / (n - 1)
    return [lo + i * step for i in range(n)]


def _round(value: float) -> float:
    return float(f"{value:.12g}")
