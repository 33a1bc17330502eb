"""Schedules refined from an earlier run's gradient norms (runtime/optim/refined.py): the
refinement against hand computations, and a spec whose second stage trains afresh on the
schedule refined from its parent's log."""

import json
import math
from pathlib import Path

import pytest
import yaml

from claimlab.main import main
from compiler import SpecError, compile_spec
from launch.job_graph import JobGraph
from launch.local import Job
from runtime.config.run import RunConfig
from runtime.optim.refined import median_filter, refined_multipliers, with_grad_norms
from runtime.optim.schedules import lr_multiplier, phases
from runtime.results import read_summary, run_dir


def test_constant_gradient_norms_refine_to_linear_decay():
    # The paper's worst case: w_t = sum_{s>t} 1 = T - 1 - t, so 1 - t / (T - 1).
    assert refined_multipliers([3.0] * 5, 5, power=2, width=1) == [1.0, 0.75, 0.5, 0.25, 0.0]


def test_refinement_of_a_known_trace_by_hand():
    # g = 4, 2, 1, 1, 2 with p = 2: g^-2 = 1/16, 1/4, 1, 1, 1/4; the sums after each step
    # are 2.5, 2.25, 1.25, 0.25, 0; their products 0.15625, 0.5625, 1.25, 0.25, 0.
    levels = refined_multipliers([4.0, 2.0, 1.0, 1.0, 2.0], 5, power=2, width=1)
    assert levels == pytest.approx([0.125, 0.45, 1.0, 0.2, 0.0], abs=1e-12)
    # p = 1: 1/4, 1/2, 1, 1, 1/2; sums after 3, 2.5, 1.5, 0.5, 0; products 0.75, 1.25, 1.5,
    # 0.5, 0.
    levels = refined_multipliers([4.0, 2.0, 1.0, 1.0, 2.0], 5, power=1, width=1)
    assert levels == pytest.approx([0.5, 1.25 / 1.5, 1.0, 0.5 / 1.5, 0.0], abs=1e-12)
    # Normalised from the warmup's end on: a warmup of 3 steps scales by the largest of
    # 0.25 and 0 instead.
    assert refined_multipliers([4.0, 2.0, 1.0, 1.0, 2.0], 5, power=2, width=1,
                               warmup=3)[3:] == pytest.approx([1.0, 0.0])


def test_the_median_filter_removes_a_spike_and_the_ends_use_what_is_there():
    assert median_filter([1.0, 1.0, 50.0, 1.0, 1.0], 3).tolist() == [1.0] * 5
    assert median_filter([1.0, 5.0, 2.0, 8.0], 3).tolist() == [3.0, 2.0, 5.0, 5.0]


def test_a_trace_of_another_length_is_stretched_over_the_run():
    # Ten steps of norms 2 then ten of 1, refined onto 4 steps: 2, 2, 1, 1.
    stretched = refined_multipliers([2.0] * 10 + [1.0] * 10, 4, power=2, width=1)
    assert stretched == pytest.approx(refined_multipliers([2.0, 2.0, 1.0, 1.0], 4, 2, 1))


def test_the_schedule_warms_up_to_the_refined_levels(tmp_path):
    source = "0123456789ab"
    (tmp_path / source).mkdir()
    norms = [4.0, 2.0, 1.0, 1.0, 2.0, 3.0, 1.0, 2.0]
    with (tmp_path / source / "metrics.jsonl").open("w") as f:
        for step, norm in enumerate(norms, start=1):
            f.write(json.dumps({"step": step, "grad_norm": norm}) + "\n")
    (tmp_path / source / "summary.json").write_text(json.dumps(
        {"id": source, "status": "completed", "steps": 8, "tokens": 0, "final": {}}))
    config = RunConfig.model_validate({"budget": {"steps": 8}, "schedule": {
        "kind": "refined", "run": source, "warmup": 2, "smoothing": 1}})
    schedule = phases(with_grad_norms(config.schedule, tmp_path), 8)
    levels = refined_multipliers(norms, 8, power=2, width=1, warmup=2)
    got = [lr_multiplier(schedule, step) for step in range(8)]
    assert got == pytest.approx([levels[2] / 2, levels[2], *levels[2:]], abs=1e-12)


def test_a_refined_schedule_needs_its_run_finished(tmp_path):
    config = RunConfig.model_validate({"schedule": {"kind": "refined", "run": "0123456789ab"}})
    with pytest.raises(FileNotFoundError, match="run 0123456789ab, which has not finished"):
        with_grad_norms(config.schedule, tmp_path)


SPEC = {
    "name": "refined",
    "base": {"model": {"width": 32, "depth": 1, "head_dim": 16, "seq_len": 32},
             "parametrization": {"base_width": 32}, "optimizer": {"lr": 1e-2},
             "data": {"batch_size": 8}, "budget": {"steps": 30},
             "eval": {"every": 10, "batches": 2},
             "schedule": {"kind": "linear", "warmup": 3}},
    "stages": [{"name": "pilot"},
               {"name": "refined", "at": 0,
                "schedule": {"kind": "refined", "warmup": 3, "smoothing": 5}}],
}


@pytest.mark.slow
def test_a_refined_stage_trains_afresh_on_its_parents_refined_schedule(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "refined.yaml"
    path.write_text(yaml.safe_dump(SPEC))
    plan = compile_spec(path).plan
    pilot, refined = plan.runs   # parents first
    assert (pilot.stage, refined.stage) == ("pilot", "refined")
    assert refined.config.start is None and refined.config.schedule.run == pilot.id
    assert main(["compile", str(path)]) == 0
    jobs = [Job(r.id, Path("build/plans/refined/jobs") / f"{r.id}.json") for r in plan.runs]
    assert JobGraph.of(jobs).parents(refined.id) == {pilot.id}

    assert main(["run", str(path), "--results", "results"]) == 0
    assert read_summary("results", refined.id)["status"] == "completed"

    def log(run_id):
        text = (run_dir("results", run_id) / "metrics.jsonl").read_text()
        return [json.loads(line) for line in text.splitlines()]

    norms = [record["grad_norm"] for record in log(pilot.id)]
    levels = refined_multipliers(norms, 30, power=2, width=5, warmup=3)
    # A linear warmup over 3 steps reaches the refined level of step 3 (0-based) on its
    # last step; the refined levels follow.
    expected = [levels[3] / 3, 2 * levels[3] / 3, levels[3], *levels[3:]]
    lrs = [record["lr"] for record in log(refined.id)]
    assert lrs == pytest.approx([1e-2 * level for level in expected], rel=1e-12)
    # The same init as its parent (step 0 is the parent's init), another schedule.
    assert log(refined.id)[0]["train_loss"] == log(pilot.id)[0]["train_loss"]
    assert not math.isclose(log(refined.id)[-1]["val_loss"], log(pilot.id)[-1]["val_loss"])


def test_a_refined_schedule_outside_a_stage_is_a_located_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**SPEC, "stages": [],
                                    "base": {**SPEC["base"], "schedule": {"kind": "refined"}}}))
    with pytest.raises(SpecError) as caught:
        compile_spec(path)
    assert "bad.yaml:" in str(caught.value)
    assert "base.schedule: a refined schedule needs the run whose gradient norms it refines"\
        in str(caught.value)
