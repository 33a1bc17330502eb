"""Every sweep kind: zip, when, ranges, derived values, and duplicates merged with a warning."""

from textwrap import dedent

import pytest

from compiler import compile_spec
from compiler.language.expressions import ExpressionError, parse
from compiler.language.ranges import Range


def compile_text(tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_text(dedent(text))
    return compile_spec(path)


def values(compiled, *paths):
    return sorted(tuple(run.overrides.get(p) for p in paths) for run in compiled.plan.runs)


def test_zip_advances_its_axes_together_and_crosses_the_grid(tmp_path):
    compiled = compile_text(tmp_path, """\
        name: zipped
        sweep:
          grid: {optimizer.lr: [0.1, 0.01]}
          zip:
            - model.width: [32, 64, 128]
              model.head_dim: [8, 16, 32]
        """)
    assert values(compiled, "model.width", "model.head_dim", "optimizer.lr") == [
        (w, h, lr) for w, h in ((32, 8), (64, 16), (128, 32)) for lr in (0.01, 0.1)]


def test_when_gives_matching_runs_their_own_axes(tmp_path):
    """SGD gets its own learning-rate range; AdamW keeps the grid's."""
    compiled = compile_text(tmp_path, """\
        name: optimizers
        sweep:
          grid:
            optimizer: [{kind: adamw}, {kind: sgd}]
            optimizer.lr: [0.001, 0.01]
          when:
            - match: {optimizer.kind: sgd}
              grid:
                optimizer.lr: [0.1, 1.0]
                optimizer.momentum: [0.0, 0.9]
        """)
    runs = sorted((r.config.optimizer.kind, r.config.optimizer.lr,
                   getattr(r.config.optimizer, "momentum", None)) for r in compiled.plan.runs)
    assert runs == [("adamw", 0.001, None), ("adamw", 0.01, None),
                    *(("sgd", lr, m) for lr in (0.1, 1.0) for m in (0.0, 0.9))]
    assert compiled.plan.warnings == ()


def test_when_matches_values_that_come_from_base(tmp_path):
    compiled = compile_text(tmp_path, """\
        name: from-base
        base: {parametrization: {kind: mup}}
        sweep:
          grid: {model.width: [32, 64]}
          when:
            - match: {parametrization.kind: mup, model.width: 64}
              grid: {optimizer.lr: [0.5, 0.05]}
        """)
    assert values(compiled, "model.width", "optimizer.lr") == [
        (32, None), (64, 0.05), (64, 0.5)]


def test_ranges():
    assert Range(linspace=(2, 8, 4)).values() == [2, 4, 6, 8]
    assert Range(linspace=(0.0, 1.0, 5)).values() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert Range(linspace=(0.1, 0.3, 3)).values() == [0.1, 0.2, 0.3]
    assert Range(pow2=(64, 1024)).values() == [64, 128, 256, 512, 1024]
    assert Range(pow2=(1, 1)).values() == [1]
    assert Range(logspace=(1e-4, 1e-1, 4)).values() == [0.0001, 0.001, 0.01, 0.1]


def test_range_axes_plan_their_values(tmp_path):
    compiled = compile_text(tmp_path, """\
        name: ranges
        base: {model: {head_dim: 16}}
        sweep:
          grid:
            model.width: {pow2: [32, 128]}
            model.depth: {linspace: [1, 3, 3]}
        """)
    assert values(compiled, "model.width", "model.depth") == [
        (w, d) for w in (32, 64, 128) for d in (1, 2, 3)]


def test_derived_values_follow_the_run_they_are_in(tmp_path):
    """muP-style: the learning rate scaled by base width over width, from base's lr."""
    compiled = compile_text(tmp_path, """\
        name: derived
        base:
          model: {head_dim: 16}
          optimizer: {lr: 0.01}
          parametrization: {base_width: 64}
        sweep:
          grid: {model.width: [64, 128, 256]}
          derived:
            optimizer.lr: optimizer.lr * parametrization.base_width / model.width
            eval.every: max(1, budget.steps / 10)
        """)
    assert values(compiled, "model.width", "optimizer.lr", "eval.every") == [
        (64, 0.01, 20), (128, 0.005, 20), (256, 0.0025, 20)]


def test_derived_values_may_read_each_other(tmp_path):
    compiled = compile_text(tmp_path, """\
        name: chained
        sweep:
          grid: {model.width: [64, 128]}
          derived:
            model.head_dim: model.width / 4
            model.depth: log2(model.head_dim) - 2
        """)
    assert values(compiled, "model.width", "model.head_dim", "model.depth") == [
        (64, 16, 2), (128, 32, 3)]


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "model.width()", "[1, 2]", "lambda: 1",
    "model.width if 1 else 2", "open('x')", "'a' * 3", "x[0]", "f'{1}'", "1; 2",
])
def test_expressions_run_only_arithmetic(text):
    with pytest.raises(ExpressionError):
        parse(text).evaluate(lambda path: 1.0)


def test_expressions_fail_cleanly_where_arithmetic_does():
    with pytest.raises(ExpressionError, match="overflows"):
        parse("10.0 ** 400").evaluate(lambda path: 0)
    with pytest.raises(ExpressionError, match="not a real number"):
        parse("(-8) ** 0.5").evaluate(lambda path: 0)
    with pytest.raises(ExpressionError, match="model.vocab is 'bytes', not a number"):
        parse("model.vocab * 2").evaluate(lambda path: "bytes")
    with pytest.raises(ExpressionError, match="math domain error"):
        parse("log(0)").evaluate(lambda path: 0)


def test_duplicate_runs_are_merged_and_reported_where_they_were_written(tmp_path):
    compiled = compile_text(tmp_path, """\
        name: duplicates
        sweep:
          grid:
            optimizer.lr: [0.001, 1.0e-3, 0.01]
            model.depth: [1, 2]
          seeds: [0, 1]
        """)
    assert len(compiled.plan.runs) == 2 * 2 * 2
    (warning,) = compiled.plan.warnings
    assert str(warning) == (f"{tmp_path / 'spec.yaml'}:4:27: warning: "
                            "sweep.grid.optimizer.lr[1]: 0.001 makes the same runs as "
                            "sweep.grid.optimizer.lr[0] = 0.001 (4 duplicate runs merged)")
