"""A run's id is its resolved config: how the spec is written does not change it, what it
says does; and the compiled plan is byte-for-byte reproducible."""

import os
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

from compiler import compile_spec
from launch import write_plan

SPEC = """\
name: lr-sweep
base:
  model: {width: 64, head_dim: 16}
  optimizer: {lr: 3.0e-3, weight_decay: 0.1}
  schedule: {kind: cosine, warmup: 0.1}
sweep:
  grid:
    optimizer.lr: {logspace: [1.0e-3, 1.0e-2, 3]}
    model.width: [32, 64]
  seeds: [0, 1]
"""

# The same spec: keys reordered at every level, flow and block styles swapped, comments,
# another name, numbers spelled differently.
SAME_RUNS = """\
# Written the other way round.
sweep:
  seeds: [0, 1]
  grid:
    model.width: [32, 64]       # widths first this time
    optimizer.lr:
      logspace: [0.001, 0.01, 3]
base:
  schedule: {warmup: 0.1, kind: cosine}
  optimizer:
    weight_decay: 0.10
    lr: 0.003
  model: {head_dim: 16, width: 64}
name: lr-sweep-renamed
"""


def compile_text(tmp_path, text, name="spec.yaml"):
    path = tmp_path / name
    path.write_text(dedent(text))
    return compile_spec(path)


def ids(compiled):
    return [run.id for run in compiled.plan.runs]


def test_ids_ignore_key_order_comments_style_and_name(tmp_path):
    first = compile_text(tmp_path, SPEC, "a.yaml")
    second = compile_text(tmp_path, SAME_RUNS, "b.yaml")
    assert len(ids(first)) == 12
    assert ids(first) == ids(second)
    assert [r.overrides for r in first.plan.runs] == [r.overrides for r in second.plan.runs]


def test_a_value_that_changes_the_result_changes_the_id(tmp_path):
    before = compile_text(tmp_path, "name: one\nbase: {optimizer: {lr: 3.0e-3}}\n", "a.yaml")
    after = compile_text(tmp_path, "name: one\nbase: {optimizer: {lr: 3.1e-3}}\n", "b.yaml")
    assert ids(before) != ids(after)
    # A value the sweep overrides everywhere does not matter.
    swept = "name: one\nbase: {optimizer: {lr: LR}}\nsweep: {grid: {optimizer.lr: [0.1]}}\n"
    assert ids(compile_text(tmp_path, swept.replace("LR", "0.5"), "c.yaml")) == \
        ids(compile_text(tmp_path, swept.replace("LR", "0.7"), "d.yaml"))


def test_written_defaults_are_the_same_run(tmp_path):
    implicit = compile_text(tmp_path, "name: one\n", "a.yaml")
    explicit = compile_text(tmp_path, "name: one\nbase: {model: {width: 128, depth: 2}}\n",
                            "b.yaml")
    assert ids(implicit) == ids(explicit)


def test_plan_json_is_byte_identical_across_compiles(tmp_path):
    (tmp_path / "spec.yaml").write_text(SPEC)
    write_plan(compile_spec(tmp_path / "spec.yaml").plan, tmp_path / "first")
    write_plan(compile_spec(tmp_path / "spec.yaml").plan, tmp_path / "second")
    for name in ("plan.json", "launch.sh"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()
    first_jobs = sorted(p.name for p in (tmp_path / "first" / "jobs").iterdir())
    assert first_jobs == sorted(p.name for p in (tmp_path / "second" / "jobs").iterdir())


def test_plan_json_is_the_same_in_another_process(tmp_path):
    (tmp_path / "spec.yaml").write_text(SPEC)
    root = Path(__file__).resolve().parents[2]
    script = ("import sys; from compiler import compile_spec; from launch import write_plan; "
              "write_plan(compile_spec(sys.argv[1]).plan, sys.argv[2])")
    for out, hash_seed in (("first", "1"), ("second", "2")):
        subprocess.run([sys.executable, "-c", script, tmp_path / "spec.yaml", tmp_path / out],
                       cwd=root, env={**os.environ, "PYTHONHASHSEED": hash_seed}, check=True)
    assert (tmp_path / "first" / "plan.json").read_bytes() == \
        (tmp_path / "second" / "plan.json").read_bytes()
