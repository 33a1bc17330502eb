"""`claimlab plan SPEC`: each run's status from the results, its cost, and the totals; the
parameter count agrees with the model the runtime builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claimlab.main import main
from compiler import compile_spec
from compiler.planning.estimate import run_cost
from runtime.config.run import RunConfig

SPEC = """\
name: costs
base:
  model: {width: 64, head_dim: 16, depth: 2, seq_len: 32}
  data: {batch_size: 4}
  budget: {steps: 100}
sweep:
  grid: {model.width: [32, 64]}
  seeds: [0, 1]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "spec.yaml").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def finish(project: Path, run_id: str, status: str) -> None:
    run_dir = project / "results" / "runs" / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "summary.json").write_text(json.dumps({"id": run_id, "status": status}))


def test_plan_lists_status_values_and_cost_with_totals(project, capsys):
    runs = compile_spec("spec.yaml").plan.runs
    finish(project, runs[0].id, "completed")
    finish(project, runs[1].id, "diverged")
    finish(project, runs[2].id, "failed")
    (project / "results" / "runs" / runs[3].id).mkdir()     # started, never finished
    assert main(["plan", "spec.yaml", "--format", "json", "--utilisation", "0.5"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in plan["runs"]] == ["completed", "diverged", "failed", "to run"]
    tokens = 100 * 4 * 32
    params = {32: 2 * (12 * 32 * 32 + 4 * 32) + 2 * 32 + 32 * 256,
              64: 2 * (12 * 64 * 64 + 4 * 64) + 2 * 64 + 64 * 256}
    for row in plan["runs"]:
        assert row["params"] == params[row["overrides"]["model.width"]]
        assert (row["tokens"], row["flops"]) == (tokens, 6 * row["params"] * tokens)
    flops = sum(6 * params[w] * tokens for w in (32, 32, 64, 64))
    assert plan["totals"]["flops"] == flops
    assert plan["totals"]["gpu_hours"] == pytest.approx(flops / (989e12 * 0.5) / 3600)


def test_plan_as_text_states_the_utilisation(project, capsys):
    assert main(["plan", "spec.yaml", "--peak-tflops", "100", "--utilisation", "0.25"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "costs: 4 runs"
    assert out[1].split() == ["id", "status", "model.width", "seed", "params", "tokens",
                              "FLOPs"]
    assert out[-2] == "0 completed, 0 diverged, 0 failed, 4 to run."
    assert "GPU-hours at 25% of 100 TFLOP/s per GPU" in out[-1]


@pytest.mark.parametrize("model", [
    {"width": 32, "head_dim": 16, "depth": 1},
    {"width": 96, "head_dim": 32, "depth": 3, "mlp_ratio": 2, "seq_len": 48},
])
def test_the_parameter_count_is_the_models_without_embeddings(model):
    from runtime.model.gpt import GPT
    config = RunConfig.model_validate({"model": model})
    gpt = GPT(config.model, config.parametrization)
    roles = gpt.roles()
    counted = sum(p.numel() for name, p in gpt.named_parameters() if roles[name] != "embedding")
    assert run_cost(config).params == counted


@pytest.mark.parametrize("command", ["compile", "plan", "validate", "schema"])
def test_each_command_of_the_spec_language_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: claimlab {command}")
