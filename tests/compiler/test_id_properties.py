"""Properties of run ids, checked on many generated cases: how a spec is written (key order,
comments, flow or block style) never changes them; what it says always does.

A run id hashes the canonical resolved run config (defaults filled, floats normalised) and a
schema version; `execution` (checkpoints, compilation) is left out, as it cannot change a
result. The paths tried are every leaf of the config, read from its models, so a field the
runtime adds is covered as soon as it exists.
"""

import random
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from compiler import SpecError, check_spec, compile_spec
from compiler.language.config_paths import field_type, with_value
from compiler.language.model_paths import alternatives, literal_values
from runtime.config.run import RunConfig

NOT_HASHED = ("execution",)

SPEC = {
    "name": "property",
    "paper": {"title": "A paper"},
    "base": {"model": {"width": 64, "head_dim": 16, "depth": 2},
             "optimizer": {"lr": 3.0e-3, "betas": [0.9, 0.95], "weight_decay": 0.1},
             "schedule": {"kind": "wsd", "warmup": 0.1, "decay": 0.2},
             "data": {"batch_size": 8}, "budget": {"steps": 50}},
    "sweep": {"grid": {"model.width": [32, 64], "optimizer.lr": {"logspace": [1e-3, 1e-1, 3]}},
              "seeds": [0, 1]},
    "claims": [{"id": "c", "statement": "s",
                "check": {"kind": "argmin_stable", "metric": "final.val_loss",
                          "over": "optimizer.lr", "across": "model.width"}}],
}


def _leaves(data: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(data, dict):
        return [leaf for key, value in data.items() for leaf in _leaves(value, (*path, key))]
    return [(path, data)]


LEAVES = [(path, value) for path, value in _leaves(RunConfig().model_dump(mode="json"))
          if value is not None and not isinstance(value, list)]


def _shuffled(data: Any, rng: random.Random) -> Any:
    if isinstance(data, dict):
        items = list(data.items())
        rng.shuffle(items)
        return {key: _shuffled(value, rng) for key, value in items}
    if isinstance(data, list):
        return [_shuffled(item, rng) for item in data]
    return data


def _rewritten(data: dict, rng: random.Random) -> str:
    text = yaml.safe_dump(_shuffled(data, rng), sort_keys=False, width=rng.randint(40, 200),
                          default_flow_style=rng.choice([False, None]))
    lines = text.splitlines()
    for _ in range(rng.randint(0, 6)):
        lines.insert(rng.randint(0, len(lines)), "#" + " note" * rng.randint(0, 3))
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1),
       name=st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True))
def test_key_order_comments_style_and_name_keep_ids(tmp_path, seed, name):
    rng = random.Random(seed)
    original = tmp_path / "original.yaml"
    original.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    rewritten = tmp_path / "rewritten.yaml"
    rewritten.write_text(_rewritten({**SPEC, "name": name}, rng))
    first, second = compile_spec(original), compile_spec(rewritten)
    assert [run.id for run in first.plan.runs] == [run.id for run in second.plan.runs]
    assert len(first.plan.runs) == 12


def _other_values(path: tuple[str, ...], value: Any) -> st.SearchStrategy:
    if isinstance(value, bool):
        return st.just(not value)
    if isinstance(value, str):
        options = [o for o in literal_values([field_type(path)]) if o != value]
        return st.sampled_from(options) if options else st.nothing()
    if isinstance(value, int):
        return st.integers(0, 4 * value + 8).filter(lambda v: v != value)
    accepts_int = int in alternatives(field_type(path))
    floats = st.floats(0, 4 * abs(value) + 1, allow_nan=False).filter(lambda v: v != value)
    return st.one_of(floats, st.integers(0, 10)) if accepts_int else floats


@st.composite
def _changed_leaf(draw: st.DrawFn) -> tuple[tuple[str, ...], Any]:
    path, value = draw(st.sampled_from(LEAVES))
    return path, draw(_other_values(path, value))


@settings(max_examples=150, deadline=None)
@given(change=_changed_leaf())
def test_changing_any_hashed_field_changes_the_id(change):
    path, value = change
    base_spec = {"name": "one", "base": {}}
    (before,) = check_spec(base_spec)[1].runs
    try:
        _, plan = check_spec(with_value(base_spec, ("base", *path), value))
    except SpecError:
        assume(False)   # not a value this field takes (or takes with its neighbours)
    (after,) = plan.runs
    assume(after.config != before.config)
    if path[0] in NOT_HASHED:
        assert after.id == before.id
    else:
        assert after.id != before.id, f"changing {'.'.join(path)} to {value!r} kept the id"
