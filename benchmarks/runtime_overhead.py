"""Runtime overhead: the runtime's training throughput against a bare PyTorch loop of the same
model, batches and steps, on this machine's CPU.

Target: at most 5% fewer tokens/s than the bare loop with the default metrics (a log line per
step, evaluation and diagnostics every 50 steps).

The bare loop is what a hand-written script does: take the step's batch, forward, backward,
clip, AdamW step, read the loss. The runtime adds the LR schedule, the per-role groups, the
metrics log, the measurements and the divergence checks. Both run in this process with the
same threads, interleaved and repeated, and the best of each is kept, so load from other
processes hurts both alike. "with eval" also counts the time spent evaluating (which the
runtime's own tokens/s leaves out, as the bare loop does not evaluate).

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

from runtime.config import RunConfig  # noqa: E402
from runtime.data import Batches  # noqa: E402
from runtime.evaluation import loss_fn  # noqa: E402
from runtime.model import GPT  # noqa: E402
from runtime.optimizers import build_optimizer  # noqa: E402
from runtime.train import train  # noqa: E402

MODELS = {
    "demo (w128 d2 T64 B16)": {"model": {"width": 128, "depth": 2, "head_dim": 16,
                                         "seq_len": 64},
                               "data": {"batch_size": 16}},
    "w256 d4 T128 B16": {"model": {"width": 256, "depth": 4, "head_dim": 32, "seq_len": 128},
                         "data": {"batch_size": 16}},
}
WARMUP = 10  # steps left out of both timings


def config(sections: dict, steps: int) -> RunConfig:
    return RunConfig.model_validate({**sections, "parametrization": {"kind": "mup",
                                                                     "base_width": 64},
                                     "schedule": {"kind": "wsd", "warmup": 0.1},
                                     "budget": {"steps": steps}})


def bare(run: RunConfig) -> float:
    """Seconds for steps WARMUP+1 .. end of a hand-written loop."""
    torch.manual_seed(run.seed)
    model = GPT(run.model, run.parametrization)
    optimizer = build_optimizer(model, model.param_rules, run.optimizer)
    data = Batches.from_config(run.data, run.model.seq_len, "cpu", steps=run.budget.steps)
    params = list(model.parameters())
    for step in range(run.budget.steps):
        if step == WARMUP:
            start = time.perf_counter()
        x, y = data.train_batch(run.seed, step)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, run.optimizer.grad_clip)
        optimizer.step()
        loss.item()
    return time.perf_counter() - start


def runtime(run: RunConfig) -> tuple[float, float]:
    """Seconds training, and seconds with evaluation, for the same steps under train()."""
    with tempfile.TemporaryDirectory() as out:
        train(run, Path(out))
        lines = [json.loads(line) for line in (Path(out) / "metrics.jsonl").read_text()
                 .splitlines()]
    evaluating = sum(_eval_seconds(lines))
    wall = lines[-1]["time_s"] - lines[WARMUP - 1]["time_s"]
    return wall - evaluating, wall


def _eval_seconds(lines: list[dict]) -> list[float]:
    """An evaluating step's time beyond its neighbours' median step time."""
    gaps = [b["time_s"] - a["time_s"] for a, b in zip(lines, lines[1:])]
    typical = sorted(gaps)[len(gaps) // 2]
    return [gap - typical for gap, line in zip(gaps, lines[1:])
            if "val_loss" in line and line["step"] > WARMUP]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.steps} steps, "
          f"best of {args.repeats}\n")
    print("| model | bare loop tokens/s | runtime tokens/s | overhead | with eval |")
    print("|---|---|---|---|---|")
    for name, sections in MODELS.items():
        run = config(sections, args.steps)
        tokens = (args.steps - WARMUP) * run.data.batch_size * run.model.seq_len
        bare_s, train_s, wall_s = [], [], []
        for _ in range(args.repeats):
            bare_s.append(bare(run))
            trained, wall = runtime(run)
            train_s.append(trained)
            wall_s.append(wall)
        best_bare, best_train, best_wall = min(bare_s), min(train_s), min(wall_s)
        print(f"| {name} | {tokens / best_bare:,.0f} | {tokens / best_train:,.0f} | "
              f"{best_train / best_bare - 1:+.1%} | {best_wall / best_bare - 1:+.1%} |",
              flush=True)


if __name__ == "__main__":
    main()
