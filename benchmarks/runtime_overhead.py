"""Runtime overhead: the runtime's training throughput against a bare PyTorch loop of the same
model, batches and steps, on this machine's CPU.

Target: at most 5% fewer tokens/s than the bare loop with the default metrics (a log line per
step, evaluation and diagnostics every 50 steps).

The bare loop is what a hand-written script does: take the step's batch, forward, backward,
clip, AdamW step, read the loss. The runtime adds the LR schedule, the per-role groups, the
metrics log, the measurements and the divergence checks. Both run in this process with the
same threads, interleaved and repeated, and the best of each is kept, so load from other
processes hurts both alike. The runtime's tokens/s is the one its summary reports (training
steps, diagnostics included); "with eval" counts the wall clock of its steps, evaluations
included, which the bare loop does not do.

    python benchmarks/runtime_overhead.py [--steps 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime.config.run import RunConfig
from runtime.data.batches import Batches
from runtime.model.gpt import GPT
from runtime.optim import build_optimizer
from runtime.train import train
from runtime.training.evaluation import loss_fn

MODELS = {
    "demo (w128 d2 T64 B16)": {"model": {"width": 128, "depth": 2, "head_dim": 16,
                                         "seq_len": 64},
                               "data": {"batch_size": 16}},
    "w256 d4 T128 B16": {"model": {"width": 256, "depth": 4, "head_dim": 32, "seq_len": 128},
                         "data": {"batch_size": 16}},
}
def config(sections: dict, steps: int) -> RunConfig:
    return RunConfig.model_validate({**sections, "parametrization": {"kind": "mup",
                                                                     "base_width": 64},
                                     "schedule": {"kind": "wsd", "warmup": 0.1},
                                     "budget": {"steps": steps}})


def bare(run: RunConfig) -> float:
    """Tokens/s of a hand-written loop over the run's steps."""
    torch.manual_seed(run.seed)
    model = GPT(run.model, run.parametrization)
    optimizer = build_optimizer(model, model.param_rules, run.optimizer)
    data = Batches.from_config(run.data, run.model.seq_len, "cpu", steps=run.budget.steps)
    params = list(model.parameters())
    start = time.perf_counter()
    for step in range(run.budget.steps):
        x, y = data.train_batch(run.seed, step)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, run.optimizer.grad_clip)
        optimizer.step()
        loss.item()
    return run.budget.steps * run.data.batch_size * run.model.seq_len / (
        time.perf_counter() - start)


def runtime(run: RunConfig) -> tuple[float, float]:
    """The runtime's own tokens/s (training steps), and tokens/s over the steps' wall clock,
    evaluations included."""
    with tempfile.TemporaryDirectory() as out:
        summary = train(run, Path(out))
        lines = [json.loads(line) for line in (Path(out) / "metrics.jsonl").read_text()
                 .splitlines()]
    per_step = run.data.batch_size * run.model.seq_len
    return summary["tokens_per_s"], (len(lines) - 1) * per_step / (lines[-1]["time_s"]
                                                                 - lines[0]["time_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.steps} steps, "
          f"best of {args.repeats}\n")
    print("| model | bare loop tokens/s | runtime tokens/s | overhead | overhead with eval |")
    print("|---|---|---|---|---|")
    for name, sections in MODELS.items():
        run = config(sections, args.steps)
        results = [(bare(run), *runtime(run)) for _ in range(args.repeats)]
        best_bare, best_train, best_wall = (max(column) for column in zip(*results))
        print(f"| {name} | {best_bare:,.0f} | {best_train:,.0f} | "
              f"{1 - best_train / best_bare:+.1%} | {1 - best_wall / best_bare:+.1%} |",
              flush=True)


if __name__ == "__main__":
    main()
