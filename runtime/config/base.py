"""The pieces every section of the run config is built from.

Kept apart from config.py so that sections defined in their own modules (the data section,
runtime/config/data.py) can share them without importing the config that includes them.
"""

from __future__ import annotations

import enum
import functools
import math
import typing
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors, instances are immutable."""

    # Attribute docstrings are field descriptions: written once, shown in the editor schema.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Identity(enum.Enum):
    """How a field enters a run's identity (runtime/config/run.py), as `Annotated` metadata.

    A field without one always does. Fields added after a config already had run ids carry
    IF_CHANGED, so that a config which leaves them at their default (and so computes what it
    computed before the field existed) keeps its id; fields that only say how another field
    was reached (a token budget, once turned into steps) carry NEVER.
    """

    IF_CHANGED = "if-changed"
    NEVER = "never"


# `Annotated[T, NEW]`: a field added at a default that reproduces what configs computed
# before it existed; it enters the identity only when set to something else.
NEW = Identity.IF_CHANGED


def identity_exclusions(model: BaseModel) -> dict[str | int, Any]:
    """What to leave out of `model`'s dump for its identity, as a pydantic `exclude` tree:
    NEVER fields, and IF_CHANGED fields at their default, in `model` and every section,
    list item and mapping value inside it."""
    out: dict[str | int, Any] = {}
    for field in _identity_fields(type(model)):
        value = getattr(model, field.name)
        if field.mark is Identity.NEVER or (field.mark is Identity.IF_CHANGED
                                            and value == field.default):
            out[field.name] = True
        elif field.mark is None and (inner := _inner_exclusions(value)):
            out[field.name] = inner
    return out


def left_out_of_identity(model: BaseModel) -> set[str]:
    """The fields of `model` its identity leaves out whole (NEVER fields, IF_CHANGED fields at
    their default): identity_exclusions' top level, without looking inside the others."""
    return {field.name for field in _identity_fields(type(model))
            if field.mark is Identity.NEVER or (field.mark is Identity.IF_CHANGED
                                                and getattr(model, field.name) == field.default)}


@dataclass(frozen=True)
class _IdentityField:
    name: str
    mark: Identity | None   # None: a field that may hold models with marked fields
    default: Any


@functools.cache
def _identity_fields(model: type[BaseModel]) -> tuple[_IdentityField, ...]:
    """The fields of `model` that identity_exclusions must look at: the marked ones, and those
    that can hold a model with marked fields (computed once per model class, so that hashing
    a run walks only the few sections that have any)."""
    fields = []
    for name, info in model.model_fields.items():
        marks = [mark for mark in info.metadata if isinstance(mark, Identity)]
        if marks:
            fields.append(_IdentityField(name, marks[0], info.get_default(
                call_default_factory=True)))
        elif any(_has_marks(inner) for inner in _models_in(info.annotation)):
            fields.append(_IdentityField(name, None, None))
    return tuple(fields)


def _has_marks(model: type[BaseModel], seen: frozenset[type] = frozenset()) -> bool:
    if model in seen:
        return False
    return any(
        any(isinstance(mark, Identity) for mark in info.metadata)
        or any(_has_marks(inner, seen | {model}) for inner in _models_in(info.annotation))
        for info in model.model_fields.values())


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a field's annotation can hold, through unions, Annotated and containers."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]


def _inner_exclusions(value: Any) -> dict[str | int, Any]:
    if isinstance(value, BaseModel):
        return identity_exclusions(value)
    items = (value.items() if isinstance(value, dict)
             else enumerate(value) if isinstance(value, (list, tuple)) else ())
    return {key: inner for key, item in items if (inner := _inner_exclusions(item))}


PositiveInt = Annotated[int, Field(gt=0)]
# A run's seed: it seeds torch's generators (64-bit) and NumPy's legacy one (32-bit), so it
# must fit the smaller.
MAX_SEED = 2**32 - 1
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
# A length given either as a whole number of steps (int >= 0) or as a fraction of the
# run's total steps (float in [0, 1]); YAML `100` is steps, `0.05` is a fraction.
StepsOrFraction = Annotated[int, Field(ge=0)] | Annotated[float, Field(ge=0.0, le=1.0)]


class Tokens(Strict):
    """A length in tokens trained on (`{tokens: 2000000}`); the runtime rounds it to whole
    steps of batch_size * seq_len tokens (half up, like fractions)."""

    tokens: Annotated[int, Field(ge=0)]
    """tokens trained on, rounded half up to whole steps of batch_size * seq_len"""


# A schedule length: steps, a fraction of the run, or tokens.
Length = StepsOrFraction | Tokens


def length_in_steps(length: Length, total_steps: int, tokens_per_step: int) -> int:
    """A length in whole steps."""
    return round_half_up(unrounded_steps(length, total_steps, tokens_per_step))


def unrounded_steps(length: Length, total_steps: int, tokens_per_step: int) -> float:
    """A length in steps, before rounding (for lengths that add up before they round)."""
    if isinstance(length, Tokens):
        return length.tokens / tokens_per_step
    return length * total_steps if isinstance(length, float) else float(length)


def round_half_up(steps: float) -> int:
    """The rounding of every length in a config to whole steps: half up rather than Python's
    half to even, so a 0.05 warmup of 10 steps is 1 step, not 0."""
    return math.floor(steps + 0.5)


def kind_discriminator(default: str) -> Discriminator:
    """Pick a section's model by its `kind`, given as YAML data or as a model, so a section
    that names no kind is the `default` one."""

    def kind(value: Any) -> str:
        if isinstance(value, dict):
            return value.get("kind", default)
        return getattr(value, "kind", default)

    return Discriminator(kind)
