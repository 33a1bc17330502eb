"""What a local sweep costs beyond its runs' own training time.

    python benchmarks/sweep_overhead.py [--jobs 1 2] [--steps S] [--repeat N]

Runs `claimlab run` as a user does (a fresh process, the spec compiled first) on 8 runs of the
demo sweep (specs/mup-lr-transfer.yaml: SP and muP at widths 32 to 256, one learning rate, its
200 steps or --steps), into a fresh results folder each time, and compares its wall-clock time
with the runs' own time as their summaries report it, measured in the same sweep:

- own wall:  each run's `wall_time_s` (train() from start to end: data, model, steps,
             evaluations, checkpoint), summed and shared among the workers;
- own steps: each run's training steps alone (tokens / tokens_per_s), the same way.

Target: sweep wall / own wall <= 1.15, at -j 1 and -j 2 on the 2-core CPU machine.
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

import yaml

ROOT = Path(__file__).resolve().parents[1]

DEMO = ROOT / "specs" / "mup-lr-transfer.yaml"
SWEEP = {"grid": {"parametrization.kind": ["sp", "mup"], "model.width": [32, 64, 128, 256],
                  "optimizer.lr": [1.0e-2]},
         "seeds": [0]}
TARGET = 1.15


def sweep(jobs: int, folder: Path) -> tuple[float, float, float, int]:
    """Wall seconds of `claimlab run -j jobs`, and the runs' own wall and step seconds."""
    spec = folder / "spec.yaml"
    results = folder / f"results-j{jobs}-{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "claimlab", "run", str(spec), "-j", str(jobs),
                    "--results", str(results)], cwd=folder, env=env, check=True,
                   capture_output=True)
    wall = time.perf_counter() - started
    summaries = [json.loads(path.read_text()) for path in results.glob("runs/*/summary.json")]
    own = sum(summary["wall_time_s"] for summary in summaries)
    steps = sum(summary["tokens"] / summary["tokens_per_s"] for summary in summaries)
    return wall, own, steps, len(summaries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=200,
                        help="steps per run (fewer: the fixed start-up weighs more)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    demo = yaml.safe_load(DEMO.read_text())
    base = demo["base"] | {"budget": {"steps": args.steps}}
    spec = {"name": "sweep-overhead", "base": base, "sweep": SWEEP}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "spec.yaml").write_text(yaml.safe_dump(spec))
        print(f"{'-j':>3} {'runs':>5} {'sweep s':>8} {'own wall s':>11} {'own steps s':>12} "
              f"{'x own wall':>11} {'x own steps':>12} {'target':>7}")
        for jobs in args.jobs:
            for _ in range(args.repeat):
                wall, own, steps, runs = sweep(jobs, folder)
                print(f"{jobs:>3} {runs:>5} {wall:8.1f} {own / jobs:11.1f} {steps / jobs:12.1f} "
                      f"{wall / (own / jobs):11.2f} {wall / (steps / jobs):12.2f} "
                      f"{TARGET:7.2f}", flush=True)


if __name__ == "__main__":
    main()
