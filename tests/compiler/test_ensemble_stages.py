"""Ensemble stages and stages that start afresh (`at: 0`) in the plan: which runs they make,
what they read, and their mistakes, located."""

import textwrap

import pytest

from compiler import SpecError, compile_spec
from compiler.planning.stages import levels

SPEC = """\
name: ensembles
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 32}
  budget: {steps: 40}
stages:
  - name: train
  - name: ensemble
    ensemble: [0, 1, 2]
sweep:
  grid: {optimizer.lr: [1.0e-3, 3.0e-3]}
  seeds: [0, 1, 2]
"""


def compiled(tmp_path, text: str = SPEC):
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text))
    return compile_spec(path).plan


def test_one_ensemble_per_sweep_point_reads_that_points_members(tmp_path):
    plan = compiled(tmp_path)
    train = [r for r in plan.runs if r.stage == "train"]
    ensembles = [r for r in plan.runs if r.stage == "ensemble"]
    # Every seed's chain makes the same ensemble run: one per learning rate.
    assert len(train) == 6 and len(ensembles) == 2
    for ensemble in ensembles:
        lr = ensemble.config.optimizer.lr
        members = sorted((r for r in train if r.config.optimizer.lr == lr),
                         key=lambda r: r.config.seed)
        assert ensemble.config.ensemble.runs == tuple(r.id for r in members)
        assert ensemble.config.ensemble.step == 40 and ensemble.config.start is None
    assert all(r.config.execution.keep_checkpoints == (40,) for r in train)
    assert [len(level) for level in levels(plan.runs)] == [6, 2]


def test_a_stage_at_0_is_its_parents_config_afresh(tmp_path):
    plan = compiled(tmp_path, "name: again\nbase: {budget: {steps: 40}}\nstages:\n"
                    "  - name: a\n  - name: b\n    at: 0\n    optimizer: {lr: 0.01}\n")
    a, b = (next(r for r in plan.runs if r.stage == s) for s in ("a", "b"))
    assert b.config.start is None and b.config.budget.steps == 40
    assert b.config == a.config.model_copy(update={"optimizer": b.config.optimizer})
    # It reads nothing of its parent's, so it need not wait for it.
    assert b.config.needs() == () and a.config.execution.keep_checkpoints == ()


@pytest.mark.parametrize("stages, expected", [
    ("  - name: ensemble\n    ensemble: [0, 3]\n",
     "spec.yaml:8:15: stages[1].ensemble: its members are the sweep's runs with these seeds, "
     "and the sweep does not run every one of them: list them in sweep.seeds"),
    ("  - name: ensemble\n    ensemble: [0, 0]\n",
     "spec.yaml:8:15: stages[1].ensemble: an ensemble lists a seed more than once"),
    ("  - name: ensemble\n    ensemble: [0, 1]\n    optimizer: {lr: 0.1}\n",
     "spec.yaml:9:16: stages[1].optimizer: an ensemble stage trains nothing: of the "
     "sections, it sets only eval and execution"),
    ("  - name: ensemble\n    ensemble: [0, 1]\n    at: 0\n",
     "stages[1].at: an ensemble evaluates its members' weights at a step after 0"),
    ("  - name: ensemble\n    parent: trian\n    ensemble: [0, 1]\n",
     "spec.yaml:6:3: stages: stage 'ensemble' starts from 'trian', which is not a stage "
     "before it (did you mean 'train'?)"),
    ("  - name: one\n    ensemble: [0, 1]\n  - name: two\n    ensemble: [0, 1]\n",
     "stages[2].parent: stage 'one' is an ensemble; an ensemble's members are runs that "
     "train"),
])
def test_ensemble_mistakes_are_located(tmp_path, stages, expected):
    text = ("name: bad\nbase:\n  budget: {steps: 40}\n  model: {width: 32, depth: 1, "
            "head_dim: 16}\nstages:\n  - name: train\n" + stages + "sweep: {seeds: [0, 1]}\n")
    with pytest.raises(SpecError) as caught:
        compiled(tmp_path, text)
    assert expected in str(caught.value)


def test_a_check_may_read_the_ensembles_loss_only_when_a_stage_is_an_ensemble(tmp_path):
    claim = ("claims:\n  - id: c\n    statement: s\n    check: {kind: monotone, "
             "metric: final.val_loss/ensemble, along: optimizer.lr, "
             "direction: decreasing}\n")
    assert compiled(tmp_path, SPEC + claim).runs
    alone = SPEC.split("stages:")[0] + "sweep:\n  grid: {optimizer.lr: [1.0e-3, 3.0e-3]}\n"
    with pytest.raises(SpecError) as caught:
        compiled(tmp_path, alone + claim)
    assert ("no planned run logs 'final.val_loss/ensemble': it is measured only when a stage "
            "is an ensemble (`ensemble: [seeds]`)") in str(caught.value)
