"""The plan directory: plan.json, one job file per run, and a launch.sh that really runs them."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from compiler import compile_spec
from launch import write_plan
from runtime.config.run import load_job
from runtime.results import run_status

SPEC = """\
name: emit-demo
base: {model: {width: 32, head_dim: 16}, budget: {steps: 5}}
sweep:
  grid: {optimizer.lr: [0.001, 0.01, 0.1]}
  seeds: [0]
"""

TINY = """\
name: tiny
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 16}
  data: {batch_size: 2}
  budget: {steps: 2}
  eval: {every: 2, batches: 1}
"""

# Stands in for torchrun: records its arguments, fails or diverges when asked to (a diverged
# run writes its summary and exits non-zero, as the runtime does).
FAKE_TORCHRUN = """\
#!/usr/bin/env bash
echo "$@" >> "$TORCHRUN_LOG"
if [[ -n "${DIVERGE_ON:-}" && "$*" == *"$DIVERGE_ON"* ]]; then
  mkdir -p "$CLAIMLAB_RESULTS/runs/$DIVERGE_ON"
  echo '{"status": "diverged"}' > "$CLAIMLAB_RESULTS/runs/$DIVERGE_ON/summary.json"
  exit 1
fi
[[ "$*" != *"${FAIL_ON:-none}"* ]]
"""


@pytest.fixture
def plan(tmp_path):
    (tmp_path / "spec.yaml").write_text(SPEC)
    return compile_spec(tmp_path / "spec.yaml").plan


def test_writes_plan_json_and_one_job_per_run(tmp_path, plan):
    out = tmp_path / "plans" / "emit-demo"
    write_plan(plan, out)
    text = (out / "plan.json").read_text()
    assert text.endswith("}\n")
    assert json.loads(text) == plan.to_json()
    # Reviewable: one key per line, indented by two, keys sorted at every level. (Floats are
    # spelled in their shortest form, 1e-8; the file is JSON, not json.dumps' bytes.)
    assert text.splitlines()[1].startswith('  "') and not text.splitlines()[1].startswith("   ")

    def sorted_keys(pairs: list[tuple[str, object]]) -> dict:
        assert [k for k, _ in pairs] == sorted(k for k, _ in pairs)
        return dict(pairs)

    json.loads(text, object_pairs_hook=sorted_keys)
    assert len(text.splitlines()) == len(json.dumps(plan.to_json(), indent=2).splitlines())
    jobs = sorted(p.name for p in (out / "jobs").iterdir())
    assert jobs == sorted(f"{r.id}.json" for r in plan.runs)
    for run in plan.runs:
        job = out / "jobs" / f"{run.id}.json"
        assert load_job(str(job)) == run.config
        assert load_job(str(job)).run_id() == run.id
    assert not [p for p in out.rglob(".*")], "no temporary files are left behind"


def test_launch_script_is_valid_bash_with_one_torchrun_per_run(tmp_path, plan):
    write_plan(plan, tmp_path)
    launch = tmp_path / "launch.sh"
    assert os.access(launch, os.X_OK)
    subprocess.run(["bash", "-n", launch], check=True)
    lines = [line for line in launch.read_text().splitlines() if "torchrun --standalone" in line]
    assert len(lines) == len(plan.runs)
    for line, run in zip(lines, plan.runs, strict=True):
        assert line.endswith(f'-m runtime.train "$here/jobs/{run.id}.json" --results "$RESULTS"')
        assert "--nproc_per_node=1" in line


@pytest.fixture
def fake_torchrun(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "torchrun").write_text(FAKE_TORCHRUN)
    (bin_dir / "torchrun").chmod(0o755)
    log = tmp_path / "torchrun.log"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "TORCHRUN_LOG": str(log)}
    return env, log


def test_launch_runs_each_job_from_anywhere_and_skips_completed_runs(tmp_path, plan, fake_torchrun):
    env, log = fake_torchrun
    out = tmp_path / "plan"
    write_plan(plan, out)
    results = tmp_path / "results"
    done, failed = plan.runs[1].id, plan.runs[2].id   # a failed run is tried again
    diverged = plan.runs[0].id                          # a diverged one is a result
    for run_id, status in ((done, "completed"), (failed, "failed"), (diverged, "diverged")):
        (results / "runs" / run_id).mkdir(parents=True)
        summary = {"id": run_id, "status": status}
        (results / "runs" / run_id / "summary.json").write_text(json.dumps(summary, indent=2))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    subprocess.run(["bash", out / "launch.sh"], cwd=elsewhere, check=True,
                   env={**env, "CLAIMLAB_RESULTS": str(results)}, capture_output=True)

    expected = [f"--standalone --nproc_per_node=1 -m runtime.train {out / 'jobs' / run.id}.json "
                f"--results {results}" for run in plan.runs if run.id not in (done, diverged)]
    assert log.read_text().splitlines() == expected


def test_a_run_that_diverges_does_not_stop_the_plan(tmp_path, plan, fake_torchrun):
    env, log = fake_torchrun
    write_plan(plan, tmp_path / "plan")
    env = {**env, "DIVERGE_ON": plan.runs[0].id, "CLAIMLAB_RESULTS": str(tmp_path / "results")}
    result = subprocess.run(["bash", tmp_path / "plan" / "launch.sh"], env=env,
                            capture_output=True)
    assert result.returncode == 0, result.stderr
    assert len(log.read_text().splitlines()) == len(plan.runs)


def test_results_default_to_the_current_directory(tmp_path, plan, fake_torchrun):
    env, log = fake_torchrun
    write_plan(plan, tmp_path / "plan")
    env.pop("CLAIMLAB_RESULTS", None)
    subprocess.run(["bash", tmp_path / "plan" / "launch.sh"], cwd=tmp_path, env=env, check=True)
    assert all(line.endswith("--results ./results") for line in log.read_text().splitlines())


def test_launch_stops_at_the_first_failing_run(tmp_path, plan, fake_torchrun):
    env, log = fake_torchrun
    write_plan(plan, tmp_path / "plan")
    env = {**env, "FAIL_ON": plan.runs[1].id, "CLAIMLAB_RESULTS": str(tmp_path / "results")}
    result = subprocess.run(["bash", tmp_path / "plan" / "launch.sh"], env=env, capture_output=True)
    assert result.returncode != 0
    assert len(log.read_text().splitlines()) == 2


def test_rewriting_a_plan_dir_removes_jobs_no_longer_planned(tmp_path, plan):
    out = tmp_path / "plan"
    write_plan(plan, out)
    smaller = tmp_path / "smaller.yaml"
    smaller.write_text(SPEC.replace("[0.001, 0.01, 0.1]", "[0.01]"))
    small_plan = compile_spec(smaller).plan
    write_plan(small_plan, out)
    assert [p.name for p in (out / "jobs").iterdir()] == [f"{small_plan.runs[0].id}.json"]
    assert json.loads((out / "plan.json").read_text()) == small_plan.to_json()
    assert (out / "launch.sh").read_text().count("torchrun --standalone") == 1


def test_rewriting_a_plan_dir_updates_a_job_whose_execution_changed(tmp_path):
    """`execution` is not part of a run's id: the job file keeps its name and must be
    rewritten, while job files that did not change are left as they are."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "plan"
    write_plan(compile_spec(spec).plan, out)
    before = {p.name: p.stat() for p in (out / "jobs").iterdir()}
    spec.write_text(SPEC.replace("budget: {steps: 5}",
                                 "budget: {steps: 5}, execution: {checkpoint_every: 2}"))
    changed = compile_spec(spec).plan
    write_plan(changed, out)
    assert {p.name for p in (out / "jobs").iterdir()} == set(before)
    for run in changed.runs:
        assert load_job(str(out / "jobs" / f"{run.id}.json")).execution.checkpoint_every == 2
    again = {p.name: p.stat() for p in (out / "jobs").iterdir()}
    write_plan(changed, out)    # unchanged: the files are left as they are
    assert {name: (st.st_ino, st.st_mtime_ns) for name, st in again.items()} == {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "jobs").iterdir()}
    assert not [p for p in out.rglob(".*")], "no temporary files are left behind"


