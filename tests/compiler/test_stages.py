"""The spec's `stages`: dependent runs, each starting from a checkpoint of another."""

import json
import textwrap

import pytest

from compiler import SpecError, compile_spec
from launch import write_plan

SPEC = """\
name: continual
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 32}
  schedule: {kind: constant, warmup: 10}
  budget: {steps: 100}
stages:
  - name: pretrain
  - name: update
    schedule: {kind: cosine, warmup: 5, floor: 0.1}
    budget: {steps: 50}
  - name: decay
    parent: pretrain
    at: 60
    schedule: {kind: linear}
    budget: {steps: 20}
sweep:
  grid:
    optimizer.lr: [1.0e-3, 3.0e-3]
    stages.update.optimizer.lr: [1.0e-4, 3.0e-4]
"""


def compiled(tmp_path, text: str = SPEC):
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text))
    return compile_spec(path)


def test_every_sweep_run_becomes_a_chain_sharing_what_its_values_do_not_touch(tmp_path):
    plan = compiled(tmp_path).plan
    by_stage = {stage: [r for r in plan.runs if r.stage == stage]
                for stage in ("pretrain", "update", "decay")}
    # The update's LR reaches only the update runs: 2 pretrain and 2 decay runs, 4 updates.
    assert {stage: len(runs) for stage, runs in by_stage.items()} == \
        {"pretrain": 2, "update": 4, "decay": 2}
    ids = {r.id for r in plan.runs}
    for run in by_stage["update"]:
        parent = next(p for p in by_stage["pretrain"] if p.id == run.config.start.run)
        assert run.config.start.step == 100  # where its parent ends
        assert run.config.optimizer.lr == run.overrides["stages.update.optimizer.lr"]
        assert run.config.schedule.kind == "cosine" and run.config.budget.steps == 50
        assert parent.config.optimizer.lr == run.overrides["optimizer.lr"]
    for run in by_stage["decay"]:
        assert run.config.start.run in ids and run.config.start.step == 60
        assert "stages.update.optimizer.lr" not in run.overrides
        # A schedule of another kind replaces the parent's whole: no warmup carried over.
        assert run.config.schedule.kind == "linear" and run.config.schedule.warmup == 0
        assert run.config.model == by_stage["pretrain"][0].config.model
    for run in by_stage["pretrain"]:
        assert set(run.overrides) == {"optimizer.lr", "seed"}
        assert run.config.execution.keep_checkpoints == (60, 100)


def test_parents_come_first_and_the_plan_says_each_runs_stage(tmp_path):
    plan = compiled(tmp_path).plan
    stages = [run.stage for run in plan.runs]
    assert stages[:2] == ["pretrain"] * 2 and set(stages[2:]) == {"update", "decay"}
    write_plan(plan, tmp_path / "out")
    written = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert [r["stage"] for r in written["runs"]] == stages
    launch = (tmp_path / "out" / "launch.sh").read_text()
    for run in plan.runs:
        if run.config.start:
            assert launch.index(run.config.start.run) < launch.index(f"jobs/{run.id}.json")


def test_a_stage_runs_identity_follows_its_parent(tmp_path):
    first = compiled(tmp_path).plan
    changed = compiled(tmp_path, SPEC.replace("warmup: 10", "warmup: 20")).plan
    def updates(plan):
        return {r.id for r in plan.runs if r.stage == "update"}
    assert updates(first).isdisjoint(updates(changed))
    # Keeping checkpoints does not change what a run computes, so not its id either.
    pretrain = [r for r in first.runs if r.stage == "pretrain"]
    alone = compiled(tmp_path, SPEC.split("stages:")[0] + "sweep:\n  grid:\n"
                     "    optimizer.lr: [1.0e-3, 3.0e-3]\n").plan
    assert {r.id for r in pretrain} == {r.id for r in alone.runs}


