"""What the optional measurements cost: sharpness and weight averages, as a fraction of the
training step time of the same run without them, at their default intervals.

    sharpness   `eval.sharpness: {}`: 20 Hessian-vector products every 100 steps
    ema         `eval.ema: 0.999`: an EMA update after every step, and an evaluation of the
                EMA weights with each evaluation (every 50 steps)
    avg_last    `eval.average_last: 5`: a copy of the weights every 50 steps (eval.every), and
                an evaluation of their average with each evaluation

Each configuration trains the same run (the demo model by default) with the runtime's own
train(); the cost is its extra wall time over the run without the measurement, divided by that
run's training time. Runs are interleaved and repeated, and the best of each kept, so load
from other processes hurts all alike.

    python benchmarks/measurement_cost.py [--steps 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime.config.run import RunConfig
from runtime.train import train

MODEL = {"model": {"width": 128, "depth": 2, "head_dim": 16, "seq_len": 64},
         "data": {"batch_size": 16}}
MEASUREMENTS = {
    "none": {},
    "sharpness (20 HVPs / 100 steps)": {"sharpness": {}},
    "ema (every step, eval / 50)": {"ema": 0.999},
    "avg_last 5 (copy / 50, eval / 50)": {"average_last": 5},
}


def config(measurement: dict, steps: int) -> RunConfig:
    return RunConfig.model_validate({**MODEL, "budget": {"steps": steps},
                                     "eval": {"every": 50, **measurement}})


def timed(run: RunConfig) -> tuple[float, float]:
    """(wall seconds of the whole run, seconds of its training steps)."""
    with tempfile.TemporaryDirectory() as out:
        summary = train(run, Path(out))
        assert summary["status"] == "completed", summary
        return summary["wall_time_s"], summary["steps"] * 16 * 64 / summary["tokens_per_s"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeats):
        for name, measurement in MEASUREMENTS.items():
            wall, steps = timed(config(measurement, args.steps))
            if name not in best or wall < best[name][0]:
                best[name] = (wall, steps)
    base_wall, base_steps = best["none"]
    print("| measurement | run wall s | training steps s | cost / step time |")
    print("|---|---|---|---|")
    rows = {}
    for name, (wall, steps) in best.items():
        cost = (wall - base_wall) / base_steps
        rows[name] = cost
        print(f"| {name} | {wall:.2f} | {steps:.2f} | {cost:+.1%} |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
