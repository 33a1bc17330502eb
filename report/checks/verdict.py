"""What a check concludes about a claim: a verdict, the numbers behind it, its figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import plotly.graph_objects as go

Verdict = Literal["supported", "not supported", "inconclusive"]
VERDICTS: tuple[Verdict, ...] = ("supported", "not supported", "inconclusive")

Number = float | int | str


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    summary: str                    # one line: the conclusion, with its numbers
    rule: str                       # one sentence: when this check says "supported"
    numbers: dict[str, Number]      # label -> value, the values the verdict rests on
    figures: list[go.Figure] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)   # ids of the runs the verdict used
