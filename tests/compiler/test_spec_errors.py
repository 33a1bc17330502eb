"""Invalid specs: every problem at once, each as `FILE:LINE:COL: path: message`."""

from textwrap import dedent

import pytest

from compiler import SpecError, compile_spec

CASES = {
    "unknown top-level key": ("""\
        name: demo
        claim: []
        """, ["FILE:2:1: claim: unknown key 'claim' (did you mean 'claims'?)"]),
    "unknown nested key, located at the key": ("""\
        name: demo
        base:
          model: {widht: 64}
        """, ["FILE:3:11: base.model.widht: unknown key 'widht' (did you mean 'width'?)"]),
    "unknown key with nothing close lists the known ones": ("""\
        name: demo
        base:
          budget: {tokens: 1000}
        """, ["FILE:3:12: base.budget.tokens: unknown key 'tokens' (known keys: steps)"]),
    "wrong type, located at the value": ("""\
        name: demo
        base:
          optimizer: {lr: abc}
        """, ["FILE:3:19: base.optimizer.lr: expected a number, found 'abc'"]),
    "out of range": ("""\
        name: demo
        base:
          model:
            depth: -1
        """, ["FILE:4:12: base.model.depth: must be > 0, found -1"]),
    "a value failing every member of a union": ("""\
        name: demo
        base:
          schedule: {kind: wsd, warmup: 1.5}
        """, ["FILE:3:33: base.schedule.warmup: expected an integer or a number <= 1, found 1.5"]),
    "bad enum with did-you-mean": ("""\
        name: demo
        base:
          parametrization: {kind: mupp}
        """, ["FILE:3:27: base.parametrization.kind: expected one of 'sp', 'mup', found 'mupp' "
              "(did you mean 'mup'?)"]),
    "missing required key, located at its mapping": ("""\
        name: demo
        paper: {url: "https://example.org"}
        """, ["FILE:2:8: paper: missing required key 'title'"]),
    "model validator, located at the model": ("""\
        name: demo
        base:
          model:
            width: 100
            head_dim: 32
        """, ["FILE:4:5: base.model: width (100) must be a multiple of head_dim (32)"]),
    "unknown sweep key, located at the key": ("""\
        name: demo
        sweep:
          grid:
            model.widht: [32, 64]
        """, ["FILE:4:5: sweep.grid.model.widht: unknown config path 'model.widht' "
              "(did you mean 'model.width'?)"]),
    "unknown sweep key with nothing close lists the section": ("""\
        name: demo
        sweep:
          grid: {budget.tokens: [1]}
        """, ["FILE:3:10: sweep.grid.budget.tokens: unknown config path 'budget.tokens' "
              "(budget has steps)"]),
    "seed belongs to seeds": ("""\
        name: demo
        sweep:
          grid: {seed: [1, 2]}
        """, ["FILE:3:10: sweep.grid.seed: seed is swept by sweep.seeds, not by the grid"]),
    "sweep value of the wrong type, located at the value": ("""\
        name: demo
        sweep:
          grid:
            model.width: [32, wide, 64]
        """, ["FILE:4:23: sweep.grid.model.width[1]: expected an integer, found 'wide'"]),
    "sweep axis that is neither a list nor a range": ("""\
        name: demo
        sweep:
          grid: {model.width: 64}
        """, ["FILE:3:23: sweep.grid.model.width: expected a list of values or "
              "{logspace: [lo, hi, n]}, found 64"]),
    "bad logspace bound, located inside the range": ("""\
        name: demo
        sweep:
          grid: {optimizer.lr: {logspace: [0, 1.0e-1, 5]}}
        """, ["FILE:3:36: sweep.grid.optimizer.lr.logspace[0]: must be > 0, found 0"]),
    "swept value that breaks a model validator, at that value": ("""\
        name: demo
        base:
          model: {width: 64, head_dim: 32}
        sweep:
          grid:
            model.width: [32, 100]
            optimizer.lr: [0.01, 0.1]
          seeds: [0, 1]
        """, ["FILE:6:23: sweep.grid.model.width[1]: width (100) must be a multiple of "
              "head_dim (32)"]),
    "a combination of swept values that breaks a validator names both": ("""\
        name: demo
        base:
          model: {width: 96, head_dim: 32}
        sweep:
          grid:
            model.width: [96, 64]
            model.head_dim: [32, 48]
        """, ["FILE:7:26: sweep.grid.model.head_dim[1]: width (64) must be a multiple of "
              "head_dim (48) (with model.width = 64)"]),
    "swept section with a bad key inside": ("""\
        name: demo
        sweep:
          grid:
            schedule: [{kind: cosine}, {kind: cosine, flor: 0.1}]
        """, ["FILE:4:47: sweep.grid.schedule[1].flor: unknown key 'flor' "
              "(did you mean 'floor'?)"]),
    "swept section of the wrong type, with a key swept inside it": ("""\
        name: demo
        sweep:
          grid:
            model: [3]
            model.width: [32]
        """, ["FILE:4:13: sweep.grid.model[0]: expected a mapping, found 3"]),
    "swept value out of range": ("""\
        name: demo
        sweep:
          grid:
            optimizer.lr: [0.1, -1]
        """, ["FILE:4:25: sweep.grid.optimizer.lr[1]: must be > 0, found -1"]),
    "infinite numbers": ("""\
        name: demo
        base:
          optimizer: {lr: .inf}
        """, ["FILE:3:19: base.optimizer.lr: expected a finite number, found inf"]),
    "duplicate YAML key": ("""\
        name: demo
        base:
          budget: {steps: 10, steps: 20}
        """, ["FILE:3:23: base.budget.steps: duplicate key 'steps' (first given at line 3)"]),
    "python tag": ("""\
        name: demo
        base:
          budget: {steps: !!python/object/apply:os.getpid []}
        """, ["FILE:3:19: base.budget.steps: unsupported YAML tag "
              "'!!python/object/apply:os.getpid': a spec holds only strings, numbers, booleans, "
              "null, lists and mappings"]),
    "YAML syntax error": ("""\
        name: demo
        base:
          model: [width: 64
        """, ["FILE:4:1: invalid YAML: expected ',' or ']', but got '<stream end>' "
              "(while parsing a flow sequence at line 3)"]),
    "bad check path with did-you-mean": ("""\
        name: demo
        claims:
          - id: optimum
            statement: s
            check: {kind: argmin_stable, metric: final.val_loss, over: optimizer.lr,
                    across: model.widht}
        """, ["FILE:6:21: claims[0].check.across: unknown config path 'model.widht' "
              "(did you mean 'model.width'?)"]),
    "bad where key, located at the key": ("""\
        name: demo
        claims:
          - id: optimum
            statement: s
            check:
              kind: argmin_stable
              metric: final.val_loss
              over: optimizer.lr
              across: model.width
              where: {parametrization.knd: mup}
        """, ["FILE:10:15: claims[0].check.where.parametrization.knd: unknown config path "
              "'parametrization.knd' (did you mean 'parametrization.kind'?)"]),
    "metric that is not a final metric": ("""\
        name: demo
        claims:
          - id: optimum
            statement: s
            check: {kind: argmin_stable, metric: val_loss, over: optimizer.lr, across: model.width}
        """, ["FILE:5:42: claims[0].check.metric: expected a final metric like 'final.val_loss', "
              "found 'val_loss'"]),
    "a check over and across the same path": ("""\
        name: demo
        claims:
          - id: optimum
            statement: s
            check: {kind: argmin_stable, metric: final.val_loss, over: seed, across: seed,
                    where: {seed: 0}}
        """, ["FILE:5:12: claims[0].check: over and across must be different config paths, "
              "both are 'seed'"]),
    "unknown check kind": ("""\
        name: demo
        claims:
          - id: optimum
            statement: s
            check: {kind: argmin_stabel, metric: final.val_loss, over: seed, across: model.width}
        """, ["FILE:5:19: claims[0].check.kind: expected one of 'argmin_stable', "
              "found 'argmin_stabel' (did you mean 'argmin_stable'?)"]),
    "duplicate claim id": ("""\
        name: demo
        claims:
          - id: optimum
            statement: first
            check: {kind: argmin_stable, metric: final.val_loss, over: optimizer.lr,
                    across: model.width}
          - id: optimum
            statement: second
            check: {kind: argmin_stable, metric: final.val_loss, over: optimizer.lr,
                    across: model.depth}
        """, ["FILE:7:9: claims[1].id: duplicate claim id 'optimum' (first used by claims[0])"]),
    "bad spec name": ("""\
        name: My Spec
        """, ["FILE:1:7: name: expected lowercase letters, digits, '_', '.' or '-', starting "
              "with a letter or digit, found 'My Spec'"]),
    "not a mapping": ("""\
        - name: demo
        """, ["FILE:1:1: expected a mapping, found [{\"name\": \"demo\"}]"]),
    "every problem at once, in file order": ("""\
        claim: []
        base:
          model: {width: 64, depth: deep}
        sweep:
          grid:
            optimizer.lr: [0.1, -1]
        claims:
          - id: optimum
            statement: s
            check: {kind: argmin_stable, metric: final.val_loss, over: optimizer.lr, across: lr}
        """, [
        "FILE:1:1: missing required key 'name'",
        "FILE:1:1: claim: unknown key 'claim' (did you mean 'claims'?)",
        "FILE:3:29: base.model.depth: expected an integer, found 'deep'",
        "FILE:10:86: claims[0].check.across: unknown config path 'lr' "
        "(did you mean 'optimizer.lr'?)",
    ]),
    "sweep problems are reported with the others": ("""\
        claim: []
        sweep:
          grid:
            optimizer.lr: [0.1, -1]
        claims:
          - id: optimum
            statement: s
            check: {kind: argmin_stable, metric: loss, over: optimizer.lr, across: model.width}
        """, [
        "FILE:1:1: missing required key 'name'",
        "FILE:1:1: claim: unknown key 'claim' (did you mean 'claims'?)",
        "FILE:4:25: sweep.grid.optimizer.lr[1]: must be > 0, found -1",
        "FILE:8:42: claims[0].check.metric: expected a final metric like 'final.val_loss', "
        "found 'loss'",
    ]),
}


@pytest.mark.parametrize("text, expected", CASES.values(), ids=CASES.keys())
def test_invalid_spec_reports_located_problems(tmp_path, text, expected):
    path = tmp_path / "spec.yaml"
    path.write_text(dedent(text))
    with pytest.raises(SpecError) as caught:
        compile_spec(path)
    assert str(caught.value).splitlines() == [line.replace("FILE", str(path)) for line in expected]


def test_problems_are_data_for_tools(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("name: demo\nbase:\n  model: {widht: 64}\n")
    with pytest.raises(SpecError) as caught:
        compile_spec(path)
    (problem,) = caught.value.problems
    assert (problem.location.line, problem.location.column) == (3, 11)
    assert problem.path == ("base", "model", "widht")
    assert problem.at_key


def test_missing_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError) as caught:
        compile_spec(tmp_path / "nope.yaml")
    assert str(caught.value) == f"cannot read {tmp_path / 'nope.yaml'}: No such file or directory"
