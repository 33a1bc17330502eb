"""A run is trained only under its lease: one holder at a time, gone with its holder however it
ends; `python -m runtime.train` leaves a finished run alone and a held run to its holder."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime import lease
from runtime.results import checkpoint_path, run_dir

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}

HOLD = """\
import sys, time
from pathlib import Path
from runtime import lease
held = lease.take(Path(sys.argv[1]))
print("held" if held else "refused", flush=True)
time.sleep(120)
"""


def hold(run: Path) -> subprocess.Popen:
    """Another process that takes the lease of `run` and keeps it until killed."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(run)], env=ENV,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def train_cli(job: Path, results: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "runtime.train", str(job), "--results",
                             str(results), *extra], env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def write_job(config, tmp_path: Path) -> Path:
    job = tmp_path / f"{config.run_id()}.json"
    job.write_text(config.model_dump_json())
    return job


def test_a_lease_has_one_holder_and_ends_with_it_even_under_sigkill(tmp_path):
    run = tmp_path / "runs" / "abc"
    holder = hold(run)
    try:
        assert lease.take(run) is None
        found = lease.held_by(run)
        assert isinstance(found, lease.Holder) and found.pid == holder.pid
        assert str(holder.pid) in str(found)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    taken = lease.take(run)
    assert taken is not None
    assert lease.read_holder(run).pid == os.getpid()
    # A second take in the same process is refused too: the lock is on the open file.
    assert lease.take(run) is None
    taken.release()
    assert lease.held_by(run) is False and lease.read_holder(run) is None
    assert lease.take(run) is not None


def test_training_a_finished_run_again_does_nothing_and_says_so(tiny, tmp_path):
    config = tiny()
    job, results = write_job(config, tmp_path), tmp_path / "results"
    first = train_cli(job, results)
    assert first.wait(timeout=120) == 0, first.stderr.read()
    out = run_dir(results, config.run_id())
    before = {name: (out / name).read_bytes() for name in ("metrics.jsonl", "summary.json")}
    stamps = {name: (out / name).stat().st_mtime_ns for name in before}

    again = train_cli(job, results)
    stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stderr
    assert stdout.strip() == (f"{config.run_id()}: already completed after 40 steps -> {out}; "
                              "nothing to do")
    assert {name: (out / name).read_bytes() for name in before} == before
    assert {name: (out / name).stat().st_mtime_ns for name in before} == stamps


def test_a_run_held_by_another_process_is_left_to_it_or_waited_for(tiny, tmp_path):
    config = tiny()
    job, results = write_job(config, tmp_path), tmp_path / "results"
    out = run_dir(results, config.run_id())
    holder = hold(out)
    try:
        skipped = train_cli(job, results)
        stdout, stderr = skipped.communicate(timeout=120)
        assert skipped.returncode == 0, stderr
        assert f"process {holder.pid} on " in stdout and "is training it; left to it" in stdout
        assert not (out / "metrics.jsonl").exists() and not (out / "summary.json").exists()

        waiting = train_cli(job, results, "--wait")
        time.sleep(3)
        assert waiting.poll() is None, "it should wait while the lease is held"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    stdout, stderr = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, stderr
    assert f"waiting for process {holder.pid}" in stderr
    assert f"{config.run_id()} completed after 40 steps" in stdout
    assert json.loads((out / "summary.json").read_text())["status"] == "completed"


@pytest.mark.slow
def test_a_stage_waits_for_the_parent_another_process_is_training(tiny, tmp_path):
    parent = tiny(budget={"steps": 300}, execution={"keep_checkpoints": [300]})
    child = tiny(budget={"steps": 20}, start={"run": parent.run_id(), "step": 300})
    results = tmp_path / "results"
    training_parent = train_cli(write_job(parent, tmp_path), results)
    parent_dir = run_dir(results, parent.run_id())
    deadline = time.monotonic() + 60
    while lease.read_holder(parent_dir) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not checkpoint_path(parent_dir, 300).exists()

    training_child = train_cli(write_job(child, tmp_path), results)
    stdout, stderr = training_child.communicate(timeout=300)
    assert training_child.returncode == 0, stderr
    assert f"waiting for run {parent.run_id()}" in stderr
    assert f"{child.run_id()} completed after 320 steps" in stdout
    assert training_parent.wait(timeout=60) == 0
