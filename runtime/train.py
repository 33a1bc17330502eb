"""Train one run: `python -m runtime.train JOB.json [--results DIR] [--wait]`, or under
`torchrun --nproc_per_node=N` for data parallelism (gloo on CPU, nccl on CUDA).

Writes <DIR>/runs/<run_id>/config.json at the start, appends one line per step to metrics.jsonl
(runtime/training/trainer.py says what a line holds), checkpoints into ckpt/
(runtime/training/checkpoint.py), and writes summary.json at the end. A run ends `completed`,
`diverged` (a non-finite loss or gradient norm, or a loss past `stability.max_loss_ratio` times
the first; `diverged_at` is the step) or `failed` (any exception; `error` and `traceback` say
what). `train()` returns the summary and never raises for a failure of the run itself. Started
again, a run resumes from its newest checkpoint and ends with the numbers it would have had
uninterrupted.

A run is trained only under its lease (runtime/lease.py), so however many launchers are
started on one plan (`claimlab run`, launch.sh, Slurm tasks, this command by hand), each run is
trained once. Whoever takes the lease first trains; the others, this command included:
  - leave a run that has finished alone (it completed, keeping the checkpoints its job lists,
    or it diverged): they print that there is nothing to do and exit 0;
  - leave a run that another process is training to it: they print who holds it and exit 0,
    or with --wait wait for it to let go and then do as above (resuming what it left
    unfinished).
A run whose summary is broken counts as not trained and is trained again. A run that reads
another (starts from its checkpoint, ensembles it, derives its schedule from its log) waits
for that run while another process is training it. An ensemble run trains nothing: it
evaluates its members' averaged predictions (runtime/training/ensemble.py).

A SIGTERM (a preempted job) makes the command checkpoint after the current step and exit with
code 143, leaving the run unfinished, so the next start resumes it. Exit codes: 0 completed,
finished before or left to another process; 1 diverged or failed; 143 stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from pydantic import ValidationError

from runtime import lease
from runtime.config.run import RunConfig, load_job
from runtime.model.flops import flops_per_token
from runtime.results import (
    CONFIG,
    METRICS,
    SUMMARY,
    CorruptResult,
    checkpoint_path,
    finished,
    run_dir,
    write_json_atomic,
)
from runtime.training import checkpoint, ddp
from runtime.training.device import Device, pick
from runtime.training.ensemble import evaluate_ensemble
from runtime.training.trainer import Progress, fit

Record = dict[str, Any]


def train(
    config: RunConfig,
    out_dir: Path,
    *,
    device: str | None = None,
    on_eval: Callable[[Record], None] | None = None,
    stop: threading.Event | None = None,
    wait: bool = False,
) -> Record:
    """Train `config` into `out_dir` under its lease and return its summary; `on_eval` sees
    each eval record, and setting `stop` ends the run after a checkpoint, unfinished.

    Nothing is trained when the run has finished already: its summary is returned as it is,
    with `skipped: "finished"`. When another process holds the lease, `wait` says whether
    to wait for it (`stop` ends the wait) or to return at once `{"id", "status": "held",
    "skipped": "held", "holder"}`."""
    world = ddp.from_environment()
    claim = _claim(config, out_dir, wait, stop) if world.is_main else None
    if claim is not None and claim.lease is None and not world.distributed:
        return claim.skipped
    with claim.lease if claim is not None and claim.lease else contextlib.nullcontext():
        return _train_leased(config, out_dir, world, claim, device, on_eval, stop)


@dataclass(frozen=True)
class _Claim:
    """What the main process found when it went for the run's lease."""

    lease: lease.Lease | None       # held: this process trains the run
    skipped: Record                 # not held: what train() returns instead
    notes: tuple[str, ...] = ()     # said in the summary of a run trained over a broken one


def _claim(config: RunConfig, out_dir: Path, wait: bool,
           stop: threading.Event | None) -> _Claim:
    run_id = config.run_id()
    if wait:
        held = lease.wait(out_dir, stop=stop.is_set if stop else None,
                          on_wait=lambda holder: print(
                              f"{run_id}: waiting for {holder or 'another process'}, which is "
                              "training it", file=sys.stderr, flush=True))
    else:
        held = lease.take(out_dir)
    if held is None:
        holder = lease.read_holder(out_dir)
        return _Claim(None, {"id": run_id, "status": "held", "skipped": "held",
                             "holder": str(holder or "another process")})
    try:
        done = finished(out_dir, run_id, config.execution.keep_checkpoints)
    except CorruptResult as broken:
        return _Claim(held, {}, (f"trained again over a broken result: {broken.path}: "
                                 f"{broken.problem}",))
    if done is not None:
        held.release()
        return _Claim(None, {**done, "skipped": "finished"})
    return _Claim(held, {})


