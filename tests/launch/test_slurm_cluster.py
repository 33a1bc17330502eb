"""Plans on a real Slurm cluster (a single node on localhost, tests/launch/slurm_cluster.py),
driven through the command line as a user drives one: an array, a staged plan, a task killed
mid-run and one past its time limit, both requeued and resumed, two arrays side by side, and
`claimlab status` and `claimlab cancel`. Runs are tiny and trained on one CPU each.

Slurm holds a requeued task for about two minutes before starting it again; the tests start
such tasks three seconds after they are requeued (`scontrol update JobId=... StartTime=now+3`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.results import read_summary, run_dir

pytestmark = pytest.mark.slow

TIMING = ("time_s", "tokens_per_s", "flops_per_s")
TINY = """\
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 32}
  parametrization: {base_width: 32}
  optimizer: {lr: 0.01}
  data: {batch_size: 8}
"""


def spec(path: Path, name: str, steps: int, rest: str = "", base: str = "",
         eval_every: int = 50) -> Path:
    """A spec of tiny runs of `steps` steps; `base` adds lines to its base, `rest` after it."""
    path.write_text(f"name: {name}\nbase:\n{TINY}  budget: {{steps: {steps}}}\n"
                    f"  eval: {{every: {eval_every}, batches: 2}}\n{base}{rest}")
    return path


def claimlab(slurm, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "claimlab", *args], cwd=cwd, env=slurm.env,
                          capture_output=True, text=True, timeout=600, check=False)


def run_ids(cwd: Path, name: str) -> list[str]:
    plan = json.loads((cwd / "build" / "plans" / name / "plan.json").read_text())
    return [run["id"] for run in plan["runs"]]


def logs(cwd: Path, name: str) -> str:
    return "".join(path.read_text() for path in
                   sorted((cwd / "build" / "plans" / name / "logs").glob("*.log")))


def failures(cwd: Path, name: str) -> list[Path]:
    return list((cwd / "build" / "plans" / name / "logs").glob("*.failures"))


def records(results: Path, run_id: str) -> list[dict]:
    path = run_dir(results, run_id) / "metrics.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [{k: v for k, v in json.loads(line).items() if k not in TIMING} for line in lines]


def test_an_array_trains_every_run_and_a_cpu_request_needs_no_flags(slurm, tmp_path):
    """The default resources ask for no GPU, so a toy spec submits to a CPU-only cluster as it
    is; its GPU profile asks for one, which this cluster refuses, and the refusal is a
    message, not a traceback."""
    spec(tmp_path / "spec.yaml", "cluster-array", 20,
         "sweep: {grid: {optimizer.lr: [0.01, 0.02]}}\n"
         "profiles: {gpu: {resources: {gpus_per_node: 1}}}\n")
    refused = claimlab(slurm, tmp_path, "run", "spec.yaml", "--profile", "gpu",
                       "--target", "slurm")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "cluster-array: sbatch failed (exit 1): sbatch: error:" in refused.stderr
    assert "Traceback" not in refused.stderr
    script = tmp_path / "build" / "plans" / "cluster-array" / "cluster-array.sbatch"
    assert "#SBATCH --gpus-per-node=1" in script.read_text()
    assert slurm.idle()

    done = claimlab(slurm, tmp_path, "run", "spec.yaml", "--target", "slurm", "--poll", "0.5")
    assert done.returncode == 0, done.stdout + done.stderr + slurm.logs()
    assert "--gpus" not in script.read_text()
    ids = run_ids(tmp_path, "cluster-array")
    for run_id in ids:
        assert read_summary(tmp_path / "results", run_id)["status"] == "completed"
    out = done.stdout.splitlines()
    assert out[0] == ("cluster-array: 2 runs in plan, 0 already finished, submitting 2 to "
                      "Slurm -> results/runs/")
    assert out[1].startswith("Submitted batch job ")
    assert sorted(line.split()[1] for line in out if line.startswith("[")) == sorted(ids)
    assert out[-1] == "cluster-array: 2 completed"
    assert "attempt 2" not in logs(tmp_path, "cluster-array")

    again = claimlab(slurm, tmp_path, "run", "spec.yaml", "--target", "slurm")
    assert again.returncode == 0 and "nothing to run" in again.stdout and slurm.idle()


def test_a_staged_plan_runs_level_after_level(slurm, tmp_path):
    spec(tmp_path / "spec.yaml", "cluster-stages", 20,
         "stages:\n  - name: pretrain\n  - name: update\n    budget: {steps: 10}\n"
         "sweep: {grid: {stages.update.optimizer.lr: [0.001, 0.003]}}\n")
    submitted = claimlab(slurm, tmp_path, "run", "spec.yaml", "--target", "slurm", "--detach")
    assert submitted.returncode == 0, submitted.stderr
    plan_dir = tmp_path / "build" / "plans" / "cluster-stages"
    assert "level 2, 2 run(s): job" in submitted.stdout
    assert "follow with: claimlab status build/plans/cluster-stages" in submitted.stdout

    plan = json.loads((plan_dir / "plan.json").read_text())
    updates = [run["id"] for run in plan["runs"] if run["stage"] == "update"]

    def updates_wait_for_their_level() -> bool:
        status = claimlab(slurm, tmp_path, "status", str(plan_dir))
        assert status.returncode == 0, status.stderr
        rows = {line.split()[0]: line for line in status.stdout.splitlines()[2:]}
        assert all("queued" in rows[run_id] for run_id in updates), status.stdout
        # Until the scheduler has looked at the queue, the reason is None.
        return all("waiting: Dependency" in rows[run_id] for run_id in updates)

    slurm.wait_until(updates_wait_for_their_level, "level 2 to wait on level 1", timeout=30)
    # Submitting a plan whose jobs are queued would train its runs twice over.
    twice = claimlab(slurm, tmp_path, "run", "spec.yaml", "--target", "slurm")
    assert twice.returncode == 1 and "has jobs in the queue already" in twice.stderr

    slurm.wait_until(slurm.idle, "the staged plan to end")
    status = claimlab(slurm, tmp_path, "status", "spec.yaml")
    assert status.stdout.splitlines()[0] == "cluster-stages: 3 runs: 3 completed"
    pretrain = next(run["id"] for run in plan["runs"] if run["stage"] == "pretrain")
    for run_id in updates:
        summary = read_summary(tmp_path / "results", run_id)
        assert summary["status"] == "completed" and summary["start"]["run"] == pretrain


def training_processes(job: Path) -> list[int]:
    """The PIDs of the processes that train `job` (runtime.train under torchrun)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            words = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if str(job) in words and "runtime.train" in words and \
                not any(word.endswith("torchrun") for word in words):
            found.append(int(entry.name))
    return found


