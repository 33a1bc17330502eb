"""The training loop of one run, from wherever it begins to its last step.

Steps are counted from 1 across a chain of runs: a run started from another's checkpoint at
step S trains steps S+1 ... S+budget.steps, its schedule starting over at S+1. The line for
step k is written after the k-th update: `tokens` trained on so far, `lr` the scheduled LR
(before per-role multipliers) and `lr/<role>` with them, `grad_norm` the global gradient norm
before clipping, `time_s` seconds since the run first started. Evaluations add `val_loss*`,
and the losses of the weight averages a run keeps (`val_loss/ema`, `val_loss/avg_last`,
runtime/training/averaging.py); measurement steps add the diagnostics
(runtime/diagnostics/dynamics.py) and the throughput since the previous measurement
(`tokens_per_s`, `flops_per_s`); sharpness steps add `sharpness`
(runtime/diagnostics/sharpness.py). Evaluations and sharpness are not training time.
"""

from __future__ import annotations

import contextlib
import math
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel

from runtime.config.run import RunConfig
from runtime.data.batches import Batches
from runtime.diagnostics.dynamics import Diagnostics
from runtime.diagnostics.sharpness import top_eigenvalue
from runtime.model.flops import flops_per_token
from runtime.model.gpt import GPT
from runtime.optim import build_optimizer, set_lr, state_bytes
from runtime.optim.refined import with_grad_norms
from runtime.optim.schedules import lr_multiplier, phases
from runtime.results import checkpoint_path
from runtime.training import checkpoint
from runtime.training.averaging import WeightAverages
from runtime.training.checkpoint import Position
from runtime.training.ddp import World, all_mean
from runtime.training.device import Device
from runtime.training.evaluation import evaluate, loss_fn
from runtime.training.metrics import MetricsLog, NullLog
from runtime.training.resume import begin

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
    notes: tuple[str, ...] = ()    # what was wrong with what an earlier attempt left


def fit(config: RunConfig, run_dir: Path, device: Device, world: World, progress: Progress,
        on_eval: Callable[[Record], None] | None = None,
        stop: threading.Event | None = None) -> None:
    """Train the run into `run_dir`, filling `progress` in as it goes."""
    _Training(config, run_dir, device, world, progress).run(on_eval, stop)


@dataclass
class _Outcome:
    record: Record
    finite: bool
    stopping: bool


