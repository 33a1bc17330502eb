"""Schedules refined from an earlier run's gradient norms (Defazio, Cutkosky, Mehta and
Mishchenko 2023, "When, Why and How Much? Adaptive Learning Rate Scheduling by Refinement",
arXiv 2310.07831, Algorithm 1 and its form for Adam-like updates).

Their analysis of the last iterate gives, for observed gradient norms g_1 ... g_T, the step
sizes eta_t proportional to g_t^-p * sum_{s>t} g_s^-p (p = 2 for SGD; p = 1 for updates
normalised per coordinate, like Adam's). The observed norms are noisy, so they are first
smoothed by a median filter; the result is scaled so that its largest value is the peak
learning rate. It decays to 0 on the last step, and falls fast near the end where the
gradient norms grow; where they fall early in training, it warms up by itself. A linear
warmup is kept in front of it, as the paper keeps the original schedule's.

The earlier run's log is read once, when the run starts (`with_grad_norms`); the run's
identity holds the earlier run's id, so it changes whenever that run does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from runtime.config.base import length_in_steps
from runtime.config.schedule import PhaseConfig, RefinedSchedule, ScheduleConfig
from runtime.optim.schedules import Lengths
from runtime.results import METRICS, load_summary, read_metrics


def with_grad_norms(schedule: ScheduleConfig, results_runs: Path) -> ScheduleConfig:
    """`schedule`, with the gradient norms of the run it is refined from read from that
    run's folder under `results_runs`, when it is refined; as it is otherwise."""
    if not isinstance(schedule, RefinedSchedule):
        return schedule
    source = results_runs / str(schedule.run)
    summary = load_summary(source, schedule.run)
    if summary is None:
        raise FileNotFoundError(
            f"the refined schedule is derived from run {schedule.run}, which has not finished "
            f"({source}); it must train first (`claimlab run` trains it first)")
    if summary["status"] != "completed":
        raise ValueError(f"the refined schedule is derived from run {schedule.run}, which "
                         f"{summary['status']}: its gradient norms do not span a run")
    norms = [float(record["grad_norm"]) for record in read_metrics(source / METRICS)
             if "grad_norm" in record]
    return schedule.with_grad_norms(tuple(norms))


def expand_refined(cfg: RefinedSchedule, n: Lengths, peak: float) -> list[PhaseConfig]:
    """The refined multipliers as phases of one step each, after a linear warmup to them."""
    if cfg.grad_norms is None:
        raise ValueError(f"the gradient norms of run {cfg.run} were not read "
                         "(runtime.optim.refined.with_grad_norms)")
    source_steps = len(cfg.grad_norms)
    width = max(1, length_in_steps(cfg.smoothing, source_steps, 1))
    warmup = n.steps(cfg.warmup)
    if warmup >= n.total:
        raise ValueError(f"the refined schedule's warmup ({warmup} steps) leaves none of the "
                         f"run's {n.total} steps")
    levels = refined_multipliers(cfg.grad_norms, n.total, cfg.power, width, warmup)
    phases = [PhaseConfig(steps=warmup, start=0.0, end=levels[warmup])] if warmup else []
    return phases + [PhaseConfig(steps=1, start=level, end=level)
                     for level in levels[warmup:]]


def refined_multipliers(grad_norms: Sequence[float], steps: int, power: int, width: int,
                        warmup: int = 0) -> list[float]:
    """The refined multiplier of each of `steps` steps from an earlier run's gradient norms:
    median-filtered over `width` steps of that run, stretched onto `steps` steps,
    w_t = g_t^-p * sum_{s>t} g_s^-p, divided by its largest value from step `warmup` on."""
    norms = np.asarray(grad_norms, dtype=np.float64)
    if norms.size < 2:
        raise ValueError(f"a refined schedule needs at least 2 logged gradient norms, found "
                         f"{norms.size}")
    if not np.all(np.isfinite(norms)) or np.any(norms <= 0):
        raise ValueError("a refined schedule needs finite, positive gradient norms; the run "
                         "it is derived from logged others (did it diverge?)")
    smoothed = median_filter(norms, width)
    if steps != norms.size:
        # Both runs span the same training, from its first step to its last: step t of
        # one is at the same fraction of it as step t * T'/T of the other.
        smoothed = np.interp((np.arange(steps) + 0.5) / steps,
                             (np.arange(norms.size) + 0.5) / norms.size, smoothed)
    inverse = smoothed ** -float(power)
    # sum_{s>t}: the total after t, by a cumulative sum from the end.
    after = np.concatenate([np.cumsum(inverse[::-1])[::-1][1:], [0.0]])
    weights = inverse * after
    top = weights[warmup:].max()
    if not math.isfinite(top) or top <= 0:
        raise ValueError("the refined schedule is 0 at every step")
    return (weights / top).tolist()


def median_filter(values: Sequence[float], width: int) -> np.ndarray:
    """Each value replaced by the median of the `width` values centred on it (`width`
    rounded up to odd); near the ends, of the part of that window inside the series."""
    values = np.asarray(values, dtype=np.float64)
    half = width // 2
    return np.array([np.median(values[max(0, t - half):t + half + 1])
                     for t in range(values.size)])

