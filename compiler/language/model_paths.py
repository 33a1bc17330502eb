"""Walking the spec's pydantic models by path: which types may live at `base.model.width`.

Used to check dotted config paths and to phrase errors ("did you mean", "one of ...") from
the models themselves, so a new field or option needs no change here.
"""

from __future__ import annotations

from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel


def alternatives(annotation: Any) -> list[Any]:
    """The concrete types an annotation admits: Annotated and None stripped, unions split."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return alternatives(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return [alt for arg in get_args(annotation) for alt in alternatives(arg)]
    return [] if annotation is NoneType else [annotation]


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def children(annotation: Any, part: str | int) -> list[Any]:
    """The types at `part` inside a value of `annotation`: a model's field, a dict's value,
    a list's item. Empty when `part` cannot be there."""
    found = []
    for alt in alternatives(annotation):
        origin, args = get_origin(alt), get_args(alt)
        if is_model(alt) and isinstance(part, str) and part in alt.model_fields:
            found.append(alt.model_fields[part].annotation)
        elif origin is dict and isinstance(part, str):
            found.append(args[1])
        elif origin is list and isinstance(part, int):
            found.append(args[0])
        elif origin is tuple and isinstance(part, int):
            if len(args) == 2 and args[1] is Ellipsis:
                found.append(args[0])
            elif 0 <= part < len(args):
                found.append(args[part])
    return found


def types_at(annotation: Any, loc: tuple[str | int, ...]) -> list[Any]:
    """The types at a pydantic error location.

    Such a location also holds the tags of the union members it went through (a model's
    name, a discriminator value, 'constrained-int'): a tag that names a member narrows the
    types to it, any other tag is passed over.
    """
    types = alternatives(annotation)
    for part in loc:
        # Among a union's members the step after it is a member's tag, even where another
        # member has a field of that name (`tokens`: a source kind, and a Markov source's
        # length).
        tagged = [t for t in types if _tagged(t, part)] if len(types) > 1 else []
        inner = [alt for t in types for child in children(t, part) for alt in alternatives(child)]
        types = tagged or inner or types
    return types


def _tagged(annotation: Any, tag: str | int) -> bool:
    if not is_model(annotation):
        return False
    return annotation.__name__ == tag or any(
        tag in literal_values([field.annotation]) for field in annotation.model_fields.values()
    )


def field_names(types: list[Any]) -> list[str]:
    return sorted({name for t in types if is_model(t) for name in t.model_fields})


def literal_values(types: list[Any]) -> list[Any]:
    """The options of the `Literal[...]` types among `types`, in declaration order."""
    values = [v for t in types for alt in alternatives(t) if get_origin(alt) is Literal
              for v in get_args(alt)]
    return list(dict.fromkeys(values))


def keys_are_paths(annotation: Any) -> bool:
    """Whether `annotation` is a mapping keyed by dotted config paths (`sweep.grid`, a
    check's `where`), not by plain names: its key type carries a validator."""
    return get_origin(annotation) is dict and get_args(annotation)[0] is not str
