"""A run killed with SIGKILL at a random step and started again ends with exactly the numbers
of a run never interrupted, and its metrics log has each step once, no torn line."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.results import run_dir

ROOT = Path(__file__).resolve().parents[2]
TIMING = ("time_s", "tokens_per_s", "flops_per_s")


def launch(job: Path, results: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "runtime.train", str(job), "--results",
                             str(results)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def lines(path: Path) -> list[str]:
    return path.read_text().split("\n") if path.exists() else []


@pytest.mark.slow
def test_kill_at_a_random_step_then_resume_gives_the_uninterrupted_numbers(tiny, tmp_path):
    steps = 200
    config = tiny(budget={"steps": steps}, eval={"every": 50, "diagnostics_every": 25},
                  schedule={"kind": "cosine", "warmup": 20},
                  execution={"checkpoint_every": 9, "checkpoint_minutes": 0})
    job = tmp_path / "job.json"
    job.write_text(config.model_dump_json())
    kill_at = random.SystemRandom().randrange(15, steps - 30)

    interrupted = tmp_path / "interrupted"
    log = run_dir(interrupted, config.run_id()) / "metrics.jsonl"
    process = launch(job, interrupted)
    deadline = time.monotonic() + 120
    while len(lines(log)) <= kill_at and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    killed_after = len(lines(log)) - 1
    assert killed_after < steps, f"the run finished before the kill (kill_at={kill_at})"
    assert not (log.parent / "summary.json").exists()

    resumed = launch(job, interrupted)
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    straight = launch(job, tmp_path / "straight")
    assert straight.communicate(timeout=120) and straight.returncode == 0

    text = log.read_text()
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["step"] for r in records] == list(range(1, steps + 1)), kill_at
    reference = [json.loads(line) for line in
                 lines(run_dir(tmp_path / "straight", config.run_id()) / "metrics.jsonl") if line]
    def strip(rs):
        return [{k: v for k, v in r.items() if k not in TIMING} for r in rs]
    assert strip(records) == strip(reference), f"killed after step {killed_after}"
    summaries = [json.loads((run_dir(root, config.run_id()) / "summary.json").read_text())
                 for root in (interrupted, tmp_path / "straight")]
    assert summaries[0]["final"] == summaries[1]["final"]
    assert (summaries[0]["status"] == "completed" and "resumed_at" in summaries[0]) \
        or killed_after < 9
    assert not list((log.parent / "ckpt").iterdir())
