"""Dotted paths into a RunConfig (`model.width`, `data.mix.code`): which exist, and how to
read and write them in plain config data.

A path steps through model fields and through the keys of dict fields (`data.mix.<source>`);
it may stop at any level, so `schedule` names the whole schedule.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Annotated, Any, Union

from pydantic import AfterValidator, TypeAdapter

from compiler.language.model_paths import alternatives, children, field_names, is_model
from runtime.config.run import RunConfig

_MISSING = object()


def split(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def path_problem(path: str) -> str | None:
    """Why `path` is not a RunConfig path, or None when it is."""
    types: list[Any] = [RunConfig]
    for depth, part in enumerate(split(path)):
        inner = [child for t in types for child in children(t, part)]
        if not inner:
            return f"unknown config path {path!r}{_hint(path, depth, types)}"
        types = inner
    return None


def _hint(path: str, depth: int, types: list[Any]) -> str:
    """A typo at the failing step, a path ending the way this one does, or the choices."""
    parts = split(path)
    names = field_names([alt for t in types for alt in alternatives(t)])
    close = difflib.get_close_matches(parts[depth], names, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {'.'.join((*parts[:depth], close[0], *parts[depth + 1:]))!r}?)"
    endings = [known for known in known_paths() if known.endswith("." + path)]
    shallowest = [known for known in endings
                  if known.count(".") == min(e.count(".") for e in endings)]
    if len(shallowest) == 1:
        return f" (did you mean {shallowest[0]!r}?)"
    where = ".".join(parts[:depth]) or "a run config"
    return f" ({where} has {', '.join(names)})" if names else f" ({where} has no fields)"


@cache
def known_paths() -> tuple[str, ...]:
    """Every path through model fields (dict keys are the user's own, so not listed)."""
    return tuple(dict.fromkeys(_paths(RunConfig, "")))


def _paths(annotation: Any, prefix: str) -> Iterator[str]:
    for alt in alternatives(annotation):
        if is_model(alt):
            for name, field in alt.model_fields.items():
                yield prefix + name
                yield from _paths(field.annotation, f"{prefix}{name}.")


def _check(path: str) -> str:
    problem = path_problem(path)
    if problem:
        raise ValueError(problem)
    return path


# A string that must name a RunConfig path, e.g. a claim's `over: optimizer.lr`.
ConfigPath = Annotated[str, AfterValidator(_check)]


def with_value(data: Mapping[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of `data` with `value` at `path`, creating the mappings on the way.

    When something on the way is not a mapping (an override replaced it with a bad value),
    it is left as it is: validating that value reports the real problem.
    """
    head, *rest = path
    result = dict(data)
    if not rest:
        result[head] = value
        return result
    inner = data.get(head, {})
    if isinstance(inner, Mapping):
        result[head] = with_value(inner, tuple(rest), value)
    return result


def value_with_defaults(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at `path` of config data, or the config's default where the data does not
    say (None where neither does, e.g. a source the mix does not name)."""
    node: Any = data
    for part in path:
        node = node.get(part, _MISSING) if isinstance(node, Mapping) else _MISSING
        if node is _MISSING:
            return _default(path)
    return node


@cache
def _default(path: tuple[str, ...]) -> Any:
    node: Any = RunConfig().model_dump(mode="json")
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def field_type(path: tuple[str, ...]) -> Any:
    """The type of the config field at `path` (which must exist)."""
    types: list[Any] = [RunConfig]
    for part in path:
        types = [child for t in types for child in children(t, part)]
    # A union built at run time: `X | Y` has no spelling for a tuple of types.
    return types[0] if len(types) == 1 else Union[tuple(types)]  # noqa: UP007


@cache
def value_adapter(path: tuple[str, ...]) -> TypeAdapter:
    """Validates a value for the config field at `path` as the config would: `1` for a
    float field is 1.0, `mupp` for `parametrization.kind` is an error."""
    return TypeAdapter(field_type(path))
