"""Keys given the value null: composition removes them (compiler/language/merge.py), so
validation never sees them, yet `optimizer: {lrr: null}` is as much a typo as `lrr: 0.1`.

Each is put back, as null, into the composed data, which is validated once more: an unknown
key among them is reported where it was written, with pydantic's "did you mean". A known key
may be null (removing what a fragment set is what null is for), so only the keys themselves
are judged, never their null values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from compiler.language.errors import Problem
from compiler.language.locations import Location, YamlPath
from compiler.language.pydantic_errors import explain
from compiler.language.spec import Spec


def unknown_null_keys(data: Any, nulls: Sequence[tuple[YamlPath, Location]]) -> list[Problem]:
    """The problems of the keys among `nulls` (each written at its Location) that a spec
    does not have, judged in the composed spec `data`."""
    if not nulls or not isinstance(data, Mapping):
        return []
    probe = data
    for path, _ in nulls:
        probe = _with_null(probe, path)
    try:
        Spec.model_validate(probe)
    except ValidationError as error:
        found = explain(error, probe, Spec)
    else:
        return []
    written = dict(nulls)
    return [replace(problem, location=written[problem.path]) for problem in found
            if problem.at_key and problem.path in written]


def _with_null(data: Any, path: YamlPath) -> Any:
    """`data` with null at `path`, when every mapping on the way is there and the key is not."""
    head, rest = path[0], path[1:]
    if not isinstance(data, Mapping) or (not rest and head in data):
        return data
    if rest:
        inner = data.get(head)
        updated = _with_null(inner, rest)
        return data if updated is inner else {**data, head: updated}
    return {**data, head: None}
