"""Several launchers on one plan and one results folder train each run exactly once, and the
workers of `claimlab run` die with it."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from runtime import lease
from runtime.results import run_dir

ROOT = Path(__file__).resolve().parents[2]

SPEC = """\
name: shared
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 32}
  parametrization: {base_width: 32}
  data: {batch_size: 8}
  budget: {steps: %(steps)d}
  eval: {every: 40, batches: 1}
  execution: {checkpoint_every: 40}
sweep:
  grid: {optimizer.lr: %(lrs)s}
"""

# What each launcher prints for a run it trained itself (and not for one it found finished,
# or left to the process training it).
_POOL_TRAINED = re.compile(r"^\[\s*\d+/\d+\] ([0-9a-f]{12}) completed (?!.*another process)")
_RUNTIME_TRAINED = re.compile(r"^([0-9a-f]{12}) completed after")


def env() -> dict[str, str]:
    # launch.sh runs `torchrun`, which lives next to this Python.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": path}


def start(command: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=cwd, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def claimlab(*args: str) -> list[str]:
    return [sys.executable, "-m", "claimlab", *args]


def write_spec(cwd: Path, steps: int, lrs: list[float]) -> None:
    (cwd / "spec.yaml").write_text(SPEC % {"steps": steps, "lrs": json.dumps(lrs)})


@pytest.mark.slow
def test_four_launchers_at_once_train_each_run_once(tmp_path):
    steps = 120
    write_spec(tmp_path, steps, [0.001, 0.003, 0.01, 0.03])
    subprocess.run(claimlab("compile", "spec.yaml"), cwd=tmp_path, env=env(), check=True,
                   capture_output=True)
    plan = tmp_path / "build" / "plans" / "shared"
    ids = [run["id"] for run in json.loads((plan / "plan.json").read_text())["runs"]]
    by_hand = " ; ".join(f"{sys.executable} -m runtime.train {plan}/jobs/{run_id}.json"
                         for run_id in reversed(ids))
    runners = [
        start(claimlab("run", "spec.yaml", "-j", "2"), tmp_path),
        start(claimlab("run", str(plan)), tmp_path),
        start(["bash", str(plan / "launch.sh")], tmp_path),
        start(["bash", "-c", by_hand], tmp_path),
    ]
    outputs = [runner.communicate(timeout=600)[0] for runner in runners]
    assert [runner.returncode for runner in runners] == [0] * 4, "\n\n".join(outputs)

    trained = Counter(match.group(1) for output in outputs for line in output.splitlines()
                      for match in [_POOL_TRAINED.match(line) or _RUNTIME_TRAINED.match(line)]
                      if match)
    assert trained == dict.fromkeys(ids, 1), "\n\n".join(outputs)
    for run_id in ids:
        out = run_dir(tmp_path / "results", run_id)
        text = (out / "metrics.jsonl").read_text()
        assert text.endswith("\n")
        assert [json.loads(line)["step"] for line in text.splitlines()] == \
            list(range(1, steps + 1))
        summary = json.loads((out / "summary.json").read_text())
        assert summary["status"] == "completed" and "resumed_at" not in summary
        assert summary["metrics_bytes"] == len(text.encode())


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in state     # a zombie is dead, only not yet reaped


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_workers_die_with_the_command_that_started_them(tmp_path, how):
    write_spec(tmp_path, 100_000, [0.001])
    parent = start(claimlab("run", "spec.yaml"), tmp_path)
    runs = tmp_path / "results" / "runs"
    deadline = time.monotonic() + 120
    holder = None
    while holder is None and time.monotonic() < deadline and parent.poll() is None:
        holder = next((lease.read_holder(run) for run in runs.glob("*")
                       if lease.read_holder(run)), None) if runs.exists() else None
        time.sleep(0.1)
    assert holder is not None, parent.communicate()[0]
    worker = holder.pid
    assert worker != parent.pid and not _gone(worker)

    parent.send_signal(how)
    parent.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while not _gone(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(worker), f"worker {worker} outlived `claimlab run`"
    run = next(runs.glob("*"))
    assert lease.held_by(run) is False