def test_a_task_killed_mid_run_is_requeued_and_resumes_bit_identically(slurm, tmp_path):
    spec(tmp_path / "spec.yaml", "cluster-kill", 800,
         base="  execution: {checkpoint_every: 50, checkpoint_minutes: 0}\n")
    submitted = claimlab(slurm, tmp_path, "run", "spec.yaml", "--target", "slurm", "--detach")
    assert submitted.returncode == 0, submitted.stderr
    (run_id,) = run_ids(tmp_path, "cluster-kill")
    results = tmp_path / "results"
    job = tmp_path / "build" / "plans" / "cluster-kill" / "jobs" / f"{run_id}.json"
    slurm.wait_until(lambda: len(records(results, run_id)) >= 300, "training to pass step 300")
    (worker,) = training_processes(job)
    os.kill(worker, signal.SIGKILL)
    slurm.wait_until(lambda: any(task["RestartCnt"] == "1" for task in slurm.jobs()),
                     "the task to be requeued", release=False)
    status = claimlab(slurm, tmp_path, "status", "spec.yaml")
    assert f"{run_id}  requeued  job " in status.stdout and ", attempt 2" in status.stdout

    slurm.wait_until(slurm.idle, "the requeued task to end")
    assert "requeued, retry 1 of 2" in logs(tmp_path, "cluster-kill")
    summary = read_summary(results, run_id)
    assert summary["status"] == "completed" and summary["resumed_at"] >= 300

    # The same run trained on the cluster without a kill; on the same kind of node, as
    # numbers differ in their last bits between thread counts.
    reference = tmp_path / "uninterrupted"
    straight = claimlab(slurm, tmp_path, "run", "spec.yaml", "--target", "slurm",
                        "--results", str(reference), "--poll", "0.5")
    assert straight.returncode == 0, straight.stdout + straight.stderr
    assert records(results, run_id) == records(reference, run_id)
    assert summary["final"] == read_summary(reference, run_id)["final"]


