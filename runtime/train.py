"""Train one run: `python -m runtime.train JOB.json [--results DIR]`, or under
`torchrun --nproc_per_node=N` for data parallelism (gloo on CPU, nccl on CUDA).

Writes <DIR>/runs/<run_id>/config.json at the start, appends one line per step to metrics.jsonl
(runtime/training/trainer.py says what a line holds), checkpoints into ckpt/
(runtime/training/checkpoint.py), and writes summary.json at the end. A run ends `completed`,
`diverged` (a non-finite loss or gradient norm, or a loss past `stability.max_loss_ratio` times
the first; `diverged_at` is the step) or `failed` (any exception; `error` and `traceback` say
what). `train()` returns the summary and never raises for a failure of the run itself. Started
again, a run resumes from its newest checkpoint and ends with the numbers it would have had
uninterrupted.

A SIGTERM (a preempted job) makes the command checkpoint after the current step and exit with
code 143, leaving the run unfinished, so the next start resumes it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from runtime.config.run import RunConfig, load_job
from runtime.model.flops import flops_per_token
from runtime.results import run_dir, write_json_atomic
from runtime.training import checkpoint, ddp
from runtime.training.device import Device, pick
from runtime.training.trainer import Progress, fit

Record = dict[str, Any]


def train(
    config: RunConfig,
    out_dir: Path,
    *,
    device: str | None = None,
    on_eval: Callable[[Record], None] | None = None,
    stop: threading.Event | None = None,
) -> Record:
    """Train `config` into `out_dir` and return its summary; `on_eval` sees each eval record,
    and setting `stop` ends the run after a checkpoint, unfinished."""
    start = time.perf_counter()
    world = ddp.from_environment()
    summary: Record = {"id": config.run_id(), "world_size": world.size}
    progress = Progress()
    try:
        chosen = pick(device, world.local_rank)
        summary["device"] = chosen.name
        if world.is_main:
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / "summary.json").unlink(missing_ok=True)  # a stale one would claim a result
            write_json_atomic(out_dir / "config.json", config.model_dump(mode="json"))
        ddp.start(world, chosen.device)
        fit(config, out_dir, chosen, world, progress, on_eval, stop)
        summary["status"] = "completed" if progress.diverged_at is None else "diverged"
    except Exception as exc:
        chosen = None
        summary.update(status="failed", error=f"{type(exc).__name__}: {exc}",
                       traceback=traceback.format_exc())
    finally:
        ddp.stop(world)
    if progress.stopped:
        summary["status"] = "unfinished"
    _describe(summary, config, progress, chosen, time.perf_counter() - start)
    if world.is_main and summary["status"] != "unfinished":
        if summary["status"] != "failed":
            # A finished run keeps only the checkpoints other runs start from.
            checkpoint.prune(out_dir, set(config.execution.keep_checkpoints))
        write_json_atomic(out_dir / "summary.json", summary)
    return summary


def _describe(summary: Record, config: RunConfig, progress: Progress, device: Device | None,
              attempt_s: float) -> None:
    position = progress.position
    per_token = flops_per_token(config.model)
    summary.update(
        steps=position.step, tokens=position.tokens,
        wall_time_s=position.elapsed_s or attempt_s,
        tokens_per_s=_trained_tokens(config, position) / position.train_s
        if position.train_s else 0.0,
        n_params=progress.n_params, optimizer_state_bytes=progress.optimizer_state_bytes,
        flops_per_token=per_token, final={},
    )
    summary["flops_per_s"] = summary["tokens_per_s"] * per_token
    peak = device.peak_flops if device else None
    if peak:
        # Model FLOP utilisation across every process.
        summary["mfu"] = summary["flops_per_s"] / (peak * summary["world_size"])
    memory = device.peak_memory_bytes() if device else None
    if memory is not None:
        summary["peak_memory_bytes"] = memory
    if progress.resumed_at is not None:
        summary["resumed_at"] = progress.resumed_at
    if config.start is not None:
        summary["start"] = config.start.model_dump()
    if summary["status"] == "completed":
        summary["final"] = {k: v for k, v in progress.last.items()
                            if k == "train_loss" or k.startswith("val_")}
    if progress.diverged_at is not None:
        summary["diverged_at"] = progress.diverged_at


def _trained_tokens(config: RunConfig, position: checkpoint.Position) -> int:
    """Tokens this run trained on itself (a run started from another's checkpoint begins
    with that run's tokens)."""
    return (position.step - config.first_step) * config.data.batch_size * config.model.seq_len


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runtime.train",
                                     description="Train one run from a job file.")
    parser.add_argument("job", type=Path, help="a jobs/<run_id>.json file")
    parser.add_argument("--results", type=Path,
                        default=Path(os.environ.get("CLAIMLAB_RESULTS") or "results"),
                        help="results root (default: $CLAIMLAB_RESULTS or ./results)")
    args = parser.parse_args(argv)
    try:
        config = load_job(str(args.job))
    except (OSError, ValidationError) as exc:
        print(f"error: cannot read job {args.job}: {exc}", file=sys.stderr)
        return 1

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    out_dir = run_dir(args.results, config.run_id())
    main_process = ddp.from_environment().is_main
    summary = train(config, out_dir, on_eval=_progress_printer(config) if main_process else None,
                    stop=stop)
    if main_process:
        print(_outcome_line(summary, out_dir), flush=True)
    if summary["status"] == "unfinished":
        return 128 + signal.SIGTERM
    return 0 if summary["status"] == "completed" else 1


def _progress_printer(config: RunConfig) -> Callable[[Record], None]:
    run_id, last = config.run_id(), config.last_step

    def show(record: Record) -> None:
        print(f"{run_id} step {record['step']}/{last} train {record['train_loss']:.4f} "
              f"val {record['val_loss']:.4f} lr {record['lr']:.2e}", flush=True)

    return show


def _outcome_line(summary: Record, out_dir: Path) -> str:
    head = f"{summary['id']} {summary['status']}"
    if summary["status"] == "diverged":
        head += f" at step {summary['diverged_at']}"
    if summary["status"] == "failed":
        head += f": {summary['error']}"
    if summary["status"] == "unfinished":
        head += " (stopped; run it again to resume)"
    return (f"{head} after {summary['steps']} steps in {summary['wall_time_s']:.1f} s "
            f"({summary['tokens_per_s']:,.0f} tokens/s) -> {out_dir}")


if __name__ == "__main__":
    sys.exit(main())
