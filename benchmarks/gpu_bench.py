"""What a GPU gives claimlab's runs: model FLOP utilisation of a GPT-2-small-shaped model, and
the throughput of a sweep of small runs trained side by side against one by one.

    python benchmarks/gpu_bench.py [--steps 60] [--sweep-runs 8] [--workers 4]

- MFU: width 768, depth 12, 12 heads, 1024 tokens a sequence, batch 16 (GPT-2 small's blocks:
  85M non-embedding parameters, ~124M with GPT-2's own vocabulary; ours is bytes), bf16 with
  torch.compile and fused AdamW, as `python -m runtime.train` runs it. MFU is model FLOPs per
  second (6N + attention, runtime/model/flops.py) over the GPU's dense bf16 peak, read from
  the run's own measurements after the first (compiling) ones. Target: at least 45%.
- Sweep: `claimlab run SPEC -j 1` against `-j W` on the same 8-run plan, each into fresh
  results: wall time of the command, as a user waits for it.

Prints a table; exits 0 with a line saying so when there is no GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runtime.config.run import RunConfig  # noqa: E402
from runtime.model.flops import (  # noqa: E402
    flops_per_token,
    non_embedding_params,
    peak_flops,
)

MFU_TARGET = 0.45

GPT2_SMALL = {
    "model": {"width": 768, "depth": 12, "head_dim": 64, "seq_len": 1024},
    "optimizer": {"lr": 6e-4},
    "data": {"batch_size": 16},
    "eval": {"every": 1000, "batches": 1, "diagnostics_every": 10},
    "execution": {"compile": True},
}

SWEEP_SPEC = """\
name: gpu-sweep
base:
  model: {width: 256, depth: 4, head_dim: 64, seq_len: 256}
  data: {batch_size: 32}
  budget: {steps: 300}
  eval: {every: 100, batches: 4}
sweep:
  grid:
    optimizer.lr: {logspace: [1.0e-4, 1.0e-2, RUNS]}
"""


def measure_mfu(steps: int, work: Path) -> dict[str, float]:
    config = RunConfig.model_validate({**GPT2_SMALL, "budget": {"steps": steps}})
    work.mkdir(parents=True, exist_ok=True)
    job = work / "job.json"
    job.write_text(config.model_dump_json())
    subprocess.run([sys.executable, "-m", "runtime.train", str(job), "--results", str(work)],
                   check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    run = work / "runs" / config.run_id()
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    measured = [line["flops_per_s"] for line in lines if "flops_per_s" in line]
    steady = sorted(measured[len(measured) // 2:])  # after compilation and warm-up
    flops = steady[len(steady) // 2]
    peak = peak_flops(torch.cuda.get_device_name()) or float("nan")
    return {"params": non_embedding_params(config.model), "mfu": flops / peak,
            "tokens_per_s": flops / flops_per_token(config.model)}


def time_sweep(runs: int, workers: int, work: Path) -> float:
    spec = work / "sweep.yaml"
    spec.write_text(SWEEP_SPEC.replace("RUNS", str(runs)))
    results = work / f"results-j{workers}"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "claimlab", "run", str(spec), "-j", str(workers),
                    "--results", str(results)], check=True, cwd=work,
                   env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--sweep-runs", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("gpu_bench: no CUDA GPU on this machine; nothing to measure")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        mfu = measure_mfu(args.steps, work / "mfu")
        one = time_sweep(args.sweep_runs, 1, work)
        many = time_sweep(args.sweep_runs, args.workers, work)
    name = torch.cuda.get_device_name()
    print(f"\n{name}, torch {torch.__version__}\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| GPT-2-small blocks ({mfu['params'] / 1e6:.0f}M non-embedding): tokens/s "
          f"| {mfu['tokens_per_s']:,.0f} | |")
    print(f"| MFU (bf16, compiled, fused AdamW) | {mfu['mfu']:.1%} | >= {MFU_TARGET:.0%} |")
    print(f"| sweep of {args.sweep_runs} runs, -j 1 | {one:.1f} s | |")
    print(f"| sweep of {args.sweep_runs} runs, -j {args.workers} | {many:.1f} s "
          f"({one / many:.2f}x faster) | > 1x |")
    return 0 if mfu["mfu"] >= MFU_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