def test_a_spec_name_cannot_inject_shell(tmp_path, plan, fake_torchrun):
    env, log = fake_torchrun
    write_plan(replace(plan, spec='x"\n$(touch pwned)\n`touch pwned`'), tmp_path / "plan")
    subprocess.run(["bash", tmp_path / "plan" / "launch.sh"], cwd=tmp_path, env=env, check=True)
    assert not (tmp_path / "pwned").exists()
    assert len(log.read_text().splitlines()) == len(plan.runs)


@pytest.mark.slow
def test_launch_script_trains_with_the_real_runtime(tmp_path):
    """The emitted script with the real torchrun and runtime: a run completes, then is skipped."""
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "torchrun").exists():
        pytest.skip("torchrun is not installed next to this Python")
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    plan = compile_spec(spec).plan
    write_plan(plan, tmp_path / "plan")
    results = tmp_path / "results"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "CLAIMLAB_RESULTS": str(results)}
    launch = ["bash", tmp_path / "plan" / "launch.sh"]
    repo = Path(__file__).resolve().parents[2]   # where `-m runtime.train` imports from

    subprocess.run(launch, cwd=repo, env=env, check=True, capture_output=True)
    (run,) = plan.runs
    assert run_status(results, run.id) == "completed"
    again = subprocess.run(launch, cwd=repo, env=env, check=True, capture_output=True, text=True)
    assert f"skip {run.id} (completed)" in again.stderr


@pytest.mark.parametrize("values", ["[0.02, 0.2]", "[0.02, 0.2, 0.3, 0.4, 0.5]"])
def test_rewriting_a_plan_dir_whose_every_run_changed_holds_the_new_jobs_only(tmp_path, plan,
                                                                               values):
    """The files of runs no longer planned are taken over by new runs' job files (fewer or
    more of them than before): each must then hold its own run, whole."""
    out = tmp_path / "plan"
    write_plan(plan, out)
    other = tmp_path / "other.yaml"
    other.write_text(SPEC.replace("[0.001, 0.01, 0.1]", values)
                     .replace("budget: {steps: 5}", "budget: {steps: 6}"))
    changed = compile_spec(other).plan
    assert not {run.id for run in changed.runs} & {run.id for run in plan.runs}
    write_plan(changed, out)
    assert sorted(p.name for p in (out / "jobs").iterdir()) == [
        f"{run.id}.json" for run in changed.runs]
    for run in changed.runs:
        job = out / "jobs" / f"{run.id}.json"
        assert json.loads(job.read_bytes()) == run.config.model_dump(mode="json")
        assert load_job(str(job)) == run.config