class _Training:
    """One attempt at a run: model, optimizer, data and log, stepped to the end."""

    def __init__(self, config: RunConfig, run_dir: Path, device: Device, world: World,
                 progress: Progress):
        self.started = time.perf_counter()
        self.config, self.run_dir, self.device, self.world = config, run_dir, device, world
        self.progress = progress
        torch.manual_seed(config.seed)
        self.model = GPT(config.model, config.parametrization).to(device.device)
        self.first_step, self.last_step = config.first_step, config.last_step
        self.params = list(self.model.parameters())
        progress.n_params = sum(p.numel() for p in self.params)
        self.optimizer = build_optimizer(self.model, self.model.param_rules, config.optimizer,
                                         fused=device.cuda, seed=config.seed)
        # Data steps are global too: a run started from another continues its data streams
        # (its data phases, like its schedule, start over).
        self.data = Batches.from_config(config.data, config.model.seq_len, device.device,
                                        steps=config.budget.steps, first_step=self.first_step)
        self.val = self.data.val_batches(config.eval.batches)
        self.diagnostics = Diagnostics(self.model, self.model.param_rules)
        if config.eval.diagnostics_every:
            # Before a checkpoint is loaded: feature changes count from the seed's weights.
            first_val_batch = next(iter(self.val.values()))[0]
            self.diagnostics.remember_initial_features(first_val_batch[0])
        beginning = begin(config, run_dir, self.model, self.optimizer, device.device,
                          main=world.is_main)
        self.position = progress.position = beginning.position
        # After the weights are loaded: averages start from the weights the run starts from.
        self.averages = (WeightAverages(self.model, config.eval)
                         if WeightAverages.wanted(config.eval) else None)
        if self.averages is not None and beginning.averages is not None:
            self.averages.load_state_dict(beginning.averages)
        progress.resumed_at, progress.notes = beginning.resumed_at, beginning.notes
        for note in beginning.notes if world.is_main else ():
            print(f"{config.run_id()}: {note}", file=sys.stderr, flush=True)
        self.tokens_per_step = config.data.batch_size * config.model.seq_len
        # A schedule refined from another run reads that run's log from beside this one.
        self.schedule = phases(with_grad_norms(config.schedule, run_dir.parent),
                               config.budget.steps, self.tokens_per_step, config.optimizer.lr)
        if config.data.batch_size % world.size:
            raise ValueError(f"batch_size {config.data.batch_size} does not split evenly over "
                             f"{world.size} processes")
        self.ddp_model = (DistributedDataParallel(
            self.model, device_ids=[device.device.index] if device.cuda else None)
            if world.distributed else self.model)
        self.step_model = (torch.compile(self.ddp_model) if config.execution.compile
                           else self.ddp_model)
        self.roles = {group["role"]: group["lr_mult"] for group in self.optimizer.param_groups}
        # max_norm=inf measures the norm without clipping.
        self.clip = config.optimizer.grad_clip or math.inf
        self.keep = set(config.execution.keep_checkpoints)
        self.elapsed_before = self.position.elapsed_s
        self.last_checkpoint = time.perf_counter()
        self.window = (self.position.tokens, self.position.train_s)
        resume_at = self.position.metrics_bytes if beginning.resumed_at is not None else None
        self.log = (MetricsLog(run_dir / "metrics.jsonl", resume_at) if world.is_main
                    else NullLog())

    def run(self, on_eval: Callable[[Record], None] | None,
            stop: threading.Event | None) -> None:
        with self.log:
            for step in range(self.position.step + 1, self.last_step + 1):
                outcome = self._step(step, stop is not None and stop.is_set())
                self.position.elapsed_s = (self.elapsed_before + time.perf_counter()
                                           - self.started)
                outcome.record["time_s"] = self.position.elapsed_s
                self.log.write(outcome.record)
                self.position.metrics_bytes = self.log.tell()
                self.progress.last = outcome.record
                if not outcome.finite:
                    self.progress.diverged_at = step
                    break
                if on_eval and "val_loss" in outcome.record:
                    on_eval(outcome.record)
                if self._checkpoint_due(step, outcome.stopping) and self.world.is_main:
                    checkpoint.save(checkpoint_path(self.run_dir, step), self.config.run_id(),
                                    self.position, self.model, self.optimizer,
                                    self.averages.state_dict() if self.averages else None)
                    checkpoint.prune(self.run_dir, self.keep | {step})
                    self.last_checkpoint = time.perf_counter()
                if outcome.stopping:
                    self.progress.stopped = True
                    break
        self.progress.optimizer_state_bytes = state_bytes(self.optimizer)

    def _step(self, step: int, asked_to_stop: bool) -> _Outcome:
        config, position = self.config, self.position
        started = time.perf_counter()
        lr = config.optimizer.lr * lr_multiplier(self.schedule, step - self.first_step - 1)
        set_lr(self.optimizer, lr)
        x, y, weights = self._batch(self.first_step if config.data.full_batch else step - 1)
        every = config.eval.diagnostics_every
        measuring = bool(every) and (step % every == 0 or step == self.last_step)
        measured: dict[str, Tensor] = {}
        watch = (self.diagnostics.activations(measured) if measuring
                 else contextlib.nullcontext())
        with watch, self.device.autocast():
            # Measurement steps run uncompiled: the hooks would break a compiled graph.
            model = self.ddp_model if measuring else self.step_model
            loss = loss_fn(model(x), y, weights)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.params, self.clip)
        # One synchronisation per step, for the numbers every process needs.
        train_loss, norm, stopping = all_mean(self.world, torch.stack([
            loss.detach().float(), grad_norm.float(),
            torch.tensor(float(asked_to_stop), device=self.device.device)])).tolist()
        if position.initial_loss is None:
            position.initial_loss = train_loss
        finite = self._stable(train_loss, norm)
        if finite:
            before = self.diagnostics.snapshot() if measuring else None
            self.optimizer.step()
            if measuring:
                measured |= self.diagnostics.update_rms(before) | self.diagnostics.spectra()
                measured |= self.diagnostics.feature_change()
                measured |= self.diagnostics.attention_entropy(x)
            if self.averages is not None:
                self.averages.after_step(step)
        position.step, position.tokens = step, position.tokens + self.tokens_per_step
        position.train_s += time.perf_counter() - started

        record: Record = {"step": step, "tokens": position.tokens, "train_loss": train_loss,
                          "lr": lr, "grad_norm": norm}
        record |= {f"lr/{role}": lr * mult for role, mult in self.roles.items()}
        if finite and (step % config.eval.every == 0 or step == self.last_step):
            record |= self._evaluate()
            if self.averages is not None:
                record |= self.averages.evaluate(self._evaluate)
            finite = math.isfinite(record["val_loss"])
        sharpness = config.eval.sharpness
        if finite and sharpness and (step % sharpness.every == 0 or step == self.last_step):
            # On the run's first batch, so that measurements differ by the weights alone.
            record["sharpness"] = top_eigenvalue(self.model, *self._batch(self.first_step),
                                                 sharpness.iterations, self.world)
        if measured:
            record |= dict(zip(measured, torch.stack(list(measured.values())).tolist()))
            record |= self._throughput()
        return _Outcome(record, finite, bool(stopping))

    def _batch(self, data_step: int) -> tuple[Tensor, Tensor, Tensor | None]:
        """This process's share of the batch of `data_step` (0-based, counted like steps),
        with each row's loss weight (None when all weigh 1)."""
        seed, rank, size = self.config.seed, self.world.rank, self.world.size
        x, y = self.data.train_batch(seed, data_step, rank, size)
        return x, y, self.data.loss_weights(seed, data_step, rank, size)

    def _evaluate(self) -> Record:
        return evaluate(self.model, self.val, self.device, self.world,
                        self.data.bytes_per_token())

    def _stable(self, train_loss: float, norm: float) -> bool:
        ratio = self.config.stability.max_loss_ratio
        blown_up = bool(ratio) and train_loss > ratio * self.position.initial_loss
        return math.isfinite(train_loss) and math.isfinite(norm) and not blown_up

    def _throughput(self) -> Record:
        """Tokens and model FLOPs per second of training since the last measurement."""
        tokens = self.position.tokens - self.window[0]
        seconds = self.position.train_s - self.window[1]
        self.window = (self.position.tokens, self.position.train_s)
        per_s = tokens / seconds
        return {"tokens_per_s": per_s, "flops_per_s": per_s * flops_per_token(self.config.model)}

    def _checkpoint_due(self, step: int, stopping: bool) -> bool:
        execution = self.config.execution
        every, minutes = execution.checkpoint_every, execution.checkpoint_minutes
        return bool((every and step % every == 0) or step in self.keep or stopping
                    or (minutes and time.perf_counter() - self.last_checkpoint >= 60 * minutes))
