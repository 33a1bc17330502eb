"""The run configs of a sweep, which share most of their sections, each part validated once.

resolve_config (run_config.py) validates a run's whole config data; a sweep's runs differ in a
few values, and validating and hashing 10,000 whole configs was most of compiling a large
grid. Here each section (a top-level field of the run config: `model`, `optimizer`, `seed`...)
is validated, and checked as written, once per distinct value; RunConfig's own validators,
which read several sections together, run once per distinct combination of the sections they
read; a run's config is put together from those parts without validating them again, and its
id is hashed from each section's text, serialised once.

A run with any problem is resolved again by resolve_config, which says what is wrong in the
spec's words: the problems reported are the ones it always reported.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from functools import cache
from operator import attrgetter
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from compiler.language.written_values import written_value_problems
from compiler.planning.expand import Override, apply
from compiler.planning.run_config import resolve_config, warmup_problems
from runtime.config.run import RunConfig, SectionTexts

# The fields of RunConfig that none of RunConfig's own validators reads (its field validators
# and model validators; a section's validators read only that section). A run's value of one
# of these can neither fail those validators nor change what they return, so they run once
# for all the runs that differ only in these. A test traces the validators to keep it true.
NOT_READ_ACROSS_SECTIONS = frozenset({
    "parametrization", "optimizer", "schedule", "eval", "stability", "seed", "execution"})

_READ_ACROSS_SECTIONS = tuple(name for name in RunConfig.model_fields
                              if name not in NOT_READ_ACROSS_SECTIONS)
_INVALID = object()
_path = attrgetter("path")


class SweepConfigs:
    """Resolves the runs of a sweep over `written` (the base's config data), each given by
    its overrides, the way resolve_config resolves the config data they make."""

    def __init__(self, written: Mapping[str, Any]) -> None:
        self._written = written
        # A section's overrides (their paths and values: the data they make), or its name
        # when none touches it -> the section validated, or _INVALID.
        self._parts: dict[Hashable, Any] = {}
        # The ids of the sections RunConfig's validators read -> the config they make alone
        # and those fields as it holds them (a budget in tokens becomes steps), or None when
        # they fail. The sections are kept alive in _parts, so their ids are not reused.
        self._across: dict[tuple[int, ...], tuple[RunConfig, dict[str, Any]] | None] = {}
        self._texts: SectionTexts = {}
        self._unswept = {name: self._part(name, None, None) for name in written}

    def resolve(self, overrides: Sequence[Override],
                data: Mapping[str, Any] | None = None) -> tuple[RunConfig, str]:
        """The config the overrides make of `written` and its run id; raises SpecError as
        resolve_config does. `data`: that config's data, when it is at hand (derived values
        are set in it)."""
        touched: dict[str, list[Override]] = {}
        for override in overrides:
            touched.setdefault(override.path[0], []).append(override)
        values = {**self._unswept, **{name: self._part(name, section, data)
                                      for name, section in touched.items()}}
        resolved = self._put_together(values)
        if resolved is None:   # something is wrong: resolve_config says what, and where
            return resolve_config(data if data is not None else apply(self._written, overrides))
        return resolved

    def _put_together(self, values: dict[str, Any]) -> tuple[RunConfig, str] | None:
        if any(part is _INVALID for part in values.values()):
            return None
        together = self._validated_across(values)
        if together is None:
            return None
        # Not validated again: a copy of the fields validated together, with the other parts.
        # A field the data leaves out keeps the default they were validated with (shared by
        # the runs, as their sections are: they are frozen).
        config, across = together
        config = config.model_copy(update={**values, **across})
        if warmup_problems(config):
            return None
        try:
            return config, config.run_id(self._texts)
        except ValueError:   # a number the id's JSON refuses (inf, nan)
            return None

    def _part(self, name: str, overrides: list[Override] | None,
              data: Mapping[str, Any] | None) -> Any:
        if overrides is None:
            key: Hashable = name
        else:
            # The data a section's overrides make depends on their paths and values alone
            # (applied parents first, as `apply` does), not on which axis chose them.
            overrides.sort(key=_path)
            key = (name, *((o.path, _frozen(o.value)) for o in overrides))
        try:
            return self._parts[key]
        except KeyError:
            pass
        except TypeError:   # unhashable values, which YAML does not make
            return _INVALID
        if data is None:
            data = apply({name: self._written[name]} if name in self._written else {},
                         overrides or ())
        part = self._parts[key] = _validated(name, data[name])
        return part

    def _validated_across(self, values: dict[str, Any]
                          ) -> tuple[RunConfig, dict[str, Any]] | None:
        key = tuple(id(values.get(name, _INVALID)) for name in _READ_ACROSS_SECTIONS)
        if key not in self._across:
            read = {name: values[name] for name in _READ_ACROSS_SECTIONS if name in values}
            try:
                together = RunConfig.model_validate(read)
            except ValidationError:
                self._across[key] = None
            else:
                self._across[key] = together, {name: getattr(together, name) for name in read}
        return self._across[key]


def _validated(name: str, value: Any) -> Any:
    """`value` validated as the run config's field `name`, or _INVALID when it is not valid
    or not written as the spec must write it."""
    if name not in RunConfig.model_fields:
        return _INVALID
    try:
        part = _field_adapter(name).validate_python(value)
    except ValidationError:
        return _INVALID
    return _INVALID if written_value_problems(value, part) else part


@cache
def _field_adapter(name: str) -> TypeAdapter:
    """Validates one field of RunConfig as RunConfig does (its type and its constraints)."""
    field = RunConfig.model_fields[name]
    return TypeAdapter(Annotated[field.annotation, field])


def _frozen(value: Any) -> Hashable:
    """A key that two pieces of YAML data share only when they validate alike: types are part
    of it (`1`, `1.0` and `true` are equal in Python), and so is the sign of a zero."""
    if isinstance(value, float):
        return float, value.hex()
    if isinstance(value, dict):
        return dict, tuple((key, _frozen(item)) for key, item in value.items())
    if isinstance(value, list):
        return list, tuple(_frozen(item) for item in value)
    return type(value), value