@pytest.mark.parametrize("stages, sweep, expected", [
    ("  - name: a\n  - name: b\n    at: 500\n", "",
     "spec.yaml:8:9: stages[1].at: stage 'a' ends at step 100, before 500"),
    ("  - name: a\n  - name: b\n    model: {width: 64}\n", "",
     "spec.yaml:8:5: stages[1].model: unknown key 'model'"),
    ("  - name: a\n  - name: b\n    parent: c\n", "",
     "stage 'b' starts from 'c', which is not a stage before it"),
    ("  - name: a\n    at: 5\n", "",
     "the first stage ('a') starts from scratch; it takes no `parent` or `at`"),
    ("  - name: a\n  - name: a\n", "", "two stages are named 'a'"),
    ("  - name: a\n  - name: b\n    optimizer: {kind: sgd}\n", "",
     ("spec.yaml:8:23: stages[1].optimizer.kind: cannot carry adamw optimizer state over to "
      "sgd; set optimizer_state: false")),
    ("  - name: a\n  - name: b\n", "sweep:\n  grid:\n    stages.c.at: [5]\n",
     "spec.yaml:10:5: sweep.grid.stages.c.at: no stage is named 'c' (stages: a, b)"),
    ("  - name: a\n  - name: b\n", "sweep:\n  grid:\n    stages.b.seed: [5]\n",
     "found 'seed' in 'stages.b.seed'"),
    ("  - name: a\n  - name: b\n", "sweep:\n  grid:\n    stages.b.budget.stesp: [5]\n",
     "did you mean 'budget.steps'?"),
])
def test_stage_mistakes_are_located(tmp_path, stages, sweep, expected):
    text = ("name: bad\nbase:\n  budget: {steps: 100}\n"
            "  model: {width: 32, depth: 1, head_dim: 16}\nstages:\n" + stages + sweep)
    with pytest.raises(SpecError) as caught:
        compiled(tmp_path, text)
    assert expected in str(caught.value)


def test_a_stage_may_drop_the_optimizer_state_to_change_optimizer(tmp_path):
    plan = compiled(tmp_path, "name: ok\nbase: {budget: {steps: 10}}\nstages:\n"
                              "  - name: a\n  - name: b\n    optimizer_state: false\n"
                              "    optimizer: {kind: lion}\n").plan
    child = next(r for r in plan.runs if r.stage == "b")
    assert child.config.optimizer.kind == "lion" and not child.config.start.optimizer_state


SWEPT_PARENT = """\
name: swept-parent
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 32}
  schedule: {kind: constant, warmup: 10}
  budget: {steps: 100}
stages:
  - name: pretrain
  - name: update
    budget: {steps: 50}
  - name: decay
    parent: pretrain
    schedule: {kind: linear}
    budget: {steps: 20}
sweep:
  grid:
    stages.update.optimizer.lr: [1.0e-4, 3.0e-4]
    stages.decay.parent: [pretrain, update]
"""


def test_a_swept_parent_gives_each_run_the_overrides_of_the_stages_it_starts_from(tmp_path):
    plan = compiled(tmp_path, SWEPT_PARENT).plan
    by_id = {run.id: run for run in plan.runs}
    decays = [run for run in plan.runs if run.stage == "decay"]
    # From pretrain: one run whatever the update's LR; from each update: one run per LR.
    assert len(decays) == 3
    for run in decays:
        parent = by_id[run.config.start.run]
        assert parent.stage == run.overrides["stages.decay.parent"]
        # A run lists what reaches it through its parent, and nothing that does not.
        assert {key: value for key, value in run.overrides.items()
                if key != "stages.decay.parent"} == parent.overrides
    # So runs that differ say how: no two decay runs have the same overrides.
    assert len({tuple(sorted(run.overrides.items())) for run in decays}) == 3


@pytest.mark.parametrize("parent, hint", [("nope", ""), ("decay", ""),
                                          ("updat", " (did you mean 'update'?)")])
def test_a_swept_parent_that_is_not_a_stage_before_is_located(tmp_path, parent, hint):
    text = SWEPT_PARENT.replace("[pretrain, update]", f"[pretrain, {parent}]")
    with pytest.raises(SpecError) as caught:
        compiled(tmp_path, text)
    assert str(caught.value).endswith(
        f"spec.yaml:17:37: sweep.grid.stages.decay.parent[1]: stage 'decay' starts from "
        f"'{parent}', which is not a stage before it{hint}")
