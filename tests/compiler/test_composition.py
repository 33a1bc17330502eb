"""Composition: `extends` fragments, `profiles` and `--set`, merged the way the spec language
says (later wins, lists replace, null removes), and invisible in run ids."""

from pathlib import Path
from textwrap import dedent

import pytest

from compiler import SpecError, compile_spec

FRAGMENT = """\
base:
  model: {width: 64, head_dim: 16, depth: 2}
  optimizer: {lr: 3.0e-3, betas: [0.9, 0.95]}
  budget: {steps: 20}
sweep:
  grid: {model.width: [32, 64], optimizer.lr: [0.1, 0.01]}
profiles:
  gpu:
    base: {budget: {steps: 1000}}
    sweep: {grid: {model.width: [256, 512, 1024]}}
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(dedent(text))


def swept(compiled, *paths):
    return sorted(tuple(run.overrides.get(p) for p in paths) for run in compiled.plan.runs)


def test_extends_merges_deeply_later_wins_lists_replace_null_removes(tmp_path):
    write(tmp_path, {"base/tiny.yaml": FRAGMENT, "spec.yaml": """\
        extends: base/tiny.yaml
        name: composed
        base:
          optimizer: {betas: [0.8, 0.9]}
        sweep:
          grid:
            optimizer.lr: null
            model.depth: [1, 3]
        """})
    compiled = compile_spec(tmp_path / "spec.yaml")
    run = compiled.plan.runs[0]
    assert run.config.optimizer.lr == 3.0e-3          # from the fragment
    assert run.config.optimizer.betas == (0.8, 0.9)   # the spec's list replaced the fragment's
    assert run.config.budget.steps == 20
    assert swept(compiled, "model.width", "model.depth") == \
        [(32, 1), (32, 3), (64, 1), (64, 3)]           # the lr axis was removed
    assert compiled.profiles == ("gpu",)


def test_fragments_apply_in_order_each_after_its_own_fragments(tmp_path):
    write(tmp_path, {
        "frags/a.yaml": "extends: inner.yaml\nbase: {budget: {steps: 10}}\n",
        "frags/inner.yaml": "base: {budget: {steps: 5}, eval: {every: 5}}\n",
        "frags/b.yaml": "base: {budget: {steps: 30}}\n",
        "spec.yaml": "extends: [frags/a.yaml, frags/b.yaml]\nname: ordered\n",
    })
    (run,) = compile_spec(tmp_path / "spec.yaml").plan.runs
    assert (run.config.budget.steps, run.config.eval.every) == (30, 5)


def test_a_profile_overlays_the_spec_and_profiles_apply_in_order(tmp_path):
    write(tmp_path, {"base/tiny.yaml": FRAGMENT, "spec.yaml": """\
        extends: base/tiny.yaml
        name: scaled
        profiles:
          long: {base: {budget: {steps: 5000}}}
        """})
    gpu = compile_spec(tmp_path / "spec.yaml", profiles=["gpu"])
    assert swept(gpu, "model.width") == [(256,), (256,), (512,), (512,), (1024,), (1024,)]
    assert {run.config.budget.steps for run in gpu.plan.runs} == {1000}
    both = compile_spec(tmp_path / "spec.yaml", profiles=["gpu", "long"])
    assert {run.config.budget.steps for run in both.plan.runs} == {5000}
    assert both.plan.profiles == ("gpu", "long")


def test_set_overrides_any_field_as_yaml_after_the_profiles(tmp_path):
    write(tmp_path, {"base/tiny.yaml": FRAGMENT, "spec.yaml": """\
        extends: base/tiny.yaml
        name: overridden
        claims:
          - id: optimum
            statement: s
            check: {kind: argmin_stable, metric: final.val_loss, over: optimizer.lr,
                    across: model.width, where: {parametrization.kind: mup}}
        """})
    compiled = compile_spec(tmp_path / "spec.yaml", profiles=["gpu"], sets=[
        "base.budget.steps=7",
        "sweep.grid.model.width=[128]",
        "sweep.grid.optimizer.lr={logspace: [1.0e-3, 1.0e-1, 3]}",
        "sweep.seeds=[0, 1]",
        "claims[0].check.where.parametrization.kind=sp",
        "sweep.grid.model.depth=",
    ])
    assert {run.config.budget.steps for run in compiled.plan.runs} == {7}
    assert swept(compiled, "model.width", "optimizer.lr", "seed") == [
        (128, lr, seed) for lr in (0.001, 0.01, 0.1) for seed in (0, 1)]
    assert compiled.spec.claims[0].check.where == {"parametrization.kind": "sp"}


def test_composition_does_not_change_run_ids(tmp_path):
    """The same runs written inline, through a fragment, or reached by a profile or --set
    are the same runs."""
    write(tmp_path, {"base/tiny.yaml": FRAGMENT,
                     "fragment.yaml": "extends: base/tiny.yaml\nname: via-fragment\n",
                     "inline.yaml": """\
        name: inline
        base:
          model: {width: 64, head_dim: 16, depth: 2}
          optimizer: {lr: 3.0e-3, betas: [0.9, 0.95]}
          budget: {steps: 1000}
        sweep:
          grid: {model.width: [256, 512, 1024], optimizer.lr: [0.1, 0.01]}
        """})
    inline = compile_spec(tmp_path / "inline.yaml")
    via_profile = compile_spec(tmp_path / "fragment.yaml", profiles=["gpu"])
    via_set = compile_spec(tmp_path / "fragment.yaml", sets=[
        "base.budget.steps=1000", "sweep.grid.model.width=[256, 512, 1024]"])
    ids = [run.id for run in inline.plan.runs]
    assert ids == [run.id for run in via_profile.plan.runs] == [r.id for r in via_set.plan.runs]


def test_unselected_profiles_are_checked_and_errors_of_all_files_come_together(tmp_path):
    write(tmp_path, {"base/tiny.yaml": FRAGMENT.replace("steps: 20", "steps: -1"),
                     "spec.yaml": """\
        extends: base/tiny.yaml
        name: broken
        profiles:
          cpu: {base: {model: {widht: 8}}}
        """})
    with pytest.raises(SpecError) as caught:
        compile_spec(tmp_path / "spec.yaml")
    assert [str(p.location) for p in caught.value.problems] == [
        f"{tmp_path / 'base/tiny.yaml'}:4:19", f"{tmp_path / 'spec.yaml'}:4:24"]
