"""What enters a run id, field by field. Ids hash the canonical config (runtime/config/run.py),
so a field added to the run config would move every existing id unless it stays out of the
canonical form at its default. The fields that entered ids when SCHEMA_VERSION last moved are
pinned; every other field must be marked (`Annotated[T, NEW]`, or `Identity.NEVER`), and a
config that leaves a new field at its default keeps its id."""

import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from runtime.config.base import Identity
from runtime.config.run import SCHEMA_VERSION, RunConfig

PINNED = Path(__file__).parent / "pinned" / f"identity-fields.v{SCHEMA_VERSION}"


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The config models an annotation can hold, through unions, Annotated and containers."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (Annotated, Union, types.UnionType, tuple, list, dict):
        return [m for arg in get_args(annotation) for m in _models(arg)]
    return []


def fields() -> dict[str, list[Identity]]:
    """`Model.field` for every field of every model a RunConfig can hold, with its marks; the
    fields inside a marked one (a new section) are only hashed when it is set, so they are
    left out."""
    out: dict[str, list[Identity]] = {}
    todo, seen = [RunConfig], set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            marks = [mark for mark in info.metadata if isinstance(mark, Identity)]
            out[f"{model.__name__}.{name}"] = marks
            if not marks:
                todo += _models(info.annotation)
    return out


def test_every_field_added_since_the_schema_version_keeps_out_of_ids_at_its_default():
    pinned = set(PINNED.read_text().split())
    # A model that did not exist then (a new optimizer kind) enters only the ids of the
    # configs that choose it, which are new; a new field of an old model enters every id.
    old_models = {name.split(".")[0] for name in pinned}
    unmarked = {name for name, marks in fields().items()
                if not marks and name.split(".")[0] in old_models}
    assert unmarked - pinned == set(), (
        "these fields enter every run id, moving the id of every result: mark them "
        "Annotated[T, NEW] (in the id only when not at their default) or Identity.NEVER, or, "
        "if they change what existing configs compute, bump SCHEMA_VERSION and re-pin")
    assert pinned - set(fields()) == set(), "pinned fields that no longer exist"


NEW_VALUES = {
    "model.norm": "rmsnorm", "model.norm_placement": "post", "model.qk_norm": True,
    "model.sigma_reparam": True, "model.position": "rope", "model.rope_base": 500.0,
    "model.mlp": "swiglu", "model.tied_embeddings": True, "model.bias": True,
    "data.full_batch": True, "eval.sharpness": {"every": 10}, "eval.ema": 0.99,
    "eval.average_last": 3,
}


@pytest.mark.parametrize("path", NEW_VALUES)
def test_a_new_field_at_its_default_keeps_the_id_and_any_other_value_moves_it(path):
    section, name = path.split(".")
    default = getattr(RunConfig(), section).model_fields[name].default
    plain = RunConfig().run_id()
    assert RunConfig.model_validate({section: {name: default}}).run_id() == plain
    assert RunConfig.model_validate({section: {name: NEW_VALUES[path]}}).run_id() != plain
