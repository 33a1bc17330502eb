"""`claimlab run`'s progress: the model read from real runs' metrics logs, plain lines outside a
terminal, and the live display in one."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from claimlab.progress import SweepProgress
from compiler import compile_spec
from launch import write_plan
from launch.local import Job, Outcome
from runtime.results import read_metrics, run_dir
from runtime.train import train

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
name: progress
base:
  model: {width: 16, depth: 1, head_dim: 8, seq_len: 16}
  data: {batch_size: 2}
  budget: {steps: %(steps)d}
  eval: {every: %(steps)d, batches: 1}
sweep:
  grid: {optimizer.lr: [0.001, 0.01, 0.1]}
"""


def _plan(tmp_path: Path, steps: int) -> tuple[list[Job], Path]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC % {"steps": steps})
    plan = compile_spec(spec).plan
    write_plan(plan, tmp_path / "plan")
    return [Job(run.id, tmp_path / "plan" / "jobs" / f"{run.id}.json") for run in plan.runs], plan


def test_the_model_reads_each_running_run_from_its_metrics_log(tmp_path):
    jobs, plan = _plan(tmp_path, steps=20)
    trained = tmp_path / "trained"
    summary = train(plan.runs[0].config, run_dir(trained, jobs[0].run_id))
    records = list(read_metrics(run_dir(trained, jobs[0].run_id) / "metrics.jsonl"))
    log = run_dir(tmp_path / "results", jobs[0].run_id) / "metrics.jsonl"
    log.parent.mkdir(parents=True)

    def logged(count: int) -> None:   # the run, as far as it had got after `count` steps
        log.write_bytes(b"".join(f"{line}\n".encode() for line in
                                 log_lines(trained, jobs[0].run_id)[:count]))

    progress = SweepProgress(len(jobs), tmp_path / "results", workers=2)
    progress.started(jobs[0])
    progress.started(jobs[1])
    (first, second) = progress.running()
    assert (first.step, second.step, first.last_step) == (None, None, 20)
    assert progress.eta_s([first, second]) is None, "nothing measured yet"

    logged(5)
    (first, _) = progress.running()
    assert (first.step, first.loss) == (5, records[4]["train_loss"])
    assert first.tokens_per_s is None, "one look at the log is no rate"
    logged(15)
    (first, _) = progress.running()
    since = records[14]["time_s"] - records[4]["time_s"]
    assert first.step == 15
    assert first.tokens_per_s == pytest.approx((records[14]["tokens"] - records[4]["tokens"])
                                               / since)
    assert first.eta_s == pytest.approx(5 * since / 10)
    # The sweep: the other running run and the waiting one each take as long as this one
    # will (its pace over 20 steps), shared between the two workers.
    whole = since / 10 * 20
    assert progress.eta_s(progress.running()) == pytest.approx((first.eta_s + 2 * whole) / 2)
    assert progress.tokens_per_s(progress.running()) == pytest.approx(first.tokens_per_s)

    progress.done(Outcome(jobs[0].run_id, "completed", summary["wall_time_s"],
                          summary["final"]))
    progress.done(Outcome(jobs[1].run_id, "failed", 0.5, {}, "boom"))
    assert progress.finished == 2 and progress.counts == {"completed": 1, "failed": 1}
    assert progress.running() == []
    # Now measured by the runs finished here: one left, at their mean wall time (a run is
    # not shared between the two workers).
    assert progress.eta_s([]) == pytest.approx((summary["wall_time_s"] + 0.5) / 2)


def log_lines(results: Path, run_id: str) -> list[str]:
    return (run_dir(results, run_id) / "metrics.jsonl").read_text().splitlines()


def _claimlab_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "CLAIMLAB_CACHE": str(tmp_path / "cache"),
            "OMP_NUM_THREADS": "1", "COLUMNS": "120"}


@pytest.mark.slow
def test_outside_a_terminal_each_finished_run_is_one_plain_line(tmp_path):
    jobs, _ = _plan(tmp_path, steps=6)
    result = subprocess.run([sys.executable, "-m", "claimlab", "run", "spec.yaml", "-j", "2"],
                            cwd=tmp_path, env=_claimlab_env(tmp_path), capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    finished = [line for line in lines if line.startswith("[")]
    assert [line[:6] for line in finished] == ["[1/3] ", "[2/3] ", "[3/3] "]
    assert sorted(line.split()[1] for line in finished) == sorted(job.run_id for job in jobs)
    assert all(re.search(r" completed +\d+\.\ds  val_loss \d", line) for line in finished)
    assert re.fullmatch(r"done in \d+\.\ds", lines[-2])
    assert "\x1b" not in result.stdout and "\r" not in result.stdout, "nothing redraws"


@pytest.mark.slow
def test_in_a_terminal_a_live_display_shows_the_running_runs(tmp_path):
    jobs, _ = _plan(tmp_path, steps=300)
    shutil.rmtree(tmp_path / "plan")
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "claimlab", "run", "spec.yaml", "-j", "2"],
                               cwd=tmp_path, env={**_claimlab_env(tmp_path), "TERM": "xterm"},
                               stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    shown = b""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            chunk = os.read(controller, 65536)
        except OSError:     # the command ended and closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    assert process.wait(timeout=60) == 0
    os.close(controller)
    text = shown.decode(errors="replace")
    assert "\x1b[" in text, "the display redraws in place"
    # The overall bar's line, and a running run's line with its step, loss, speed and ETA.
    assert re.search(r"\d/3 runs +\d completed, 2 running +[\d.]+k? tokens/s +\d+:\d\d left",
                     text)
    assert re.search(r"[0-9a-f]{12} +step +\d+/300 +loss \d+\.\d{4} +[\d.]+k? tokens/s "
                     r"+\d+:\d\d left", text)
    # Finished runs scroll above it, as the plain lines.
    for job in jobs:
        assert re.search(rf"\[\d/3\] {job.run_id} completed", text)
    assert "done in" in text
