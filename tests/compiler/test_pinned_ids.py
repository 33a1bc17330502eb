"""The demo spec's run ids, pinned: a refactoring that moves an id would orphan every result
already trained under it (and silently retrain them). Regenerate the files only for a change
that is meant to change what runs compute, and bump runtime.config.run.SCHEMA_VERSION with it."""

from pathlib import Path

import pytest

from compiler import compile_spec

REPO = Path(__file__).resolve().parents[2]
PINNED = Path(__file__).parent / "pinned"


@pytest.mark.parametrize(("profiles", "pinned"), [
    ((), "mup-lr-transfer.ids"),
    (("gpu",), "mup-lr-transfer.gpu.ids"),
])
def test_the_demo_specs_run_ids_do_not_move(profiles, pinned):
    plan = compile_spec(REPO / "specs" / "mup-lr-transfer.yaml", profiles=profiles).plan
    expected = (PINNED / pinned).read_text().split()
    assert sorted(run.id for run in plan.runs) == expected