def test_a_task_at_its_time_limit_is_requeued_and_resumes(slurm, tmp_path):
    """Slurm warns the task 55 s before its one-minute limit, at its next look at the clock
    (every 30 s): the run stops at a checkpoint and the task is requeued, as often as it takes,
    without counting failures."""
    spec(tmp_path / "spec.yaml", "cluster-time", 10_000,
         "resources: {time: '1', stop_before: 55, retries: 0}\n", eval_every=1000)
    submitted = claimlab(slurm, tmp_path, "run", "spec.yaml", "--target", "slurm", "--detach")
    assert submitted.returncode == 0, submitted.stderr
    (run_id,) = run_ids(tmp_path, "cluster-time")
    slurm.wait_until(slurm.idle, "the run to train to its end", timeout=400)

    printed = logs(tmp_path, "cluster-time")
    assert "stopped at its time limit: requeued to resume from its checkpoint" in printed, \
        "the run ended before its time limit: give it more steps"
    assert not failures(tmp_path, "cluster-time")
    summary = read_summary(tmp_path / "results", run_id)
    assert summary["status"] == "completed" and summary["resumed_at"] > 0
    assert [r["step"] for r in records(tmp_path / "results", run_id)] == list(range(1, 10_001))


def test_two_arrays_side_by_side_finish_on_their_first_attempt(slurm, tmp_path):
    """Task 0 of one array and task 0 of another run on the same node at the same time: each
    trains without the other's rendezvous getting in its way."""
    names = ("cluster-side-a", "cluster-side-b")
    for seed, name in enumerate(names):
        (tmp_path / name).mkdir()
        spec(tmp_path / name / "spec.yaml", name, 800, base=f"  seed: {seed}\n")
        submitted = claimlab(slurm, tmp_path / name, "run", "spec.yaml", "--target", "slurm",
                             "--detach")
        assert submitted.returncode == 0, submitted.stderr
    seen_together = []

    def ended() -> bool:
        tasks = slurm.jobs()
        assert all(task["RestartCnt"] == "0" for task in tasks), tasks
        seen_together.append(sum(task["State"] == "RUNNING" for task in tasks) == 2)
        return not tasks

    slurm.wait_until(ended, "both arrays to end", release=False)
    assert any(seen_together)
    for name in names:
        (run_id,) = run_ids(tmp_path / name, name)
        assert read_summary(tmp_path / name / "results", run_id)["status"] == "completed"
        assert "attempt 1" in logs(tmp_path / name, name)
        assert "attempt 2" not in logs(tmp_path / name, name)
        assert not failures(tmp_path / name, name)


def test_cancel_stops_a_plans_jobs_and_status_shows_where_its_runs_stopped(slurm, tmp_path):
    spec(tmp_path / "spec.yaml", "cluster-cancel", 100_000,
         "sweep: {grid: {optimizer.lr: [0.01, 0.02, 0.03]}}\nresources: {array_limit: 1}\n")
    submitted = claimlab(slurm, tmp_path, "run", "spec.yaml", "--target", "slurm", "--detach")
    assert submitted.returncode == 0, submitted.stderr
    results = tmp_path / "results"
    ids = run_ids(tmp_path, "cluster-cancel")
    slurm.wait_until(lambda: any(len(records(results, run_id)) >= 10 for run_id in ids),
                     "a run to train")
    status = claimlab(slurm, tmp_path, "status", "spec.yaml")
    assert status.stdout.splitlines()[0] == "cluster-cancel: 3 runs: 1 running, 2 queued"
    assert "/100000  loss " in status.stdout and "waiting: JobArrayTaskLimit" in status.stdout

    cancelled = claimlab(slurm, tmp_path, "cancel", "spec.yaml")
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.startswith("cluster-cancel: cancelled job(s) ")
    slurm.wait_until(slurm.idle, "the jobs to leave the queue", release=False)
    status = claimlab(slurm, tmp_path, "status", "spec.yaml")
    assert status.stdout.splitlines()[0] == "cluster-cancel: 3 runs: 1 stopped, 2 to run"
    assert "not in the queue: submitting the plan again resumes it" in status.stdout
    again = claimlab(slurm, tmp_path, "cancel", "spec.yaml")
    assert again.stdout.strip().endswith("are in the queue")