def _train_leased(config: RunConfig, out_dir: Path, world: ddp.World, claim: _Claim | None,
                  device: str | None, on_eval: Callable[[Record], None] | None,
                  stop: threading.Event | None) -> Record:
    start = time.perf_counter()
    # The thread count is part of what reproduces a CPU run bit for bit (float sums are
    # split across threads), so a result says it.
    summary: Record = {"id": config.run_id(), "world_size": world.size,
                       "threads": torch.get_num_threads()}
    progress = Progress()
    chosen: Device | None = None
    try:
        chosen = pick(device, world.local_rank)
        summary["device"] = chosen.name
        ddp.start(world, chosen.device)
        if world.distributed and not _main_holds_lease(world, chosen, claim):
            return claim.skipped if claim else {"id": config.run_id(), "status": "held",
                                                 "skipped": "held"}
        if world.is_main:
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / SUMMARY).unlink(missing_ok=True)  # a stale one would claim a result
            write_json_atomic(out_dir / CONFIG, config.model_dump(mode="json"))
        _await_needs(config, out_dir, stop)
        if config.ensemble is not None:
            evaluate_ensemble(config, out_dir, chosen, world, progress)
        else:
            fit(config, out_dir, chosen, world, progress, on_eval, stop)
        summary["status"] = "completed" if progress.diverged_at is None else "diverged"
    except Exception as exc:
        chosen = None
        summary.update(status="failed", error=_error_text(exc),
                       traceback=traceback.format_exc())
    finally:
        ddp.stop(world)
    if progress.stopped:
        summary["status"] = "unfinished"
    _describe(summary, config, progress, chosen, time.perf_counter() - start)
    notes = (*(claim.notes if claim else ()), *progress.notes)
    if notes:
        summary["notes"] = list(notes)
    if world.is_main and summary["status"] != "unfinished":
        _finish(summary, config, out_dir)
    return summary


def _main_holds_lease(world: ddp.World, device: Device, claim: _Claim | None) -> bool:
    """Whether the main process holds the lease, as every process of a data-parallel run
    learns it from the main one."""
    flag = torch.tensor([1.0 if claim is not None and claim.lease else 0.0],
                        device=device.device)
    return bool(ddp.all_sum(world, flag).item() > 0)


def _await_needs(config: RunConfig, out_dir: Path, stop: threading.Event | None) -> None:
    """Wait while a run this one reads (starts from, ensembles, derives its schedule from)
    is being trained by another process and has not written what this one reads."""
    for need in config.needs():
        source = out_dir.parent / need.run
        needed, what = ((checkpoint_path(source, need.step), f"write its checkpoint at step "
                                                             f"{need.step}")
                        if need.step is not None else (source / SUMMARY, "finish"))
        told = False
        while not needed.exists() and (holder := lease.held_by(source)):
            if stop is not None and stop.is_set():
                return
            if not told:
                print(f"{config.run_id()}: waiting for run {need.run}, which "
                      f"{holder if holder is not True else 'another process'} is training, "
                      f"to {what}", file=sys.stderr, flush=True)
                told = True
            time.sleep(1.0)


def _finish(summary: Record, config: RunConfig, out_dir: Path) -> None:
    """Write the summary of a run that ended (keeping only the checkpoints other runs start
    from when it did not fail); a summary that cannot be written turns the run `failed`."""
    try:
        if summary["status"] != "failed":
            checkpoint.prune(out_dir, set(config.execution.keep_checkpoints))
        metrics = out_dir / METRICS
        if metrics.exists():
            summary["metrics_bytes"] = metrics.stat().st_size
        write_json_atomic(out_dir / SUMMARY, summary)
    except OSError as exc:
        summary.update(status="failed", error=f"cannot write {out_dir / SUMMARY}: "
                                              f"{_error_text(exc)}")


def _error_text(exc: BaseException) -> str:
    """What went wrong, in one line; a full disk says what to do about it."""
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left" in str(exc):
        where = f" writing {exc.filename}" if getattr(exc, "filename", None) else ""
        return (f"no space left on the device{where}: free some space and run it again; "
                "it resumes from its last checkpoint")
    return f"{type(exc).__name__}: {exc}"


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
    parser.add_argument("--wait", action="store_true",
                        help="when another process is training the run, wait for it to end "
                             "(then train what it left unfinished) instead of leaving the "
                             "run to it")
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
                    stop=stop, wait=args.wait)
    if main_process:
        print(_outcome_line(summary, out_dir), flush=True)
    if summary.get("skipped"):
        return 0
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
    if summary.get("skipped") == "held":
        return (f"{summary['id']}: {summary['holder']} is training it; left to it (--wait "
                "waits for it)")
    if summary.get("skipped") == "finished":
        return (f"{summary['id']}: already {summary['status']} after {summary['steps']} steps "
                f"-> {out_dir}; nothing to do")
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
