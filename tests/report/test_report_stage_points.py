"""Decay branches of one stable run per seed name a different parent for each seed, yet each
branch setting is one config whose seeds average: a comparison measures their seed-to-seed
noise instead of taking each seed for a config of its own."""

import textwrap

import pytest
from report_synthetic import write_run

from compiler import compile_spec
from report.checks import run_check
from report.table import Curves, runs_table

SPEC = """\
name: branches
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 32}
  schedule: {kind: constant, warmup: 10}
  budget: {steps: 100}
  eval: {every: 10}
stages:
  - name: stable
  - name: decay
    at: 90
    schedule: {kind: linear}
    budget: {steps: 10}
sweep:
  zip:
    - stages.decay.at: [90, 80]
      stages.decay.budget.steps: [10, 20]
  seeds: [0, 1, 2]
claims:
  - id: longer-decay-is-lower
    statement: The 20-step decay ends below the 10-step one.
    check:
      kind: ordering
      metric: final.val_loss
      lower: {schedule.kind: linear, budget.steps: 20}
      higher: {schedule.kind: linear, budget.steps: 10}
"""


def loss(config) -> float:
    """2 - 0.001 * decay steps, each seed off by its own amount (the same in both branches)."""
    decay = config.budget.steps if config.schedule.kind == "linear" else 0
    return 2.0 - 0.001 * decay + 0.002 * config.seed


def check(tmp_path, text: str):
    spec = tmp_path / "branches.yaml"
    spec.write_text(textwrap.dedent(text))
    compiled = compile_spec(spec)
    for run in compiled.plan.runs:
        write_run(tmp_path / "results", run, loss(run.config))
    table = runs_table(compiled.plan, tmp_path / "results")
    return run_check(compiled.spec.claims[0].check, table, Curves(tmp_path / "results"))


def gaps(result) -> list[str]:
    return [key for key in result.numbers if key.startswith("gap at")]


def test_branches_of_one_stable_run_per_seed_are_one_config(tmp_path):
    result = check(tmp_path, SPEC)
    assert gaps(result) == ["gap at all runs"]
    assert result.numbers["gap at all runs"] == pytest.approx(0.01)
    assert result.numbers["seed-to-seed noise (std)"] == pytest.approx(0.002)
    assert result.verdict == "supported"


def test_branches_of_parents_that_differ_by_more_than_the_seed_stay_apart(tmp_path):
    # Two stable runs per seed, with warmups the branches' own schedules do not show: the
    # branches of different parents are never taken for seeds of one config.
    result = check(tmp_path, SPEC.replace(
        "  seeds:", "  grid:\n    stages.stable.schedule.warmup: [10, 20]\n  seeds:"))
    assert result.numbers["runs"] == 12
    assert len(gaps(result)) == 6
    assert all(key.startswith("gap at start.run=") for key in gaps(result))


def test_branches_of_parents_with_settings_they_inherit_pair_on_those(tmp_path):
    result = check(tmp_path, SPEC.replace(
        "  seeds:", "  grid:\n    stages.stable.optimizer.lr: [1.0e-3, 3.0e-3]\n  seeds:"))
    assert gaps(result) == ["gap at optimizer.lr=0.001", "gap at optimizer.lr=0.003"]
    assert result.numbers["seed-to-seed noise (std)"] == pytest.approx(0.002)


REFINED = """\
name: refined
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 32}
  schedule: {kind: linear}
  budget: {steps: 100}
  eval: {every: 10}
stages:
  - name: pilot
  - name: refined
    parent: pilot
    at: 0
    schedule: {kind: refined}
sweep:
  grid:
    optimizer.lr: [1.0e-3, 3.0e-3, 1.0e-2]
  seeds: [0, 1]
claims:
  - id: refined-is-lower
    statement: Refined ends below linear, each at its best learning rate.
    check:
      kind: ordering
      metric: final.val_loss
      lower: {schedule.kind: refined}
      higher: {schedule.kind: linear}
      tuned: [optimizer.lr]
"""


def test_runs_refined_from_a_pilot_per_learning_rate_are_tuned_over_it(tmp_path):
    # Each refined run names its own pilot (one per learning rate and seed): tuning still
    # sees one config per learning rate, its two seeds together.
    def bowl(config) -> float:
        refined = config.schedule.kind == "refined"
        return 2.0 + (0.01 * (config.optimizer.lr * 1e3 - 3) ** 2) - 0.05 * refined \
            + 0.002 * config.seed

    spec = tmp_path / "refined.yaml"
    spec.write_text(REFINED)
    compiled = compile_spec(spec)
    for run in compiled.plan.runs:
        write_run(tmp_path / "results", run, bowl(run.config))
    table = runs_table(compiled.plan, tmp_path / "results")
    result = run_check(compiled.spec.claims[0].check, table, Curves(tmp_path / "results"))
    assert result.numbers["best optimizer.lr of lower"] == pytest.approx(3e-3)
    assert result.numbers["best optimizer.lr of higher"] == pytest.approx(3e-3)
    assert gaps(result) == ["gap at all runs"]
    assert result.verdict == "supported"
