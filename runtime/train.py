"""Train one run: `python -m runtime.train JOB.json [--results DIR]`.

Writes <DIR>/runs/<run_id>/config.json at the start, appends one line per step to metrics.jsonl,
and writes summary.json at the end. A run ends `completed`, `diverged` (a non-finite loss or
gradient norm; `diverged_at` is the step) or `failed` (any exception; `error` and `traceback`
say what). `train()` returns the summary and never raises for a failure of the run itself.

Steps are counted from 1: the line for step k is written after the k-th update; `tokens` is the
number of tokens trained on so far, `lr` the LR that update used (before per-role multipliers),
`grad_norm` the global gradient norm before clipping, `time_s` seconds since the run started.
Validation runs every `eval.every` steps and at the last step; `val_loss` is the unweighted mean
of the per-source losses `val_loss/<source>`, so runs with different mixes are scored alike.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from pydantic import ValidationError
from torch import Tensor

from runtime.config import RunConfig, load_job
from runtime.data import Batch, Batches
from runtime.metrics import MetricsLog
from runtime.model import GPT
from runtime.optim import build_adamw, set_lr
from runtime.results import run_dir, write_json_atomic
from runtime.schedules import lr_multiplier, phases

Record = dict[str, Any]


@dataclass
class _Progress:
    """What the summary needs to know, filled in as training goes."""

    steps: int = 0
    n_params: int = 0
    last: Record = field(default_factory=dict)
    diverged_at: int | None = None


def train(
    config: RunConfig,
    out_dir: Path,
    *,
    device: str | None = None,
    on_eval: Callable[[Record], None] | None = None,
) -> Record:
    """Train `config` into `out_dir` and return its summary; `on_eval` sees each eval record."""
    start = time.perf_counter()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)  # a stale summary would claim a result
    write_json_atomic(out_dir / "config.json", config.model_dump(mode="json"))

    progress = _Progress()
    summary: Record = {"id": config.run_id(), "device": device}
    try:
        with MetricsLog(out_dir / "metrics.jsonl") as log:
            _fit(config, device, log, progress, on_eval, start)
        summary["status"] = "completed" if progress.diverged_at is None else "diverged"
    except Exception as exc:
        summary.update(status="failed", error=f"{type(exc).__name__}: {exc}",
                       traceback=traceback.format_exc())

    wall = time.perf_counter() - start
    tokens = progress.steps * config.data.batch_size * config.model.seq_len
    summary.update(steps=progress.steps, tokens=tokens, wall_time_s=wall,
                   tokens_per_s=tokens / wall, n_params=progress.n_params, final={})
    if summary["status"] == "completed":
        summary["final"] = {k: v for k, v in progress.last.items()
                            if k == "train_loss" or k.startswith("val_loss")}
    if progress.diverged_at is not None:
        summary["diverged_at"] = progress.diverged_at
    write_json_atomic(out_dir / "summary.json", summary)
    return summary


def _fit(
    config: RunConfig,
    device: str,
    log: MetricsLog,
    progress: _Progress,
    on_eval: Callable[[Record], None] | None,
    start: float,
) -> None:
    torch.manual_seed(config.seed)
    model = GPT(config.model, config.parametrization).to(device)
    params = list(model.parameters())
    progress.n_params = sum(p.numel() for p in params)
    optimizer = build_adamw(model, config.optimizer)
    schedule = phases(config.schedule, config.budget.steps)
    data = Batches.from_config(config.data, config.model.seq_len, device)
    val = data.val_batches(config.eval.batches)
    # max_norm=inf measures the norm without clipping.
    clip = config.optimizer.grad_clip or math.inf
    total = config.budget.steps
    tokens_per_step = config.data.batch_size * config.model.seq_len

    # `step` counts from 1; schedules and batches index steps from 0.
    for step in range(1, total + 1):
        lr = config.optimizer.lr * lr_multiplier(schedule, step - 1)
        set_lr(optimizer, lr)
        x, y = data.train_batch(config.seed, step - 1)
        loss = _loss(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(params, clip)
        # One device sync per step, for the two numbers the log needs.
        train_loss, norm = torch.stack([loss.detach(), grad_norm]).tolist()
        record: Record = {"step": step, "tokens": step * tokens_per_step, "train_loss": train_loss,
                          "lr": lr, "grad_norm": norm}
        finite = math.isfinite(train_loss) and math.isfinite(norm)
        if finite:
            optimizer.step()
            if step % config.eval.every == 0 or step == total:
                record.update(evaluate(model, val))
                finite = math.isfinite(record["val_loss"])
        record["time_s"] = time.perf_counter() - start
        log.write(record)
        progress.steps, progress.last = step, record
        if not finite:
            progress.diverged_at = step
            return
        if on_eval and "val_loss" in record:
            on_eval(record)


@torch.inference_mode()
def evaluate(model: GPT, val: dict[str, list[Batch]]) -> dict[str, float]:
    """Mean loss per source over its fixed batches, and their unweighted mean as `val_loss`."""
    per_source = [torch.stack([_loss(model(x), y) for x, y in batches]).mean()
                  for batches in val.values()]
    losses = torch.stack(per_source).tolist()
    metrics = {f"val_loss/{name}": loss for name, loss in zip(val, losses)}
    metrics["val_loss"] = math.fsum(losses) / len(losses)
    return metrics


def _loss(logits: Tensor, targets: Tensor) -> Tensor:
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runtime.train",
                                     description="Train one run from a job file.")
    parser.add_argument("job", type=Path, help="a jobs/<run_id>.json file")
    parser.add_argument("--results", type=Path,
                        default=Path(os.environ.get("CLAIMLAB_RESULTS") or "results"),
                        help="results root (default: $CLAIMLAB_RESULTS or ./results)")
    args = parser.parse_args(argv)

    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size > 1:
        print(f"error: runs train in one process; torchrun started {world_size} "
              "(use --nproc_per_node=1)", file=sys.stderr)
        return 1
    try:
        config = load_job(str(args.job))
    except (OSError, ValidationError) as exc:
        print(f"error: cannot read job {args.job}: {exc}", file=sys.stderr)
        return 1

    out_dir = run_dir(args.results, config.run_id())
    summary = train(config, out_dir, on_eval=_progress_printer(config))
    print(_outcome_line(summary, out_dir), flush=True)
    return 0 if summary["status"] == "completed" else 1


def _progress_printer(config: RunConfig) -> Callable[[Record], None]:
    run_id, total = config.run_id(), config.budget.steps

    def show(record: Record) -> None:
        ms_per_step = 1000 * record["time_s"] / record["step"]
        print(f"{run_id} step {record['step']}/{total} train {record['train_loss']:.4f} "
              f"val {record['val_loss']:.4f} lr {record['lr']:.2e} "
              f"{ms_per_step:.1f} ms/step", flush=True)

    return show


def _outcome_line(summary: Record, out_dir: Path) -> str:
    head = f"{summary['id']} {summary['status']}"
    if summary["status"] == "diverged":
        head += f" at step {summary['diverged_at']}"
    if summary["status"] == "failed":
        head += f": {summary['error']}"
    return (f"{head} after {summary['steps']} steps in {summary['wall_time_s']:.1f} s "
            f"({summary['tokens_per_s']:,.0f} tokens/s) -> {out_dir}")


if __name__ == "__main__":
    sys.exit(main())
