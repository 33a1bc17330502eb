"""A Plan: the sorted list of runs a spec needs, each with its id, overrides and config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runtime.config import RunConfig


@dataclass(frozen=True)
class PlannedRun:
    id: str
    # Dotted path -> value, the sweep values that made this run differ from `base`
    # (seed included as `seed`).
    overrides: dict[str, Any]
    config: RunConfig

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "overrides": self.overrides,
                "config": self.config.model_dump(mode="json")}


@dataclass(frozen=True)
class Plan:
    spec: str                       # the spec's name
    runs: tuple[PlannedRun, ...] = field(default_factory=tuple)   # sorted by id

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec, "runs": [r.to_json() for r in self.runs]}
