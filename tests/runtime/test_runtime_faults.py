"""What a run does with what an earlier attempt, a full disk or someone else left in its folder:
a planted checkpoint never runs code, a broken one gives way to the one before, a metrics log
cut short starts the run over, and a full disk ends the run with one clear message."""

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from runtime.config.optimizer import OPTIMIZERS
from runtime.results import checkpoint_path, checkpoint_steps, read_metrics
from runtime.train import train

ROOT = Path(__file__).resolve().parents[2]
TIMING = ("time_s", "tokens_per_s", "flops_per_s")


def records(run: Path) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TIMING}
            for r in read_metrics(run / "metrics.jsonl")]


def stopped_at(config, run: Path, step: int) -> None:
    """Train `config` into `run` until the eval at `step`, then stop (checkpointing there)."""
    stop = threading.Event()
    summary = train(config, run, stop=stop,
                    on_eval=lambda record: record["step"] >= step and stop.set())
    assert summary["status"] == "unfinished"


class _Planted:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_planted_pickle_never_runs_and_the_run_starts_over(tiny, tmp_path):
    config = tiny()
    run, marker = tmp_path / "run", tmp_path / "executed"
    planted = checkpoint_path(run, 20)
    planted.parent.mkdir(parents=True)
    torch.save({"run_id": config.run_id(), "position": {"step": 20}, "model": _Planted(marker),
                "optimizer": {}, "rng": {}}, planted)

    summary = train(config, run)
    assert not marker.exists(), "the checkpoint's pickle ran code"
    assert summary["status"] == "completed" and "resumed_at" not in summary
    assert any("step-00000020.pt does not load" in note and "set aside" in note
               for note in summary["notes"])
    assert planted.with_name(planted.name + ".corrupt").exists() and not planted.exists()
    assert records(run) == records_of_straight(config, tmp_path)


def records_of_straight(config, tmp_path: Path) -> list[dict]:
    straight = tmp_path / "straight"
    assert train(config, straight)["status"] == "completed"
    return records(straight)


def test_a_truncated_newest_checkpoint_gives_way_to_the_one_before(tiny, tmp_path):
    config = tiny(execution={"checkpoint_every": 10, "checkpoint_minutes": 0,
                             "keep_checkpoints": [10]})
    run = tmp_path / "run"
    stopped_at(config, run, 20)
    newest = checkpoint_path(run, checkpoint_steps(run)[-1])
    assert checkpoint_steps(run) == [10, 21]
    newest.write_bytes(newest.read_bytes()[:1000])

    summary = train(config, run)
    assert summary["status"] == "completed" and summary["resumed_at"] == 10
    broken, resuming = summary["notes"]
    assert broken.startswith(f"checkpoint {newest.name} does not load (")
    assert broken.endswith(f"set aside as {newest.name}.corrupt")
    assert resuming == "resuming from the checkpoint at step 10"
    assert records(run) == records_of_straight(config, tmp_path)


def test_a_metrics_log_shorter_than_its_checkpoint_starts_the_run_over(tiny, tmp_path):
    config = tiny(execution={"checkpoint_every": 10, "checkpoint_minutes": 0})
    run = tmp_path / "run"
    stopped_at(config, run, 20)
    log = run / "metrics.jsonl"
    log.write_bytes(log.read_bytes()[:300])

    summary = train(config, run)
    assert summary["status"] == "completed" and "resumed_at" not in summary
    assert "cannot go on from the checkpoint at step 21: the run starts over" in \
        summary["notes"][0]
    assert b"\0" not in log.read_bytes()
    assert records(run) == records_of_straight(config, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_every_optimizer_resumes_from_a_weights_only_checkpoint(tiny, tmp_path, kind):
    config = tiny(optimizer={"kind": kind, "lr": 1e-2},
                  execution={"checkpoint_every": 10, "checkpoint_minutes": 0})
    run = tmp_path / "run"
    stopped_at(config, run, 20)
    summary = train(config, run)
    assert summary["status"] == "completed" and summary["resumed_at"] == 21, summary
    assert "notes" not in summary
    assert records(run) == records_of_straight(config, tmp_path)


FULL_DISK = """\
set -u
mount -t tmpfs -o size=700k tmpfs "$RESULTS" || exit 77
"$PYTHON" -m runtime.train "$JOB" --results "$RESULTS"
echo "exit $?"
find "$RESULTS" -type f -printf 'file %P\\n'
cat "$RESULTS"/runs/*/summary.json
echo "-- more space"
mount -o remount,size=8m tmpfs "$RESULTS"
"$PYTHON" -m runtime.train "$JOB" --results "$RESULTS" > /dev/null
echo "exit $?"
cat "$RESULTS"/runs/*/summary.json
"""


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare(1) to mount a tmpfs")
def test_a_full_disk_ends_the_run_with_one_message_and_keeps_the_last_checkpoint(tiny,
                                                                                  tmp_path):
    # A tiny tmpfs holds the first checkpoint (~390 kB) but not the next beside it.
    config = tiny(execution={"checkpoint_every": 10, "checkpoint_minutes": 0})
    job = tmp_path / "job.json"
    job.write_text(config.model_dump_json())
    results = tmp_path / "results"
    results.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHON": sys.executable, "JOB": str(job),
           "RESULTS": str(results)}
    done = subprocess.run(["unshare", "-rm", "bash", "-c", FULL_DISK], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode == 77 or "unshare failed" in done.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    full, freed = done.stdout.split("-- more space\n")
    assert "exit 1" in full, done.stdout + done.stderr
    failed = [line for line in full.splitlines() if " failed" in line]
    assert len(failed) == 1 and failed[0].startswith(
        f"{config.run_id()} failed: no space left on the device: free some space and run it "
        "again; it resumes from its last checkpoint after 20 steps"), full
    run = f"runs/{config.run_id()}"
    files = sorted(line.split(" ", 1)[1] for line in full.splitlines()
                   if line.startswith("file "))
    assert files == [f"{run}/ckpt/step-00000010.pt", f"{run}/config.json", f"{run}/lease",
                     f"{run}/metrics.jsonl", f"{run}/summary.json"], full
    assert json.loads(full[full.index("{"):])["status"] == "failed"
    # With room again it resumes from the checkpoint the full disk left intact.
    assert freed.startswith("exit 0"), freed + done.stderr
    summary = json.loads(freed[freed.index("{"):])
    assert summary["status"] == "completed" and summary["resumed_at"] == 10
