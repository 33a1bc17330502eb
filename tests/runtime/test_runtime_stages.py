"""Stages end to end: `claimlab run` trains a shared parent once, then the runs that start
from its checkpoints, which continue it exactly."""

import json
from pathlib import Path

import pytest
import yaml

from claimlab.main import main
from compiler import compile_spec
from launch.local import Job, pending
from runtime.results import checkpoint_path, checkpoint_steps, read_summary, run_dir

TINY = {"model": {"width": 32, "depth": 1, "head_dim": 16, "seq_len": 32},
        "parametrization": {"base_width": 32}, "optimizer": {"lr": 1e-2},
        "data": {"batch_size": 8}, "eval": {"every": 10, "batches": 2}}


def spec(tmp_path: Path, **extra) -> Path:
    path = tmp_path / "staged.yaml"
    path.write_text(yaml.safe_dump({
        "name": "staged",
        "base": {**TINY, "schedule": {"kind": "constant", "warmup": 4}, "budget": {"steps": 40}},
        # `continue` changes nothing but where it starts: it must replay its parent's steps.
        "stages": [{"name": "stable"},
                   {"name": "continue", "schedule": {"warmup": 0},
                    "budget": {"steps": 10}}],
        "sweep": {"grid": {"stages.continue.at": [10, 20, 30]}},
        **extra}))
    return path


def records(results: Path, run_id: str) -> list[dict]:
    text = (run_dir(results, run_id) / "metrics.jsonl").read_text()
    timing = ("time_s", "tokens_per_s", "flops_per_s")
    return [{k: v for k, v in json.loads(line).items() if k not in timing}
            for line in text.splitlines()]


@pytest.mark.slow
def test_branches_share_their_parent_and_continue_it_exactly(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = spec(tmp_path)
    plan = compile_spec(path).plan
    stable = [run for run in plan.runs if run.stage == "stable"]
    branches = [run for run in plan.runs if run.stage == "continue"]
    assert len(stable) == 1 and len(branches) == 3
    assert plan.runs[0] is stable[0]  # parents first
    assert stable[0].config.execution.keep_checkpoints == (10, 20, 30)

    assert main(["run", str(path), "--results", "results", "-j", "2"]) == 0
    assert "4 completed" in capsys.readouterr().out
    parent = records(Path("results"), stable[0].id)
    for branch in branches:
        at = branch.config.start.step
        summary = read_summary("results", branch.id)
        assert summary["status"] == "completed" and summary["steps"] == at + 10
        # Same weights, optimizer state, data and LR: the parent's own steps, to the bit.
        assert records(Path("results"), branch.id) == parent[at:at + 10]
    parent_dir = run_dir("results", stable[0].id)
    assert checkpoint_steps(parent_dir) == [10, 20, 30]

    # A parent that lost a checkpoint a run still to do needs trains again.
    checkpoint_path(parent_dir, 20).unlink()
    child = next(b for b in branches if b.config.start.step == 20)
    (run_dir("results", child.id) / "summary.json").unlink()
    jobs = [Job(run.id, Path("build/plans/staged/jobs") / f"{run.id}.json") for run in plan.runs]
    assert {job.run_id for job in pending(jobs, Path("results"))} == {stable[0].id, child.id}
    # Two workers again: the same threads per run, so the same numbers to the bit.
    assert main(["run", str(path), "--results", "results", "-j", "2"]) == 0
    assert records(Path("results"), child.id) == parent[20:30]
    assert records(Path("results"), stable[0].id) == parent


@pytest.mark.slow
def test_runs_starting_from_a_diverged_run_fail_without_training(tmp_path, monkeypatch,
                                                                 capsys):
    monkeypatch.chdir(tmp_path)
    path = spec(tmp_path)
    text = yaml.safe_load(path.read_text())
    text["base"]["optimizer"] = {"lr": 1e6, "grad_clip": 0}
    path.write_text(yaml.safe_dump(text))
    assert main(["run", str(path), "--results", "results"]) == 1
    plan = compile_spec(path).plan
    statuses = {run.stage: set() for run in plan.runs}
    for run in plan.runs:
        summary = read_summary("results", run.id)
        statuses[run.stage].add(summary["status"])
        if run.stage == "continue":
            assert "which it starts from, diverged" in summary["error"]
    assert statuses == {"stable": {"diverged"}, "continue": {"failed"}}
