"""Budgets in tokens and in tokens per parameter (the steps derived, so batch size can be
swept at a fixed token budget), and full-batch training on one fixed set of sequences."""

import json
import math

import pytest
import yaml
from pydantic import ValidationError

from compiler import SpecError, compile_spec
from runtime.config.run import RunConfig
from runtime.model.gpt import GPT
from runtime.train import train


def write(tmp_path, spec: dict):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_batch_size_sweeps_at_a_fixed_token_budget(tmp_path):
    spec = write(tmp_path, {
        "name": "tokens",
        "base": {"model": {"width": 32, "head_dim": 16, "seq_len": 64},
                 "budget": {"tokens": 1_000_000}},
        "sweep": {"grid": {"data.batch_size": [8, 16, 32]}},
    })
    runs = sorted(compile_spec(spec).plan.runs, key=lambda run: run.config.data.batch_size)
    assert [run.config.budget.steps for run in runs] == [1953, 977, 488]  # half up
    for run in runs:
        trained = run.config.budget.steps * run.config.data.batch_size * 64
        assert abs(trained - 1_000_000) <= run.config.data.batch_size * 64 / 2
        # The same run as writing the steps out: the token count is how they were reached.
        by_steps = RunConfig.model_validate({**run.config.model_dump(exclude={"budget"}),
                                             "budget": {"steps": run.config.budget.steps}})
        assert by_steps.run_id() == run.id


def test_tokens_per_parameter_counts_every_parameter():
    config = RunConfig.model_validate({"model": {"width": 64, "head_dim": 16},
                                       "data": {"batch_size": 8},
                                       "budget": {"tokens_per_param": 20}})
    # Every parameter of the model trained, embeddings included (Chinchilla's count).
    n = sum(p.numel() for p in GPT(config.model, config.parametrization).parameters())
    assert config.budget.steps == math.floor(20 * n / (8 * config.model.seq_len) + 0.5)
    wider = RunConfig.model_validate({"model": {"width": 128, "head_dim": 16},
                                      "data": {"batch_size": 8},
                                      "budget": {"tokens_per_param": 20}})
    assert wider.budget.steps > 2 * config.budget.steps


def test_a_run_trains_the_tokens_its_budget_names(tiny, tmp_path):
    config = RunConfig.model_validate({**tiny().model_dump(exclude={"budget"}),
                                       "budget": {"tokens": 8 * 32 * 12}})
    summary = train(config, tmp_path)
    assert (summary["steps"], summary["tokens"]) == (12, 8 * 32 * 12)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["budget"] == {"steps": 12, "tokens": 8 * 32 * 12, "tokens_per_param": None}
    assert RunConfig.model_validate(saved).run_id() == config.run_id()


def test_steps_that_disagree_with_the_token_budget_are_an_error_at_the_budget(tmp_path):
    spec = write(tmp_path, {"name": "both", "base": {"data": {"batch_size": 8},
                                                     "budget": {"steps": 100,
                                                                "tokens": 1_000_000}}})
    with pytest.raises(SpecError) as caught:
        compile_spec(spec)
    (problem,) = caught.value.problems
    assert problem.path == ("base", "budget")
    assert "steps (100) and tokens (1,000,000 tokens: 977 steps of 1,024) disagree" in str(
        problem.message)
    assert "`steps: null`" in problem.message
    with pytest.raises(ValidationError, match="give tokens or tokens_per_param, not both"):
        RunConfig.model_validate({"budget": {"tokens": 10**6, "tokens_per_param": 20}})
    with pytest.raises(ValidationError, match="less than one step"):
        RunConfig.model_validate({"budget": {"tokens": 100}})


def test_full_batch_trains_every_step_on_one_fixed_set(tiny, tmp_path):
    frozen = {"kind": "phases", "phases": [{"steps": 1.0, "start": 0.0, "end": 0.0}]}

    def losses(name: str, **data) -> list[float]:
        config = tiny(schedule=frozen, data=data, budget={"steps": 6})
        train(config, tmp_path / name)
        return [json.loads(line)["train_loss"]
                for line in (tmp_path / name / "metrics.jsonl").read_text().splitlines()]

    # With the weights held still, every step of full-batch training sees the same loss:
    # the same sequences; minibatches differ from step to step.
    full = losses("full", full_batch=True)
    assert len(set(full)) == 1
    assert len(set(losses("mini"))) == 6

    config = tiny(data={"full_batch": True}, budget={"steps": 10})
    runs = [train(config, tmp_path / name)["final"] for name in ("a", "b")]
    assert runs[0] == runs[1]   # deterministic
    assert runs[0]["train_loss"] < full[0]   # and it trains


def test_full_batch_takes_one_mix():
    with pytest.raises(ValidationError, match="full_batch trains on one fixed set"):
        RunConfig.model_validate({"data": {
            "full_batch": True,
            "sources": {"a": {"kind": "builtin"}, "b": {"kind": "builtin",
                                                      "name": "stdlib-prose"}},
            "phases": {"one": {"mix": {"a": 1.0}}, "two": {"start": 0.5, "mix": {"b": 1.0}}}}})
