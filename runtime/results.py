"""The results layout: what a run leaves behind, and how to read it back.

    <results>/runs/<run_id>/config.json     the RunConfig that ran
    <results>/runs/<run_id>/metrics.jsonl   one JSON object per logged step, appended as it goes
    <results>/runs/<run_id>/summary.json    written once at the end (atomically)
    <results>/runs/<run_id>/ckpt/step-<N>.pt  checkpoints (training/checkpoint.py): the newest
                                            until the run finishes, and those other runs
                                            start from

`summary.json` has at least: `id`, `status` (completed | diverged | failed), `steps` (the last
step trained, counted across a chain of stages), `tokens`, `wall_time_s`, `final` (metric name
-> value, e.g. `val_loss`, `train_loss`), plus `diverged_at` (the step) when diverged and
`error` when failed. Runs trained by the runtime add `tokens_per_s`, `flops_per_token`,
`flops_per_s`, `n_params`, `optimizer_state_bytes`, `device`, `world_size`, and on GPUs `mfu`
and `peak_memory_bytes`. A run directory without a summary is unfinished (running, or killed).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

STATUSES = ("completed", "diverged", "failed")
# A run with one of these results is done: running it again would reproduce the same result.
# `failed` is not among them: a failure may be the machine's fault, so it is retried.
FINISHED = ("completed", "diverged")

_CHECKPOINT = re.compile(r"step-(\d+)\.pt")


def run_dir(results: str | os.PathLike, run_id: str) -> Path:
    return Path(results) / "runs" / run_id


def checkpoint_dir(run: Path) -> Path:
    return run / "ckpt"


def checkpoint_path(run: Path, step: int) -> Path:
    return checkpoint_dir(run) / f"step-{step:08d}.pt"


def checkpoint_steps(run: Path) -> list[int]:
    """The steps that have a checkpoint in run directory `run`, in order."""
    found = (_CHECKPOINT.fullmatch(p.name) for p in checkpoint_dir(run).glob("step-*.pt"))
    return sorted(int(match.group(1)) for match in found if match)


def read_summary(results: str | os.PathLike, run_id: str) -> dict[str, Any] | None:
    """The run's summary, or None when it has not finished (or never started)."""
    path = run_dir(results, run_id) / "summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def run_status(results: str | os.PathLike, run_id: str) -> str:
    """completed | diverged | failed | unfinished | missing."""
    summary = read_summary(results, run_id)
    if summary is not None:
        return summary["status"]
    return "unfinished" if run_dir(results, run_id).exists() else "missing"


def iter_metrics(results: str | os.PathLike, run_id: str) -> Iterator[dict[str, Any]]:
    """The run's metric records in order. A torn last line (a killed writer) is skipped."""
    path = run_dir(results, run_id) / "metrics.jsonl"
    try:
        f = path.open(encoding="utf-8")
    except FileNotFoundError:
        return
    with f:
        for line in f:
            if not line.endswith("\n"):
                break
            yield json.loads(line)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True, allow_nan=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
