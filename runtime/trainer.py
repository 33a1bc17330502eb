"""The training loop of one run, from wherever it begins to its last step.

Steps are counted from 1 across a chain of runs: a run started from another's checkpoint at
step S trains steps S+1 ... S+budget.steps, its schedule starting over at S+1. The line for
step k is written after the k-th update: `tokens` trained on so far, `lr` the scheduled LR
(before per-role multipliers) and `lr/<role>` with them, `grad_norm` the global gradient norm
before clipping, `time_s` seconds since the run first started. Evaluations add `val_loss*`;
measurement steps add the diagnostics (runtime/diagnostics.py) and the throughput since the
previous measurement (`tokens_per_s`, `flops_per_s`).
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel

from runtime import checkpoint
from runtime.checkpoint import Position
from runtime.config import RunConfig
from runtime.data import Batches
from runtime.ddp import World, all_mean
from runtime.device import Device
from runtime.diagnostics import Diagnostics
from runtime.evaluation import evaluate, loss_fn
from runtime.flops import flops_per_token
from runtime.metrics import MetricsLog, NullLog
from runtime.model import GPT
from runtime.optimizers import build_optimizer, set_lr, state_bytes
from runtime.resume import begin
from runtime.schedules import lr_multiplier, phases

Record = dict[str, Any]


@dataclass
class Progress:
    """What the summary needs to know, filled in as training goes."""

    position: Position = field(default_factory=Position)
    last: Record = field(default_factory=dict)
    n_params: int = 0
    optimizer_state_bytes: int = 0
    diverged_at: int | None = None
    resumed_at: int | None = None
    stopped: bool = False          # asked to stop (SIGTERM) before the last step


def fit(config: RunConfig, run_dir: Path, device: Device, world: World, progress: Progress,
        on_eval: Callable[[Record], None] | None = None,
        stop: threading.Event | None = None) -> None:
    attempt_start = time.perf_counter()
    torch.manual_seed(config.seed)
    model = GPT(config.model, config.parametrization).to(device.device)
    params = list(model.parameters())
    progress.n_params = sum(p.numel() for p in params)
    optimizer = build_optimizer(model, model.param_rules, config.optimizer, fused=device.cuda,
                                seed=config.seed)
    beginning = begin(config, run_dir, model, optimizer, device.device)
    position = progress.position = beginning.position
    progress.resumed_at = beginning.resumed_at
    first_step = config.start.step if config.start else 0
    last_step = first_step + config.budget.steps
    tokens_per_step = config.data.batch_size * config.model.seq_len
    schedule = phases(config.schedule, config.budget.steps, tokens_per_step, config.optimizer.lr)
    # Data steps are global too: a run started from another continues its data streams
    # (its data phases, like its schedule, start over).
    data = Batches.from_config(config.data, config.model.seq_len, device.device,
                               steps=config.budget.steps, first_step=first_step)
    if config.data.batch_size % world.size:
        raise ValueError(f"batch_size {config.data.batch_size} does not split evenly over "
                         f"{world.size} processes")
    val = data.val_batches(config.eval.batches)
    ddp_model = DistributedDataParallel(model) if world.distributed else model
    step_model = torch.compile(ddp_model) if config.execution.compile else ddp_model
    diagnostics = Diagnostics(model, model.param_rules)
    roles = {group["role"]: group["lr_mult"] for group in optimizer.param_groups}
    clip = config.optimizer.grad_clip or math.inf  # max_norm=inf measures without clipping
    keep = set(config.execution.keep_checkpoints)
    every, measure_every = config.execution.checkpoint_every, config.eval.diagnostics_every
    elapsed_before, last_checkpoint = position.elapsed_s, time.perf_counter()
    window = (position.tokens, position.train_s)
    resume_bytes = position.metrics_bytes if beginning.resumed_at is not None else None
    log = MetricsLog(run_dir / "metrics.jsonl", resume_bytes) if world.is_main else NullLog()

    with log:
        for step in range(position.step + 1, last_step + 1):
            started = time.perf_counter()
            lr = config.optimizer.lr * lr_multiplier(schedule, step - first_step - 1)
            set_lr(optimizer, lr)
            x, y = data.train_batch(config.seed, step - 1, world.rank, world.size)
            weights = data.loss_weights(config.seed, step - 1, world.rank, world.size)
            measuring = bool(measure_every) and (step % measure_every == 0 or step == last_step)
            extra: dict[str, Tensor] = {}
            watch = diagnostics.activations(extra) if measuring else contextlib.nullcontext()
            with watch, device.autocast():
                loss = loss_fn((ddp_model if measuring else step_model)(x), y, weights)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(params, clip)
            asked_to_stop = float(stop is not None and stop.is_set())
            # One synchronisation per step, for the numbers every process needs.
            train_loss, norm, stopping = all_mean(world, torch.stack([
                loss.detach().float(), grad_norm.float(),
                torch.tensor(asked_to_stop, device=device.device)])).tolist()
            if position.initial_loss is None:
                position.initial_loss = train_loss
            ratio = config.stability.max_loss_ratio
            finite = (math.isfinite(train_loss) and math.isfinite(norm)
                      and not (ratio and train_loss > ratio * position.initial_loss))
            if finite:
                before = diagnostics.snapshot() if measuring else None
                optimizer.step()
                if measuring:
                    extra |= diagnostics.update_rms(before) | diagnostics.spectra()
                    extra |= diagnostics.attention_entropy(x)
            position.step, position.tokens = step, position.tokens + tokens_per_step
            position.train_s += time.perf_counter() - started
            record: Record = {"step": step, "tokens": position.tokens, "train_loss": train_loss,
                              "lr": lr, "grad_norm": norm}
            record |= {f"lr/{role}": lr * mult for role, mult in roles.items()}
            if finite and (step % config.eval.every == 0 or step == last_step):
                record |= evaluate(model, val, device, world, data.bytes_per_token())
                finite = math.isfinite(record["val_loss"])
            if extra:
                record |= dict(zip(extra, torch.stack(list(extra.values())).tolist()))
                tokens, seconds = (position.tokens - window[0], position.train_s - window[1])
                record["tokens_per_s"] = tokens / seconds
                record["flops_per_s"] = record["tokens_per_s"] * flops_per_token(config.model)
                window = (position.tokens, position.train_s)
            position.elapsed_s = elapsed_before + time.perf_counter() - attempt_start
            record["time_s"] = position.elapsed_s
            log.write(record)
            position.metrics_bytes = log.tell()
            progress.last = record
            if not finite:
                progress.diverged_at = step
                break
            if on_eval and "val_loss" in record:
                on_eval(record)
            due = ((every and step % every == 0) or step in keep or stopping
                   or (config.execution.checkpoint_minutes
                       and time.perf_counter() - last_checkpoint
                       >= 60 * config.execution.checkpoint_minutes))
            if due and world.is_main:
                checkpoint.save(checkpoint.path(run_dir, step), config.run_id(), position,
                                model, optimizer)
                checkpoint.prune(run_dir, keep | {step})
                last_checkpoint = time.perf_counter()
            if stopping:
                progress.stopped = True
                break
    progress.optimizer_state_bytes = state_bytes(optimizer)
