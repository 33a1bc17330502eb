"""Sweep expansion: which runs a spec plans, and what each run's overrides say."""

import itertools
from textwrap import dedent

import pytest

from compiler import SpecError, compile_spec
from compiler.language.ranges import Range

DEMO = """\
name: mup-lr-transfer
paper: {title: "Tensor Programs V", url: "https://arxiv.org/abs/2203.03466"}
base:
  model: {width: 64, depth: 2, head_dim: 16, seq_len: 64}
  parametrization: {kind: mup, base_width: 32}
  optimizer: {lr: 3.0e-3}
  schedule: {kind: wsd, warmup: 0.1, decay: 0.2}
  data: {batch_size: 16}
  budget: {steps: 200}
  eval: {every: 50, batches: 4}
sweep:
  grid:
    model.width: [32, 64, 128]
    optimizer.lr: {logspace: [1.0e-3, 1.0e-1, 5]}
    parametrization.kind: [sp, mup]
  seeds: [0]
claims:
  - id: optimum-stable-under-mup
    statement: "Under muP the loss-minimising learning rate does not move with width."
    check: {kind: argmin_stable, metric: final.val_loss, over: optimizer.lr,
            across: model.width, where: {parametrization.kind: mup}, tolerance: 0.5}
"""

LRS = [0.001, 0.00316227766017, 0.01, 0.0316227766017, 0.1]


def compile_text(tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_text(dedent(text))
    return compile_spec(path)


def test_grid_is_the_cartesian_product(tmp_path):
    plan = compile_text(tmp_path, DEMO).plan
    assert len(plan.runs) == 30
    combos = {(r.overrides["model.width"], r.overrides["optimizer.lr"],
               r.overrides["parametrization.kind"]) for r in plan.runs}
    assert combos == set(itertools.product([32, 64, 128], LRS, ["sp", "mup"]))
    for run in plan.runs:
        assert set(run.overrides) == {"model.width", "optimizer.lr", "parametrization.kind", "seed"}
        assert run.config.model.width == run.overrides["model.width"]
        assert run.config.optimizer.lr == run.overrides["optimizer.lr"]
        # What the sweep does not touch comes from base.
        assert run.config.model.head_dim == 16
        assert run.config.schedule.kind == "wsd"


def test_runs_are_sorted_by_id(tmp_path):
    ids = [run.id for run in compile_text(tmp_path, DEMO).plan.runs]
    assert ids == sorted(ids)
    assert ids == [run.config.run_id() for run in compile_text(tmp_path, DEMO).plan.runs]


def test_logspace_values_are_round_numbers():
    assert Range(logspace=(1e-3, 1e-1, 5)).values() == LRS
    assert Range(logspace=(1e-4, 1e-1, 4)).values() == [0.0001, 0.001, 0.01, 0.1]
    assert Range(logspace=(0.5, 0.5, 1)).values() == [0.5]
    assert Range(logspace=(1.0, 1e-2, 3)).values() == [1.0, 0.1, 0.01]


def test_seeds_multiply_the_runs(tmp_path):
    plan = compile_text(tmp_path, """\
        name: seeds
        sweep:
          grid: {model.depth: [1, 2]}
          seeds: [0, 1, 2]
        """).plan
    assert sorted((r.config.model.depth, r.config.seed) for r in plan.runs) == \
        sorted(itertools.product([1, 2], [0, 1, 2]))
    assert all(r.overrides["seed"] == r.config.seed for r in plan.runs)


def test_no_sweep_is_one_run_of_base(tmp_path):
    plan = compile_text(tmp_path, "name: single\nbase: {budget: {steps: 10}}\n").plan
    (run,) = plan.runs
    assert run.overrides == {"seed": 0}
    assert run.config.budget.steps == 10


def test_a_swept_section_replaces_the_base_section(tmp_path):
    plan = compile_text(tmp_path, """\
        name: schedules
        base:
          schedule: {kind: wsd, warmup: 10, decay: 0.1}
        sweep:
          grid:
            schedule: [{kind: cosine}, {kind: wsd, decay: 0.3}]
        """).plan
    schedules = sorted((r.config.schedule.kind, getattr(r.config.schedule, "decay", None),
                        r.config.schedule.warmup) for r in plan.runs)
    assert schedules == [("cosine", None, 0), ("wsd", 0.3, 0)]
    cosine = next(r for r in plan.runs if r.config.schedule.kind == "cosine")
    assert cosine.overrides["schedule"] == cosine.config.schedule.model_dump(mode="json")


def test_keys_inside_a_swept_section_apply_after_it(tmp_path):
    plan = compile_text(tmp_path, """\
        name: nested
        sweep:
          grid:
            model.depth: [1, 3]
            model: [{width: 32, head_dim: 16}]
        """).plan
    shapes = sorted((r.config.model.width, r.config.model.depth) for r in plan.runs)
    assert shapes == [(32, 1), (32, 3)]


def test_a_key_of_a_dict_field_can_be_swept(tmp_path):
    plan = compile_text(tmp_path, """\
        name: mix
        sweep:
          grid: {data.mix.code: [0.5, 1]}
        """).plan
    assert sorted(r.overrides["data.mix.code"] for r in plan.runs) == [0.5, 1.0]


def test_runs_that_come_out_the_same_are_one_run(tmp_path):
    plan = compile_text(tmp_path, """\
        name: duplicates
        sweep:
          grid: {optimizer.lr: [0.001, 1.0e-3, 1e-3], model.depth: [2, 2.0]}
        """).plan
    (run,) = plan.runs
    # Overrides say what the run uses: the validated values.
    assert run.overrides == {"optimizer.lr": 0.001, "model.depth": 2, "seed": 0}


def test_a_sweep_too_large_to_run_is_an_error(tmp_path):
    with pytest.raises(SpecError) as caught:
        compile_text(tmp_path, """\
            name: huge
            sweep:
              grid:
                optimizer.lr: {logspace: [1.0e-4, 1.0, 1000]}
                optimizer.weight_decay: {logspace: [1.0e-4, 1.0, 1000]}
            """)
    assert str(caught.value) == (f"{tmp_path / 'spec.yaml'}:3:3: sweep: makes 1000000 runs, "
                                 "more than the 100000 one spec may plan")
