"""The pieces every section of the run config is built from.

Kept apart from config.py so that sections defined in their own modules (the data section,
runtime/config/data.py) can share them without importing the config that includes them.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors, instances are immutable."""

    # Attribute docstrings are field descriptions: written once, shown in the editor schema.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


PositiveInt = Annotated[int, Field(gt=0)]
# A length given either as a whole number of steps (int >= 0) or as a fraction of the
# run's total steps (float in [0, 1]); YAML `100` is steps, `0.05` is a fraction.
StepsOrFraction = Annotated[int, Field(ge=0)] | Annotated[float, Field(ge=0.0, le=1.0)]


class Tokens(Strict):
    """A length in tokens trained on (`{tokens: 2000000}`); the runtime rounds it to whole
    steps of batch_size * seq_len tokens (half up, like fractions)."""

    tokens: Annotated[int, Field(ge=0)]


# A schedule length: steps, a fraction of the run, or tokens.
Length = StepsOrFraction | Tokens


def length_in_steps(length: Length, total_steps: int, tokens_per_step: int) -> int:
    """A length in whole steps. Fractions and tokens round half up rather than to even: a
    0.05 warmup of 10 steps is 1 step, not 0."""
    if isinstance(length, Tokens):
        steps = length.tokens / tokens_per_step
    else:
        steps = length * total_steps if isinstance(length, float) else length
    return math.floor(steps + 0.5)


def kind_discriminator(default: str) -> Discriminator:
    """Pick a section's model by its `kind`, given as YAML data or as a model, so a section
    that names no kind is the `default` one."""

    def kind(value: Any) -> str:
        if isinstance(value, dict):
            return value.get("kind", default)
        return getattr(value, "kind", default)

    return Discriminator(kind)
