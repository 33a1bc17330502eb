"""Data loading against training: does the sampler ever make the model wait?

    python benchmarks/data_bench.py [--steps N]

Measures, in one process on this machine:
  - first use of each built-in corpus: reading, splitting, tokenising and caching it
    (an empty cache directory each time);
  - batches per second from the sampler, as tensors, for the demo spec's data and for a
    mix with phases, epochs, a curriculum and loss weights;
  - training steps per second of the demo's smallest model (width 32, the fastest to
    consume batches), from `train()` itself;
and prints each throughput as a ratio to the model's. The data layer's target: every ratio
at least 20.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch

from runtime.config.run import RunConfig
from runtime.data.batches import Batches
from runtime.data.sources.configs import BuiltinSource
from runtime.data.sources.prepare import prepare
from runtime.train import train

# The demo spec (specs/mup-lr-transfer.yaml) at its smallest width.
DEMO = {"model": {"width": 32, "depth": 2, "head_dim": 16, "seq_len": 64},
        "parametrization": {"kind": "mup", "base_width": 32, "base_head_dim": 16},
        "schedule": {"kind": "wsd", "warmup": 0.1, "decay": 0.2},
        "data": {"batch_size": 16}, "eval": {"every": 1000, "batches": 1}}

MIXED = {
    "sources": {
        "code": {"kind": "builtin", "name": "stdlib-code", "order": "shuffled", "epochs": 2},
        "prose": {"kind": "builtin", "name": "stdlib-prose"},
        "graded": {"kind": "corrupted", "base": {"kind": "builtin", "name": "stdlib-prose"},
                   "order": "ascending", "loss_weight": 0.5},
        "synthetic": {"kind": "markov", "entropy": 2.0},
    },
    "phases": {
        "warm": {"mix": {"code": 0.5, "prose": 0.3, "graded": 0.2}},
        "tempered": {"start": 0.3, "temperature": [1.0, 3.0]},
        "replay": {"start": 0.7, "mix": {"synthetic": 0.9, "code": 0.1}},
    },
    "batch_size": 16,
}


def first_use_seconds(corpus: str) -> float:
    with tempfile.TemporaryDirectory() as cache:
        os.environ["CLAIMLAB_CACHE"] = cache
        started = time.perf_counter()
        prepare(BuiltinSource(name=corpus), 0.05)
        return time.perf_counter() - started


def batches_per_second(config: RunConfig, steps: int) -> float:
    batches = Batches.from_config(config.data, config.model.seq_len, "cpu",
                                  steps=config.budget.steps)
    started = time.perf_counter()
    for step in range(steps):
        batches.train_batch(config.seed, step)
        batches.loss_weights(config.seed, step)
    return steps / (time.perf_counter() - started)


def model_steps_per_second(config: RunConfig, warmup: int = 20) -> float:
    """Steady-state training speed: start-up and the first steps left out, so the model
    looks as fast as it gets (which makes the ratios conservative)."""
    with tempfile.TemporaryDirectory() as out:
        train(config, Path(out), device="cpu")
        lines = (Path(out) / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    first, last = records[warmup - 1], records[-1]
    return (last["step"] - first["step"]) / (last["time_s"] - first["time_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="batches timed per sampler")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)

    rows = [(f"first use of {corpus}", f"{first_use_seconds(corpus):.2f} s", "")
            for corpus in ("stdlib-code", "stdlib-prose")]
    os.environ["CLAIMLAB_CACHE"] = tempfile.mkdtemp(prefix="claimlab-bench-")
    demo = RunConfig.model_validate({**DEMO, "budget": {"steps": 200}})
    model = model_steps_per_second(demo)
    rows.append(("demo model, width 32: training", f"{model:,.0f} steps/s", "1x"))
    for name, data in (("demo data (stdlib-code)", DEMO["data"]),
                       ("4 sources, 3 phases, epochs, curriculum", MIXED)):
        config = RunConfig.model_validate({**DEMO, "data": data,
                                           "budget": {"steps": args.steps}})
        rate = batches_per_second(config, args.steps)
        rows.append((f"sampler: {name}", f"{rate:,.0f} batches/s", f"{rate / model:,.0f}x"))

    # A GPU-sized batch, for scale: no model here consumes it, so no ratio.
    large_steps = max(1, args.steps // 20)
    large = RunConfig.model_validate({**DEMO, "model": {**DEMO["model"], "seq_len": 1024},
                                      "data": {**MIXED, "batch_size": 256},
                                      "budget": {"steps": large_steps}})
    rate = batches_per_second(large, large_steps)
    rows.append(("sampler: the mix at 256 x 1024 tokens", f"{rate * 256 * 1024 / 1e6:,.0f}M "
                 "tokens/s", ""))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>18}  vs model")
    for label, value, ratio in rows:
        print(f"{label:<{width}}  {value:>18}  {ratio}")


if __name__ == "__main__":
    main()
