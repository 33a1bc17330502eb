"""The JSON Schema of spec files, for editors: generated from the spec's pydantic models, so a
new field anywhere (a runtime config option, a check argument) is in it once regenerated.

A spec file may also say `extends` and `profiles`, which composition resolves before the
models see the spec (compose.py); the schema adds them. A fragment's schema requires nothing.
"""

from __future__ import annotations

import copy
from typing import Any

from compiler.language.spec import Spec

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_EXTENDS = {
    "description": "fragment file(s) this spec builds on, relative to it: deep-merged in "
                   "order, then this file over them (later wins, lists replace, null removes)",
    "anyOf": [{"type": "string", "minLength": 1},
              {"type": "array", "items": {"type": "string", "minLength": 1}}],
}


def spec_schema(fragment: bool = False) -> dict[str, Any]:
    """The schema of a spec file, or of a fragment (`fragment=True`) that specs extend."""
    schema = Spec.model_json_schema()
    overlay = {"type": "object", "additionalProperties": False,
               "properties": copy.deepcopy(schema["properties"])}
    schema["properties"]["extends"] = _EXTENDS
    schema["properties"]["profiles"] = {
        "description": "named overlays, merged over the spec when selected with --profile "
                       "NAME (e.g. cpu for a toy scale, gpu for paper scale)",
        "type": "object",
        "propertyNames": {"pattern": "^[a-z0-9][a-z0-9_.-]*$", "maxLength": 80},
        "additionalProperties": overlay,
    }
    if fragment:
        schema.pop("required", None)
    title = "claimlab spec fragment" if fragment else "claimlab spec"
    return _one_line(_any_of({"$schema": DIALECT, "title": title,
                              **{k: v for k, v in schema.items() if k != "title"}}))


def _one_line(schema: Any) -> Any:
    """Descriptions on one line each: the models' docstrings wrap, an editor's hover does not
    need to."""
    if isinstance(schema, dict):
        return {key: " ".join(value.split()) if key == "description" and isinstance(value, str)
                else _one_line(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_one_line(item) for item in schema]
    return schema


def _any_of(schema: Any) -> Any:
    """`oneOf` as `anyOf`: a union whose members default their `kind` (the optimizer's
    adamw, say) lets data without a kind match several members; pydantic picks by kind."""
    if isinstance(schema, dict):
        return {("anyOf" if key == "oneOf" else key): _any_of(value)
                for key, value in schema.items()}
    if isinstance(schema, list):
        return [_any_of(item) for item in schema]
    return schema
