"""A broken result file is named, with what to do, by `plan`, `run` and `report` alike, never as
a traceback and never stopping the other runs; `verify` finds it and `verify --repair` sets it
aside; `run` then trains that run again, and only that run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
name: fragile
base:
  model: {width: 16, depth: 1, head_dim: 8, seq_len: 32}
  parametrization: {kind: mup, base_width: 16, base_head_dim: 8}
  data: {batch_size: 4}
  budget: {steps: 12}
  eval: {every: 6, batches: 1}
sweep:
  grid:
    model.width: [16, 32]
    optimizer.lr: [1.0e-3, 1.0e-1]
claims:
  - id: optimum-stable
    statement: "The best learning rate does not move with width."
    check: {kind: argmin_stable, metric: final.val_loss, over: optimizer.lr,
            across: model.width, tolerance: 0.5}
"""


def claimlab(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLAIMLAB_CACHE": str(cwd / "cache")}
    return subprocess.run([sys.executable, "-m", "claimlab", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose four runs have trained."""
    project = tmp_path_factory.mktemp("trained")
    (project / "spec.yaml").write_text(SPEC)
    ran = claimlab("run", "spec.yaml", "-j", "2", cwd=project)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return project


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage_line(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines[len(lines) // 2] = "garbage\n"
    path.write_text("".join(lines))


# What happens to one run's files, and the problem each message names.
CORRUPTIONS: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "truncated summary": ("summary.json", _cut, "not a readable JSON file (cut short)"),
    "empty summary": ("summary.json", lambda p: p.write_text(""),
                      "not a readable JSON file (cut short)"),
    "empty object": ("summary.json", lambda p: p.write_text("{}"),
                     "expected a status (completed, diverged, failed), found None"),
    "a list": ("summary.json", lambda p: p.write_text("[1, 2]"),
               "expected a JSON object, found list"),
    "truncated metrics": ("metrics.jsonl", _cut, "it has"),
    "garbage line in the metrics": ("metrics.jsonl", _garbage_line, "it has"),
}


def broken_project(trained: Path, tmp_path: Path, case: str) -> tuple[Path, str, Path]:
    project = tmp_path / "project"
    shutil.copytree(trained, project, ignore=shutil.ignore_patterns("cache"))
    run_id = sorted(p.name for p in (project / "results" / "runs").iterdir())[0]
    name, corrupt, _ = CORRUPTIONS[case]
    path = project / "results" / "runs" / run_id / name
    corrupt(path)
    return project, run_id, Path("results") / "runs" / run_id / name


def named(stderr: str, path: Path, problem: str) -> bool:
    """Whether `stderr` names `path` once, with `problem` and what to do."""
    lines = [line for line in stderr.splitlines() if str(path) in line]
    return (len(lines) == 1 and lines[0].startswith(f"{path}: {problem}")
            and "`claimlab run` trains it again" in lines[0]
            and "`claimlab verify --repair`" in lines[0])


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_a_broken_result_is_named_by_plan_report_and_run(trained, tmp_path, case):
    project, run_id, path = broken_project(trained, tmp_path, case)
    problem = CORRUPTIONS[case][2]
    others = sorted(p.name for p in (project / "results" / "runs").iterdir() if p.name != run_id)

    plan = claimlab("plan", "spec.yaml", cwd=project)
    assert plan.returncode == 0 and "Traceback" not in plan.stderr, plan.stderr
    assert named(plan.stderr, path, problem), plan.stderr
    assert "3 completed, 0 diverged, 0 failed, 1 corrupt, 0 to run" in plan.stdout

    report = claimlab("report", "spec.yaml", "--out", "site", cwd=project)
    assert report.returncode == 0 and "Traceback" not in report.stderr, report.stderr
    assert named(report.stderr, path, problem), report.stderr
    assert "optimum-stable" in report.stdout

    stamps = {run: (project / "results" / "runs" / run / "metrics.jsonl").stat().st_mtime_ns
              for run in others}
    ran = claimlab("run", "spec.yaml", cwd=project)
    assert ran.returncode == 0 and "Traceback" not in ran.stderr, ran.stderr
    assert named(ran.stderr, path, problem), ran.stderr
    assert "4 runs in plan, 3 already finished, running 1" in ran.stdout
    assert f"{run_id} completed" in ran.stdout
    assert stamps == {run: (project / "results" / "runs" / run / "metrics.jsonl")
                      .stat().st_mtime_ns for run in others}
    assert claimlab("verify", cwd=project).returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_verify_finds_a_broken_result_and_repair_sets_the_run_aside(trained, tmp_path, case):
    project, run_id, path = broken_project(trained, tmp_path, case)
    verified = claimlab("verify", cwd=project)
    assert verified.returncode == 1, verified.stdout + verified.stderr
    assert f"{path}: {CORRUPTIONS[case][2]}" in verified.stdout
    assert "results: 4 runs, 3 sound, 1 with problems" in verified.stdout

    repaired = claimlab("verify", "--repair", cwd=project)
    assert repaired.returncode == 1, repaired.stdout + repaired.stderr
    [moved] = [line for line in repaired.stdout.splitlines() if line.startswith("set aside")]
    assert moved.startswith(f"set aside results/runs/{run_id} -> results/quarantine/")
    assert not (project / "results" / "runs" / run_id).exists()
    quarantined = next((project / "results" / "quarantine").iterdir()) / run_id
    assert (quarantined / path.name).exists()
    again = claimlab("verify", cwd=project)
    assert again.returncode == 0 and "3 runs, 3 sound, 0 with problems" in again.stdout


def test_verify_checks_configs_summaries_and_checkpoints(trained, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(trained, project, ignore=shutil.ignore_patterns("cache"))
    runs = project / "results" / "runs"
    first, second, third, _ = sorted(p.name for p in runs.iterdir())
    # A config that belongs to another run; a summary whose final loss is not the log's;
    # a checkpoint that does not load and a temporary file left by a kill.
    shutil.copy(runs / second / "config.json", runs / first / "config.json")
    summary = json.loads((runs / second / "summary.json").read_text())
    summary["final"]["val_loss"] += 1.0
    (runs / second / "summary.json").write_text(json.dumps(summary))
    (runs / third / "ckpt").mkdir(exist_ok=True)
    (runs / third / "ckpt" / "step-00000006.pt").write_bytes(b"PK\x03\x04 not a checkpoint")
    (runs / third / "ckpt" / ".step-00000012.pt.tmp123").write_bytes(b"half")

    verified = claimlab("verify", cwd=project)
    assert verified.returncode == 1
    lines = verified.stdout.splitlines()
    assert f"results/runs/{first}/config.json: it describes run {second}, not {first} (the " \
           "folder's name)" in lines
    assert f"results/runs/{second}/summary.json: its final val_loss differ from the last " \
           "step's in the metrics log" in lines
    assert any(line.startswith(f"results/runs/{third}/ckpt/step-00000006.pt: it does not "
                               "load (") for line in lines)
    assert f"results/runs/{third}/ckpt/.step-00000012.pt.tmp123: a temporary file an " \
           "interrupted write left" in lines
    assert lines[-2] == "results: 4 runs, 1 sound, 3 with problems"

    repaired = claimlab("verify", "--repair", cwd=project)
    assert repaired.returncode == 1
    # The third run's result stands: only its broken files are set aside.
    assert (runs / third / "summary.json").exists()
    assert not list((runs / third / "ckpt").iterdir())
    assert not (runs / first).exists() and not (runs / second).exists()
    assert claimlab("verify", cwd=project).returncode == 0
